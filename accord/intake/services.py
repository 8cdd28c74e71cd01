"""The one intake pipeline. The API, the public form, email intake and the CSV import all end here.

    normalise -> match person -> update fields -> match account -> qualify -> stage -> record event
              -> campaign touchpoint -> flag possible duplicates -> hand off to routing (after commit)

Each step is a small function below; ``lead_intake`` calls them in order inside one transaction,
so a submission is either fully recorded or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.campaigns.services import UTM_FIELDS, touchpoint_record_from_intake
from accord.core.errors import ApplicationError
from accord.core.events import event_record
from accord.core.models import Channel
from accord.leads.matching import AccountIndex, AccountMatch, possible_duplicates_of
from accord.leads.models import Account, AccountDomain, Lead, PossibleDuplicate, Source, Stage
from accord.leads.normalize import Submission, company_key, normalize_phone, normalize_submission
from accord.qualification.engine import Activity, Evaluation
from accord.qualification.selectors import evaluate_lead, next_stage
from accord.sla.external import mql_hand_off
from accord.sla.models import NurtureSource
from accord.sla.nurture import nurture_enter

# Person fields an intake may set; the newest non-empty value wins (as in HubSpot / Salesforce).
UPDATABLE_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "company",
    "phone",
    "website",
    "industry",
    "company_size",
    "city",
    "state",
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


@dataclass
class IntakeResult:
    """What happened to one submission."""

    lead: Lead
    created: bool
    changes: dict[str, list[Any]] = field(default_factory=dict)
    account_match: str = ""
    evaluation: Evaluation | None = None
    duplicates_flagged: int = 0


def submission_validate(data: dict[str, Any]) -> Submission:
    """Normalise a raw submission or raise one error that names every bad field."""
    sub = normalize_submission(data)
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
            changes[name] = [
                old.isoformat() if isinstance(old, datetime) else old,
                value.isoformat() if isinstance(value, datetime) else value,
            ]
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
    return changes


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
        AccountDomain.objects.get_or_create(domain=found.domain, defaults={"account": account})
    index.remember(account.pk, name_key=key, domain=found.domain)
    lead.account = account
    return AccountMatch(account.pk, "created", found.domain)


def _lead_for_update(
    email_key: str, sub: Submission, source: Source | None, now: datetime
) -> tuple[Lead, bool]:
    """The existing lead for this email (locked), or a new one. Safe under concurrent posts."""
    existing = Lead.objects.select_for_update().filter(email_key=email_key).first()
    if existing is not None:
        # An email of a merged lead now belongs to the lead it was merged into.
        while existing.merged_into_id is not None:
            existing = Lead.objects.select_for_update().get(pk=existing.merged_into_id)
        return existing, False
    lead = Lead(
        email=sub.fields["email"],
        email_key=email_key,
        source=source,
        stage=Stage.INQUIRY,
        stage_changed_at=now,
    )
    try:
        with transaction.atomic():
            lead.save()
        return lead, True
    except IntegrityError:
        # Another request created the same person a moment ago: update that one instead.
        return Lead.objects.select_for_update().get(email_key=email_key), False


def lead_intake(
    *,
    data: dict[str, Any],
    channel: str,
    source: Source | None = None,
    actor: Any = None,
    occurred_at: datetime | None = None,
) -> IntakeResult:
    """Take one submission through the whole pipeline. Raises ApplicationError for bad input."""
    sub = submission_validate(data)
    now = occurred_at or timezone.now()
    with transaction.atomic():
        lead, created = _lead_for_update(sub.email_key, sub, source, now)
        changes = lead_apply_fields(lead, sub, now=now)
        account_note = ""
        if lead.account_id is None:
            match = lead_link_account(lead)
            account_note = match.how
            if lead.account_id is not None:
                changes["account"] = [None, lead.account_id]
        evaluation = evaluate_lead(lead, extra_activities=[Activity(sub.activity, channel, now)], as_of=now)
        old_stage = "" if created else lead.stage
        new_stage = next_stage(lead.stage, evaluation) if evaluation else lead.stage
        if evaluation is not None:
            lead.score, lead.fit_score, lead.engagement_score = (
                evaluation.score,
                evaluation.fit,
                evaluation.engagement,
            )
            lead.criteria_version_id = evaluation.criteria_id
            lead.explanation = evaluation.explanation
            lead.scored_at = now
        elif created:
            lead.explanation = "Not scored: no qualification criteria are active yet."
        if new_stage != lead.stage:
            lead.stage = new_stage
            lead.stage_changed_at = now
        lead.save()
        event_record(
            type="lead.intake",
            subject=lead,
            channel=channel,
            actor=actor,
            occurred_at=now,
            stage=lead.stage if lead.stage != old_stage else "",
            payload={
                "created": created,
                "channel": channel,
                "source": source.name if source else "",
                "activity": sub.activity,
                "changes": changes,
                "account_match": account_note,
                "ignored_fields": sub.ignored[:50],
                **(evaluation_payload(evaluation) if evaluation else {}),
            },
        )
        # The submission's own UTM values, not the lead's first-touch ones, name this touch's campaign.
        touchpoint_record_from_intake(
            lead=lead,
            activity=sub.activity,
            channel=channel,
            occurred_at=now,
            utm={name: str(sub.fields.get(name) or "") for name in UTM_FIELDS},
            source=source,
        )
        flagged = lead_flag_duplicates(lead) if created or "phone" in changes else 0
        lead_hand_off(lead, previous_stage=old_stage)
    return IntakeResult(lead, created, changes, account_note, evaluation, flagged)


def lead_hand_off(lead: Lead, *, previous_stage: str) -> None:
    """A lead that has just become an MQL and has no owner is routed once this transaction commits
    (after an external review, when that step is switched on); a lead that has just gone to nurture
    gets a re-check date. Nurture leads whose new engagement crosses the threshold come through
    here too (C2)."""
    if lead.stage == Stage.MQL and previous_stage != Stage.MQL and lead.owner_id is None:
        mql_hand_off(lead=lead)  # the external review first when it is switched on, else routing
    elif lead.stage == Stage.NURTURE and previous_stage != Stage.NURTURE:
        nurture_enter(lead=lead, reason=lead.explanation[:500], source=NurtureSource.CRITERIA)


def evaluation_payload(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "version": evaluation.version,
        "fit": evaluation.fit,
        "engagement": evaluation.engagement,
        "score": evaluation.score,
        "decision": evaluation.decision,
        "explanation": evaluation.explanation,
    }


def lead_flag_duplicates(lead: Lead) -> int:
    """Put uncertain matches into the possible-duplicates queue; returns how many were new."""
    count = 0
    for other, reason, similarity in possible_duplicates_of(lead):
        first, second = sorted((lead.pk, other.pk))
        _, made = PossibleDuplicate.objects.get_or_create(
            lead_id=first, other_id=second, defaults={"reason": reason, "similarity": similarity}
        )
        count += made
    return count


def channel_of_source(source: Source | None, default: str = Channel.API) -> str:
    return (
        default
        if source is None
        else {"form": Channel.FORM, "import": Channel.IMPORT}.get(source.kind, default)
    )
