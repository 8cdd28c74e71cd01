"""The conductor of the lead's path: every door's pipeline and the one hand-off after scoring.

    normalise -> match person -> update fields -> match account -> qualify -> stage -> record event
              -> campaign touchpoint -> hand off: route (SLA clock) -> nurture -> possible duplicates

``lead_intake`` runs one submission (the API, the public form, email intake, incoming webhooks) in
one transaction, so a submission is either fully recorded or not at all. Its steps are the leads,
qualification and campaigns apps' own functions. ``leads_hand_off`` is the last step of every door,
per lead and in bulk with one meaning: ``lead_intake`` calls it for its one lead, the CSV import
(``accord/intake/importing/``) for each chunk, and bulk re-scoring (``criteria_rescore``, in
qualification below this app) through the ``accord.leads.hand_off.hand_off`` hook, which this app
fills in its AppConfig.ready(). The lead API's create (``POST /api/v1/leads``, in leads beside the
list) reaches ``lead_intake`` the same way, through the ``accord.leads.doors.lead_intake`` hook.

Routing and SLA do not call each other: this app wires them (apps.py). A routed lead's SLA clock
starts through routing's ``lead_assigned`` hook, and SLA's external review hands a cleared lead to
routing through ``leads_route_later``, both filled here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.campaigns.models import Campaign
from accord.campaigns.touchpoint_services import (
    UTM_FIELDS,
    campaign_for_reference,
    touchpoint_record_from_intake,
)
from accord.core.events import event_record
from accord.core.models import Channel
from accord.core.rows import row_first, row_save_new
from accord.leads.hand_off import HandOff, HandOffSummary
from accord.leads.models import Lead, Source, Stage
from accord.leads.normalize import Submission
from accord.leads.protection import PROPOSED_EVENT, lead_changes_to_hold
from accord.leads.services import possible_duplicates_flag
from accord.leads.submissions import lead_apply_fields, lead_link_account, submission_validate
from accord.people.models import User
from accord.qualification.engine import Activity, Evaluation, evaluation_payload
from accord.qualification.selectors import evaluate_lead, next_stage
from accord.routing.tasks import route_lead_later, route_leads_later
from accord.sla.external import external_reviews_hold
from accord.sla.nurture import nurture_tracks_open


@dataclass
class IntakeResult:
    """What happened to one submission."""

    lead: Lead
    created: bool
    changes: dict[str, list[Any]] = field(default_factory=dict)
    account_match: str = ""
    evaluation: Evaluation | None = None
    duplicates_flagged: int = 0


def _lead_existing(email_key: str) -> Lead | None:
    """The lead this email belongs to, locked for the rest of the transaction, or None."""
    # Every submission asks this: a prepared read (accord.core.rows), not a compiled queryset.
    existing = row_first(Lead, "email_key = %s", [email_key], lock=True)
    # An email of a merged lead now belongs to the lead it was merged into.
    while existing is not None and existing.merged_into_id is not None:
        existing = Lead.objects.select_for_update().get(pk=existing.merged_into_id)
    return existing


def lead_intake(
    *,
    data: dict[str, Any],
    channel: str,
    source: Source | None = None,
    actor: User | None = None,
    occurred_at: datetime | None = None,
    hand_off_into: list[HandOff] | None = None,
) -> IntakeResult:
    """Take one submission through the whole pipeline. Raises ApplicationError for bad input.

    ``hand_off_into``: a caller that takes many submissions in one transaction (the submission
    queue's drain) collects each lead's hand-off there and hands them all off at once
    (``leads_hand_off``: one routing task and one duplicate check for the batch, not one per lead).

    Everything it does in the database happens in savepoints of its own, so a caller's transaction
    stays usable whatever it raises: a caller taking many submissions needs no savepoint around it.

    Every door but the API is lenient: a bad optional value (a company size of "lots") is dropped and
    named on the lead's intake event, and the rest of the submission is kept.

    A new lead is matched, scored and staged before it is written, so it is inserted once. Two posts
    for the same new email at the same moment (PostgreSQL lets both look before either inserts): the
    loser's insert breaks the email's unique key, its transaction rolls back whole, and it runs again
    as an update of the lead the winner made. Safe under concurrent posts.
    """
    sub = submission_validate(data, lenient=channel != Channel.API)
    now = occurred_at or timezone.now()
    notes = submission_notes(sub)
    campaign = None
    campaign_ref = str(sub.fields.get("campaign_ref") or "")
    if campaign_ref:
        # In a savepoint, as everything lead_intake writes or reads in a caller's transaction: a
        # failing statement leaves that transaction usable (the queue's drain goes on with its batch).
        with transaction.atomic():
            campaign = campaign_for_reference(campaign_ref)
        if campaign is None:
            notes.append(
                f"The form named campaign {campaign_ref!r}, which matches no campaign (by its id in "
                "another system, its Accord id or its utm_campaign); the touch was recorded without it."
            )
    run = partial(
        _submission_apply,
        sub=sub,
        channel=channel,
        source=source,
        actor=actor,
        now=now,
        notes=notes,
        campaign=campaign,
        hand_off_into=hand_off_into,
    )
    try:
        return run()
    except IntegrityError:
        if not Lead.objects.filter(email_key=sub.email_key).exists():
            raise
        # Another request created the same person a moment ago: update that one instead.
        return run()


def _submission_apply(
    *,
    sub: Submission,
    channel: str,
    source: Source | None,
    actor: User | None,
    now: datetime,
    notes: list[str],
    campaign: Campaign | None,
    hand_off_into: list[HandOff] | None = None,
) -> IntakeResult:
    """``lead_intake``'s transaction: one submission applied to its lead, new or existing."""
    with transaction.atomic():
        existing = _lead_existing(sub.email_key)
        created = existing is None
        lead = existing or Lead(
            email=sub.fields["email"],
            email_key=sub.email_key,
            source=source,
            stage=Stage.INQUIRY,
            stage_changed_at=now,
        )
        # An anonymous post does not overwrite who a protected lead is: it proposes (protection.py).
        held = (
            {}
            if created
            else lead_changes_to_hold(
                lead=lead, submitted=sub.fields, channel=channel, source=source, actor=actor
            )
        )
        if held:
            sub = replace(sub, fields={k: v for k, v in sub.fields.items() if k not in held})
        changes = lead_apply_fields(lead, sub, now=now)
        account_note = ""
        if lead.account_id is None:
            match = lead_link_account(lead)
            account_note = match.how
            if lead.account_id is not None:
                changes["account"] = [None, lead.account_id]
        # A lead not yet written has no events: its activities are this submission's alone.
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
        if created:
            row_save_new(lead)  # the INSERT prepared once per process, the signals as save() sends them
        else:
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
                **({"notes": notes[:50]} if notes else {}),
                **({"campaign": campaign.name} if campaign else {}),
                **(evaluation_payload(evaluation) if evaluation else {}),
            },
        )
        if held:
            event_record(
                type=PROPOSED_EVENT,
                subject=lead,
                channel=channel,
                actor=actor,
                occurred_at=now,
                payload={"changes": held, "source": source.name if source else "", "channel": channel},
            )
        # The submission's own UTM values, not the lead's first-touch ones, name this touch's campaign.
        touchpoint_record_from_intake(
            lead=lead,
            activity=sub.activity,
            channel=channel,
            occurred_at=now,
            utm={name: str(sub.fields.get(name) or "") for name in UTM_FIELDS},
            source=source,
            campaign=campaign,
            member_status=str(sub.fields.get("member_status") or ("Responded" if campaign else "")),
            lead_is_new=created,
        )
        hand_off = HandOff.of_submission(
            lead_id=lead.pk,
            created=created,
            previous_stage=old_stage,
            stage=lead.stage,
            explanation=lead.explanation,
            changes=changes,
            owner_id=lead.owner_id,
            # Nobody else can be on an account made in this transaction: without a phone, a new
            # lead there has no possible duplicate.
            matches_nobody=created and not lead.phone_key and account_note in ("", "created"),
            at=now,
        )
        flagged = 0
        if hand_off_into is None:
            flagged = leads_hand_off(leads=[hand_off], at=now).duplicates_flagged
        else:
            hand_off_into.append(hand_off)
    return IntakeResult(lead, created, changes, account_note, evaluation, flagged)


def submission_notes(sub: Submission) -> list[str]:
    """What a submission sent that the lead does not keep as a field, in plain words for its timeline."""
    notes = [f"Not kept: {name} {why}" for name, why in sub.warnings.items()]
    if sub.ignored:
        notes.append("Form settings read and not stored: " + ", ".join(sub.ignored[:30]))
    return notes


def leads_hand_off(*, leads: Sequence[HandOff], at: datetime) -> HandOffSummary:
    """Hand matched and scored leads on, per lead and in bulk alike, inside the door's transaction.

    The door has written each lead's stage (``next_stage`` of its evaluation). Then, in this order:
    a lead that has just become an MQL and has no owner is routed once the transaction commits (held
    for the external review first when that step is on; its SLA clock starts with the assignment);
    a lead that has just gone to nurture gets its track with a re-check date (C2); a lead that is
    new, or whose phone, name or account changed, is checked for possible duplicates. Nurture leads
    whose new engagement crosses the threshold become MQLs here too. A few queries per call, never
    one per lead.
    """
    new_mqls = [
        h.lead_id
        for h in leads
        if h.stage == Stage.MQL and h.previous_stage != Stage.MQL and h.owner_id is None
    ]
    to_route = external_reviews_hold(lead_ids=new_mqls)
    leads_route_later(lead_ids=to_route)
    # By the moment each entered, and whether the door has just created it (no track can exist yet).
    nurture: dict[tuple[datetime, bool], dict[int, str]] = {}
    for h in leads:
        if h.stage == Stage.NURTURE and h.previous_stage != Stage.NURTURE:
            nurture.setdefault((h.at or at, not h.previous_stage), {})[h.lead_id] = h.explanation
    for (entered_at, new), reasons in nurture.items():
        nurture_tracks_open(reasons=reasons, entered_at=entered_at, new=new)
    flagged = possible_duplicates_flag(lead_ids=[h.lead_id for h in leads if h.check_duplicates])
    return HandOffSummary(
        routed=to_route,
        held_for_review=sorted(set(new_mqls) - set(to_route)),
        nurtured=sorted(pk for reasons in nurture.values() for pk in reasons),
        duplicates_flagged=flagged,
    )


def leads_route_later(*, lead_ids: Sequence[int]) -> None:
    """Route leads once the transaction commits: one lead by its own task, many in batches."""
    if len(lead_ids) == 1:
        route_lead_later(lead_ids[0])
    elif lead_ids:
        route_leads_later(list(lead_ids))
