"""The steps one submission takes with a lead, shared by every door (accord/intake/ runs them).

Validate the submission, copy its fields onto the lead (the newest non-empty value wins, first-touch
fields keep their first value) and link the lead to its account. The per-record pipeline calls these
on a model instance; the CSV import calls ``lead_apply_fields`` on a plain namespace per new lead, so
both doors decide alike.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from accord.core.errors import ApplicationError
from accord.core.models import Channel
from accord.leads.matching import AccountIndex, AccountMatch
from accord.leads.models import Account, AccountDomain, Lead, Source
from accord.leads.normalize import Submission, company_key, normalize_phone, normalize_submission

# Person fields an intake may set; the newest non-empty value wins (as in HubSpot / Salesforce).
UPDATABLE_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "company",
    "phone",
    "mobile",
    "fax",
    "salutation",
    "website",
    "industry",
    "company_size",
    "annual_revenue",
    "rating",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "lead_source",
    "message",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
# First-touch fields: set once, never overwritten by later submissions.
FIRST_TOUCH_FIELDS = ("lead_source", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


# The fields whose change can make a lead look like another one (same phone, or same name at the
# same account): a lead created, or updated in one of these, is checked for possible duplicates.
DUPLICATE_KEY_FIELDS = frozenset({"phone", "first_name", "last_name", "account"})


def submission_validate(data: dict[str, Any], *, lenient: bool = False) -> Submission:
    """Normalise a raw submission or raise one error that names every bad field.

    ``lenient`` (web forms, email): a bad optional value is dropped with a warning instead (see
    ``normalize_submission``); the API refuses it so its caller can correct it.
    """
    sub = normalize_submission(data, lenient=lenient)
    if not sub.ok:
        parts = "; ".join(f"{name} {problem}" for name, problem in sub.errors.items())
        raise ApplicationError(f"The lead was not accepted: {parts}.", detail=sub.errors, status=422)
    return sub


def lead_apply_fields(lead: Lead, sub: Submission, *, now: datetime) -> dict[str, list[Any]]:
    """Copy submitted values onto the lead; returns {field: [old, new]} for what changed."""
    changes: dict[str, list[Any]] = {}

    def put(name: str, value: Any) -> None:
        old = getattr(lead, name)
        if value != old:
            changes[name] = [_json_ready(old), _json_ready(value)]
            setattr(lead, name, value)

    for name in UPDATABLE_FIELDS:
        value = sub.fields.get(name)
        if value in (None, ""):
            continue
        if name in FIRST_TOUCH_FIELDS and getattr(lead, name):
            continue
        put(name, value)
    if "phone" in changes:
        lead.phone_key = normalize_phone(lead.phone)
    if sub.custom:
        merged = {**lead.custom, **sub.custom}
        if merged != lead.custom:
            changes["custom"] = [lead.custom, merged]
            lead.custom = merged
    consent = sub.fields.get("consent")
    if consent and consent != lead.consent:
        put("consent", consent)
        put("consent_at", sub.fields.get("consent_at") or now)
        put(
            "consent_source",
            sub.fields.get("consent_source") or (lead.source.name if lead.source else "intake"),
        )
        put("consent_text", sub.fields.get("consent_text") or "")
    elif consent == "granted" and sub.fields.get("consent_text") and not lead.consent_text:
        put("consent_text", sub.fields["consent_text"])
    return changes


def _json_ready(value: Any) -> Any:
    """A value as the intake event's JSON payload holds it (date-times and amounts as text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def lead_link_account(lead: Lead, *, index: AccountIndex | None = None) -> AccountMatch:
    """Link a lead without an account to the matching account, creating one from its company."""
    index = index or AccountIndex()
    found = index.match(email=lead.email, company=lead.company, website=lead.website)
    if found.account_id is not None:
        lead.account_id = found.account_id
        return found
    if not lead.company:
        return found
    key = company_key(lead.company)
    account = Account.objects.create(
        name=lead.company,
        name_key=key,
        industry=lead.industry,
        size=lead.company_size,
        country=lead.country,
        website=lead.website,
    )
    if found.domain:
        # The domain was looked up above and belongs to no account; should a concurrent request
        # claim it first, the first owner keeps it (one statement, no savepoint).
        AccountDomain.objects.bulk_create(
            [AccountDomain(domain=found.domain, account=account)], ignore_conflicts=True
        )
    index.remember(account.pk, name_key=key, domain=found.domain)
    lead.account = account
    return AccountMatch(account.pk, "created", found.domain)


def channel_of_source(source: Source | None, default: str = Channel.API) -> str:
    return (
        default
        if source is None
        else {"form": Channel.FORM, "import": Channel.IMPORT}.get(source.kind, default)
    )
