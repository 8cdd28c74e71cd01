"""Privacy reads: who a person is in Accord, whether they may be emailed, their unsubscribe link, every
row and file that mentions them, and the subject access export."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accord.core.errors import ApplicationError
from accord.core.models import Event
from accord.leads.models import ConsentStatus, Lead
from accord.leads.selectors import lead_timeline_ids
from accord.people import access
from accord.people.models import User
from accord.privacy.files import media_files_mentioning
from accord.privacy.models import ErasureRecord, LeadTrash
from accord.privacy.registry import export_providers

# Who may export or erase a person's data (admins), and who may move leads to the trash and back.
PRIVACY_ROLES = access.PRIVACY_ROLES
TRASH_ROLES = access.TRASH_ROLES
UNSUBSCRIBE_SALT = "accord.privacy.unsubscribe"
# The stand-in contact that deals of an erased person point at (Deal.contact cannot be empty).
ERASED_CONTACT_EMAIL = "erased-contact@erased.invalid"


def email_key(email: str) -> str:
    return (email or "").strip().lower()


def email_hash(email: str) -> str:
    """A keyed hash of an address: lets "was this address erased?" be answered without storing it."""
    return salted_hmac("accord.privacy.erasure", email_key(email), algorithm="sha256").hexdigest()


def lead_root(lead: Lead) -> Lead:
    """The lead a merged-away alias leads to (the lead itself when it was never merged)."""
    seen = {lead.pk}
    while lead.merged_into_id and lead.merged_into_id not in seen:
        seen.add(lead.merged_into_id)
        lead = Lead.objects.get(pk=lead.merged_into_id)
    return lead


@dataclass(frozen=True)
class Person:
    """Everything that identifies one person: their lead rows (the kept lead and its aliases) and emails."""

    leads: list[Lead]
    emails: list[str]

    @property
    def lead_ids(self) -> list[int]:
        return [lead.pk for lead in self.leads]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return mention_pattern(self.emails)


def mention_pattern(emails: Iterable[str]) -> re.Pattern[str]:
    """Matches any of ``emails`` as a whole address (case-insensitive): "ann@x.io" is found in
    "mail ann@x.io." but not inside "joann@x.io" or "ann@x.io.uk"."""
    options = sorted({e for e in emails if e}, key=len, reverse=True)
    if not options:
        return re.compile(r"(?!x)x")  # matches nothing
    alternatives = "|".join(re.escape(e) for e in options)
    return re.compile(
        rf"(?<![A-Za-z0-9._%+\-])(?:{alternatives})(?![A-Za-z0-9_%+\-]|\.[A-Za-z0-9])", re.IGNORECASE
    )


def value_mentions(value: Any, pattern: re.Pattern[str]) -> bool:
    """Whether a column value (text, JSON or binary) contains a match of ``pattern``."""
    if value is None:
        return False
    if isinstance(value, (bytes, memoryview)):
        return bool(pattern.search(bytes(value).decode("latin-1")))
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    return bool(pattern.search(value))


def person_email_check(email: str) -> None:
    """Refuse anything but a whole email address as the key of an export or erasure.

    Every text column of every table is searched for the address: a fragment ("0", "a") would match
    most rows, take minutes and export (or erase) other people's data.
    """
    try:
        validate_email((email or "").strip())
    except ValidationError:
        raise ApplicationError(
            f"{email!r} is not a whole email address: give the person's full address, e.g. "
            "jane.doe@example.com, or the lead id.",
            detail={"email": "not an email address"},
        ) from None


def person_find(*, email: str = "", lead_id: int | None = None) -> Person:
    """The person behind an email or a lead id: the kept lead, every lead merged into it, their emails.

    An email must be a whole address (``person_email_check``).
    """
    if email:
        person_email_check(email)
    start: Lead | None = None
    if lead_id is not None:
        start = Lead.objects.filter(pk=lead_id).first()
    elif email:
        start = Lead.objects.filter(email_key=email_key(email)).first()
    leads: list[Lead] = []
    if start is not None:
        ids = lead_timeline_ids(lead_root(start))
        leads = list(Lead.objects.filter(pk__in=ids).order_by("pk"))
    emails = {email_key(email)} if email else set()
    emails |= {lead.email_key for lead in leads} | {email_key(lead.email) for lead in leads}
    return Person(leads=leads, emails=sorted(e for e in emails if e))


def may_email(lead: Lead) -> bool:
    """Whether marketing may email this person now. Campaign sends call this just before each send.

    No when they unsubscribed or refused consent (on the lead or on the lead it was merged into), when
    the lead is in the trash, or, with ACCORD_EMAIL_REQUIRES_CONSENT, unless consent was granted.
    """
    lead = lead_root(Lead.objects.get(pk=lead.pk))
    if lead.consent == ConsentStatus.DENIED or LeadTrash.objects.filter(lead_id=lead.pk).exists():
        return False
    if settings.ACCORD_EMAIL_REQUIRES_CONSENT:
        return lead.consent == ConsentStatus.GRANTED
    return True


def unsubscribe_token(lead: Lead) -> str:
    """A signed token naming the lead (HMAC with the secret key and a salt of its own). It carries no
    timestamp and does not expire: links in old emails must keep working."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(lead.pk)


def lead_from_unsubscribe_token(token: str) -> Lead | None:
    """The lead a token names, or None when the token is forged or the lead is gone (erased)."""
    try:
        lead_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(lead_id, int):
        return None
    return Lead.objects.filter(pk=lead_id).first()


def unsubscribe_url(lead: Lead) -> str:
    """The absolute public unsubscribe link for emails to this lead."""
    return settings.SITE_URL + reverse("privacy:unsubscribe", args=[unsubscribe_token(lead)])


def unsubscribe_headers(lead: Lead) -> dict[str, str]:
    """List-Unsubscribe headers (RFC 2369, one-click RFC 8058) for a marketing email to this lead."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(lead)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- finding every mention -------------------------------------------------------------------------

TEXT_FIELD_TYPES = (models.CharField, models.TextField, models.JSONField)


def text_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns of ``model`` that can hold an email: text and JSON (not keys or relations)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, TEXT_FIELD_TYPES) and not f.is_relation and not f.primary_key
    ]


def binary_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.BinaryField)]


def scanned_models() -> list[type[models.Model]]:
    """Every concrete, managed table (the privacy app's own records hold no address: skipped)."""
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.app_label != "privacy"
    ]


def rows_mentioning(model: type[models.Model], needles: Iterable[str]) -> QuerySet[Any]:
    """Rows of ``model`` whose text or JSON columns contain one of ``needles`` (case-insensitive)."""
    condition = Q(pk__in=[])
    for f in text_fields(model):
        for needle in needles:
            condition |= Q(**{f"{f.name}__icontains": needle})
    return model._base_manager.filter(condition).order_by()


def rows_mentioning_exactly(model: type[models.Model], person: Person) -> list[Any]:
    """Primary keys of rows whose text or JSON columns name one of the person's emails as a whole
    address (the database's substring search picks candidates, ``mention_pattern`` decides)."""
    names = [f.attname for f in text_fields(model)]
    found = []
    for row in rows_mentioning(model, person.emails).values_list("pk", *names).iterator():
        if any(value_mentions(value, person.pattern) for value in row[1:]):
            found.append(row[0])
    return found


def binary_rows_mentioning(model: type[models.Model], person: Person) -> list[Any]:
    """Primary keys of rows whose binary columns name one of the emails (read in Python: LIKE cannot)."""
    found = []
    for f in binary_fields(model):
        rows = model._base_manager.exclude(**{f"{f.attname}__isnull": True}).values_list("pk", f.attname)
        for pk, value in rows.iterator():
            if value_mentions(value, person.pattern) and pk not in found:
                found.append(pk)
    return found


def mentions(person: Person) -> dict[str, list[Any]]:
    """{model label: primary keys} of every row anywhere that names one of the person's emails."""
    found: dict[str, list[Any]] = {}
    if not person.emails:
        return found
    for model in scanned_models():
        pks = rows_mentioning_exactly(model, person)
        pks += [pk for pk in binary_rows_mentioning(model, person) if pk not in pks]
        if pks:
            found[model._meta.label] = sorted(pks)
    return found


def lead_relations() -> list[Any]:
    """Every foreign key and one-to-one pointing at Lead, hidden ones (related_name="+") included."""
    return [
        rel
        for rel in Lead._meta.get_fields(include_hidden=True)
        if rel.auto_created
        and not rel.concrete
        and (rel.one_to_many or rel.one_to_one)
        and rel.related_model is not Lead
    ]


# --- subject access export --------------------------------------------------------------------------


def row_as_dict(obj: models.Model) -> dict[str, Any]:
    """A row's own columns, JSON-ready (dates as ISO text, binary as text where it decodes)."""
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        if isinstance(value, (bytes, memoryview)):
            raw = bytes(value)
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                value = {"base64": base64.b64encode(raw).decode()}
        data[f.attname] = value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _event_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.type,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "occurred_at": event.occurred_at.isoformat(),
        "channel": event.channel,
        "stage": event.stage,
        "actor": event.actor.username if event.actor else None,
        "payload": event.payload,
    }


def person_events(person: Person) -> QuerySet[Event]:
    """Events about the person's leads, and any other event whose payload names one of their emails."""
    other = [
        pk
        for pk, payload in rows_mentioning(Event, person.emails)
        .exclude(subject_type="lead", subject_id__in=person.lead_ids)
        .values_list("pk", "payload")
        .iterator()
        if value_mentions(payload, person.pattern)
    ]
    return Event.objects.filter(Q(subject_type="lead", subject_id__in=person.lead_ids) | Q(pk__in=other))


def privacy_export(*, email: str) -> dict[str, Any]:
    """Everything Accord holds about the person with this email, as one JSON-ready document.

    Sections: the lead rows (with custom fields, consent and account), every row that points at them
    (touches, touchpoints, SLA clocks, routing, notifications, deals as contact, duplicate pairs, ...:
    found through the foreign keys, so a new app's table is included without changes here), events
    with their payloads, any other row in any table whose text mentions the email (idempotency
    records, mail-in messages, ...), and the files under MEDIA_ROOT that contain it.
    """
    person = person_find(email=email)
    ids = person.lead_ids
    related: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, set[Any]] = {}
    for rel in lead_relations():
        model = rel.related_model
        label = model._meta.label
        rows = model._base_manager.filter(**{f"{rel.field.name}__in": ids}).order_by("pk")
        for row in rows:
            if row.pk in seen.setdefault(label, set()):
                continue
            seen[label].add(row.pk)
            related.setdefault(label, []).append(row_as_dict(row))
    accounts = {lead.account_id for lead in person.leads if lead.account_id}
    from accord.leads.models import Account

    other: dict[str, list[dict[str, Any]]] = {}
    for label, pks in mentions(person).items():
        if label in ("leads.Lead", "core.Event"):
            continue
        model = apps.get_model(label)
        for row in model._base_manager.filter(pk__in=pks).order_by("pk"):
            if row.pk not in seen.get(label, set()):
                other.setdefault(label, []).append(row_as_dict(row))
    document: dict[str, Any] = {
        "format": "accord-subject-access-export/1",
        "generated_at": timezone.now().isoformat(),
        "email": email_key(email),
        "emails": person.emails,
        "leads": [
            {
                **row_as_dict(lead),
                "merged_alias": lead.merged_into_id is not None,
                "in_trash": LeadTrash.objects.filter(lead_id=lead.pk).exists(),
            }
            for lead in person.leads
        ],
        "accounts": [row_as_dict(a) for a in Account.objects.filter(pk__in=accounts).order_by("pk")],
        "related": related,
        "events": [
            _event_dict(e)
            for e in person_events(person).select_related("actor").order_by("occurred_at", "id")
        ],
        "other_mentions": other,
        "files": [
            {"path": m.path, "kind": m.kind, "import_job_id": m.import_job_id}
            for m in media_files_mentioning(person.pattern)
        ],
        "search_index": "Accord keeps no search index; nothing to report.",
        "erasures": [
            {"id": r.pk, "erased_at": r.created_at.isoformat()}
            for r in ErasureRecord.objects.filter(email_hash=email_hash(email))
            if email
        ],
    }
    for provider in export_providers:
        document.update(provider(lead_ids=ids, emails=person.emails))
    return document


# --- trash ------------------------------------------------------------------------------------------


def trash_list(*, user: User) -> QuerySet[LeadTrash]:
    """Leads in the trash that ``user`` may restore (none unless they hold a trash role)."""
    return (
        access.trashed_leads_visible_to(user)
        .exclude(lead__email_key=ERASED_CONTACT_EMAIL)
        .select_related("lead", "deleted_by")
        .order_by("-deleted_at", "-id")
    )


def erasure_records() -> QuerySet[ErasureRecord]:
    return ErasureRecord.objects.select_related("actor").order_by("-created_at", "-id")


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, cls=DjangoJSONEncoder, indent=2, sort_keys=True)


def export_filename(email: str) -> str:
    return f"accord-export-{hashlib.sha256(email_key(email).encode()).hexdigest()[:12]}.json"


def marketing_refusal(lead: Lead) -> str | None:
    """Why marketing may not email this lead now, or None when it may. ``may_email`` is the authority;
    the reason is read afterwards only to count it: "unsubscribed", "unavailable" (in the trash) or
    "no_consent". Registered with campaign sending (accord.campaigns.sending)."""
    if may_email(lead):
        return None
    root = lead_root(lead)
    if root.consent == ConsentStatus.DENIED:
        return "unsubscribed"
    if LeadTrash.objects.filter(lead_id=root.pk).exists():
        return "unavailable"
    return "no_consent"
