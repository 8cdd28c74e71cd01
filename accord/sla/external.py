"""Optional external qualification (C2): a third party marks new MQLs ready or not before routing.

When ``ExternalQualificationConfig.enabled``, a lead that becomes an MQL without an owner gets an
``ExternalReview`` instead of being routed. The third party reads pending reviews and posts a
verdict through the API (``accord/sla/external_api.py``): 'ready' routes the lead, 'not_ready' puts
it in nurture with the note as the reason.

Its own SLA: a task runs at ``due_at``; if the review is still pending then, the marketing heads are
told and the lead is routed anyway (verdict 'timed_out'). Sales waiting on a lead that a slow
third party holds back costs more than a rep receiving one unscreened lead, and the rep can still
reject it as not ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import event_record
from accord.core.hooks import Hook
from accord.core.models import Channel
from accord.core.notify import NotificationKind, notify
from accord.leads.models import Lead, Stage
from accord.people import access
from accord.people.access import external_reviews_visible_to
from accord.people.models import Role, User
from accord.sla.models import ExternalQualificationConfig, ExternalReview, ExternalVerdict, NurtureSource

# Who may read and decide reviews through the API: the third party signs in as a user with the
# 'marketing' role (its own account and personal API token); marketing heads and admins may too.
REVIEWER_ROLES = access.EXTERNAL_REVIEWER_ROLES


def user_may_review(user: User) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.has_role(*REVIEWER_ROLES)
    )


# Routing is a sibling of SLA, so this module does not import it: a lead the review clears (or whose
# review timed out) goes to routing through this hook, which the conductor (accord.intake) fills in
# its AppConfig.ready() with routing's "route after commit".
leads_route_later: Hook[..., None] = Hook("route leads after commit")


# --- settings --------------------------------------------------------------------------------------


@transaction.atomic
def external_qualification_configure(
    *, actor: User, enabled: bool, provider_name: str = "", sla_hours: float = 24
) -> ExternalQualificationConfig:
    """Turn the external qualification step on or off, naming the provider and its SLA in hours."""
    if not (getattr(actor, "is_authenticated", False) and actor.has_role(Role.MARKETING_HEAD, Role.ADMIN)):
        raise AccessDenied("Only a marketing head or an admin can configure external qualification.")
    config = ExternalQualificationConfig.current()
    config.enabled, config.provider_name, config.sla_hours = enabled, provider_name.strip(), sla_hours
    config.full_clean()
    config.save()
    event_record(
        type="external_qualification.configured",
        subject=config,
        actor=actor,
        payload={"enabled": enabled, "provider": config.provider_name, "sla_hours": sla_hours},
    )
    return config


# --- the hand-off ----------------------------------------------------------------------------------


def external_review_required(*, lead: Lead) -> bool:
    """Whether a new, unowned MQL must wait for the third party before routing."""
    return (
        lead.stage == Stage.MQL
        and lead.owner_id is None
        and ExternalQualificationConfig.objects.filter(pk=1, enabled=True).exists()
    )


@transaction.atomic
def external_review_request(*, lead: Lead, actor: User | None = None) -> ExternalReview:
    """Hold ``lead`` for the third party's verdict and schedule its deadline. Asking again returns the
    pending review."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    pending = lead.external_reviews.filter(verdict=ExternalVerdict.PENDING).first()
    if pending is not None:
        return pending
    config = ExternalQualificationConfig.current()
    now = timezone.now()
    review = ExternalReview(
        lead=lead,
        provider_name=config.provider_name,
        requested_at=now,
        due_at=now + timedelta(hours=config.sla_hours),
    )
    review.full_clean()
    review.save()
    event_record(
        type="lead.external_review_requested",
        subject=lead,
        actor=actor,
        channel=Channel.SYSTEM,
        occurred_at=now,
        payload={"review": review.pk, "provider": review.provider_name, "due_at": review.due_at.isoformat()},
    )
    from accord.sla.tasks import enqueue_at

    transaction.on_commit(partial(enqueue_at, external_review_due_task, review.due_at, review_id=review.pk))
    return review


def external_reviews_hold(*, lead_ids: Sequence[int]) -> list[int]:
    """The review step of the hand-off, per lead and in bulk: when the step is on, every new, unowned
    MQL among ``lead_ids`` is held for the third party; returns the ids that go on to routing now
    (all of them when the step is off, none when it is on)."""
    if not lead_ids:
        return []
    if not ExternalQualificationConfig.objects.filter(pk=1, enabled=True).exists():
        return list(lead_ids)
    for lead in Lead.objects.filter(pk__in=lead_ids, stage=Stage.MQL, owner__isnull=True).order_by("id"):
        external_review_request(lead=lead)
    return []


def mql_hand_off(*, lead: Lead) -> str:
    """Hand a new, unowned MQL on: to the external review when it is on, else to routing (after commit).

    Returns 'external_review' or 'routed'.
    """
    return mql_hand_off_many([lead.pk])


def mql_hand_off_many(lead_ids: list[int]) -> str:
    """Route the new MQLs (after commit), or hold each for review when the step is on."""
    to_route = external_reviews_hold(lead_ids=lead_ids)
    if to_route or not lead_ids:
        leads_route_later(lead_ids=to_route)
        return "routed"
    return "external_review"


# --- reads -----------------------------------------------------------------------------------------


def external_reviews_for(*, user: User, status: str = "pending") -> QuerySet[ExternalReview]:
    """Reviews the user may see: 'pending', 'decided' or 'all'."""
    if not user_may_review(user):
        raise AccessDenied("Only marketing (or the external qualification provider's account) sees reviews.")
    qs = external_reviews_visible_to(user).select_related("lead", "lead__account").order_by("due_at", "id")
    if status == "pending":
        return qs.filter(verdict=ExternalVerdict.PENDING)
    if status == "decided":
        return qs.exclude(verdict=ExternalVerdict.PENDING)
    if status == "all":
        return qs
    raise ApplicationError("Unknown status.", detail={"status": "use one of pending, decided, all"})


def external_review_get(*, user: User, review_id: int) -> ExternalReview:
    review = external_reviews_for(user=user, status="all").filter(pk=review_id).first()
    if review is None:
        raise NotFound(f"External review {review_id} was not found.", detail={"id": review_id})
    return review


# --- writes ----------------------------------------------------------------------------------------


@transaction.atomic
def external_review_decide(
    *, review: ExternalReview, user: User, verdict: str, note: str = "", channel: str = Channel.API
) -> ExternalReview:
    """Record the third party's verdict: 'ready' routes the lead, 'not_ready' puts it in nurture."""
    from accord.sla.nurture import nurture_enter

    if not user_may_review(user):
        raise AccessDenied(
            "Only marketing (or the external qualification provider's account) decides reviews."
        )
    if verdict not in (ExternalVerdict.READY, ExternalVerdict.NOT_READY):
        raise ApplicationError("Unknown verdict.", detail={"verdict": "use ready or not_ready"})
    note = (note or "").strip()
    review = ExternalReview.objects.select_for_update().select_related("lead").get(pk=review.pk)
    if not review.is_pending:
        raise Conflict(
            f"This review was already closed: {review.get_verdict_display()}.",
            detail={"verdict": review.verdict},
        )
    now = timezone.now()
    review.verdict, review.note, review.decided_by, review.decided_at = verdict, note, user, now
    review.save(update_fields=["verdict", "note", "decided_by", "decided_at", "updated_at"])
    lead = Lead.objects.select_for_update().get(pk=review.lead_id)
    event_record(
        type="lead.external_review_decided",
        subject=lead,
        actor=user,
        channel=channel,
        occurred_at=now,
        payload={"review": review.pk, "verdict": verdict, "note": note, "provider": review.provider_name},
    )
    if lead.stage != Stage.MQL or lead.owner_id is not None:
        return review  # the lead moved on meanwhile (re-scored, merged, assigned by hand): verdict noted only
    if verdict == ExternalVerdict.READY:
        leads_route_later(lead_ids=[lead.pk])
    else:
        nurture_enter(
            lead=lead,
            reason=f"external qualification: not ready{': ' + note if note else ''}",
            source=NurtureSource.EXTERNAL,
            actor=user,
            channel=channel,
        )
    return review


def _marketing_heads() -> list[User]:
    heads = list(User.objects.filter(is_active=True, roles__role=Role.MARKETING_HEAD).distinct())
    return heads or list(User.objects.filter(is_active=True, roles__role=Role.ADMIN).distinct())


@transaction.atomic
def external_review_expire(*, review_id: int) -> bool:
    """At the review's deadline: if no verdict came, tell the marketing heads and route the lead anyway."""
    review = ExternalReview.objects.select_for_update().filter(pk=review_id).first()
    now = timezone.now()
    if review is None or not review.is_pending or now < review.due_at:
        return False
    review.verdict, review.decided_at = ExternalVerdict.TIMED_OUT, now
    review.save(update_fields=["verdict", "decided_at", "updated_at"])
    lead = Lead.objects.select_for_update().get(pk=review.lead_id)
    routed = lead.stage == Stage.MQL and lead.owner_id is None
    event_record(
        type="lead.external_review_timed_out",
        subject=lead,
        channel=Channel.TASK,
        occurred_at=now,
        payload={
            "review": review.pk,
            "provider": review.provider_name,
            "due_at": review.due_at.isoformat(),
            "routed": routed,
        },
    )
    provider = review.provider_name or "The external qualification provider"
    for head in _marketing_heads():
        notify(
            user=head,
            kind=NotificationKind.EXTERNAL_REVIEW_OVERDUE,
            lead=lead,
            subject=f"No external verdict in time for {lead}",
            body=(
                f"{provider} did not mark {lead} ready or not ready by "
                f"{review.due_at:%Y-%m-%d %H:%M} UTC. "
                + ("The lead was routed to sales without the verdict." if routed else "")
            ),
        )
    if routed:
        leads_route_later(lead_ids=[lead.pk])
    return True


@task()
def external_review_due_task(review_id: int) -> bool:
    return external_review_expire(review_id=review_id)
