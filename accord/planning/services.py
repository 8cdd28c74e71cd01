"""Writes for joint planning. Every write asks ``accord.people.access`` whether the person may act on the
record (or, to create one, use the feature), keeps the
rules of the issue (SMART goals, drastic changes explained and acknowledged before publishing,
disagreements that climb the chain of command) and appends an event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accord.campaigns import attribution
from accord.campaigns.models import Campaign
from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.core.notify import notify
from accord.people import access
from accord.people.models import Role, Team, User
from accord.planning import selectors as sel
from accord.planning.escalation import decision_chain, due_for
from accord.planning.models import (
    ActionItem,
    Attendance,
    ChangeKind,
    Decision,
    Disagreement,
    DisagreementStatus,
    DisagreementStep,
    DrasticChange,
    Goal,
    ItemComment,
    ItemKind,
    Meeting,
    MeetingKind,
    Metric,
    Plan,
    PlanItem,
    PlanStatus,
    PlanVersion,
    Preview,
    Promise,
    PromiseSource,
    ProspectProfile,
    Side,
    StepKind,
    VersionKind,
)

# The pre-planning meeting's agenda (A3): the heads' standing items, then the contested ones.
PRE_PLANNING_AGENDA = """1. Sales goals for the year
2. Marketing goals, and the sales goals each one serves
3. SMART lead strategies: specific, measurable targets with dates
4. The 1-2 reps who will review creative work
5. Dates for presenting the plan to the sales teams
Contested items
6. Strategies that will not involve sales
7. Next year's prospect profile: how it differs from today's customers and open pipeline
8. Recommended changes to sales materials and tactics"""

TEAM_MEETING_AGENDA = """1. The plan's tactics that involve this team
2. What the team needs from marketing
3. Promises made, and their due dates"""


def _clean(text: Any) -> str:
    return str(text or "").strip()


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AccessDenied(message)


# --- goals -----------------------------------------------------------------------------------------------


def goal_smart_problems(
    *,
    metric: str | None,
    unit: str,
    target: Any,
    period_start: date | None,
    period_end: date | None,
    owner: User | None,
) -> dict[str, str]:
    """What keeps a goal from being SMART, per field (empty: it is)."""
    problems: dict[str, str] = {}
    if not metric:
        problems["metric"] = "a measurable metric is missing"
    elif metric not in Metric.values:
        problems["metric"] = f"{metric!r} is not a metric Accord knows; use one of {', '.join(Metric.values)}"
    elif metric == Metric.CUSTOM and not unit:
        problems["unit"] = "a custom metric must say what is counted"
    number = _number(target)
    if number is None:
        problems["target"] = "a number (the target) is missing"
    elif number <= 0:
        problems["target"] = "the target must be a number above zero"
    if period_end is None:
        problems["period_end"] = "a deadline (the period's end) is missing"
    if period_start is None:
        problems["period_start"] = "the period's start is missing"
    if period_start and period_end and period_end < period_start:
        problems["period_end"] = "the deadline is before the period starts"
    if owner is None:
        problems["owner"] = "an owner is missing"
    return problems


def _smart_refusal(problems: dict[str, str]) -> ApplicationError:
    return ApplicationError(
        "This goal is not SMART: " + "; ".join(problems.values()) + ".", detail=problems, status=422
    )


@transaction.atomic
def goal_create(
    *,
    actor: User,
    side: str,
    title: str = "",
    metric: str | None = None,
    unit: str = "",
    target: Any = None,
    period_start: date | None = None,
    period_end: date | None = None,
    owner: User | None = None,
    team: Team | None = None,
    plan: Plan | None = None,
    serves: Sequence[Goal] = (),
    channel: str = Channel.PAGE,
) -> Goal:
    """A new SMART goal; a marketing goal may serve sales goals. Refuses (422) naming what is missing."""
    if side not in Side.values:
        raise ApplicationError(
            "Say whose goal this is: side must be sales or marketing.",
            detail={"side": "sales or marketing"},
            status=422,
        )
    _require(access.may_set_goal(actor, side), f"Your role may not set {side} goals.")
    problems = goal_smart_problems(
        metric=metric,
        unit=_clean(unit),
        target=target,
        period_start=period_start,
        period_end=period_end,
        owner=owner,
    )
    if problems:
        raise _smart_refusal(problems)
    if serves and side != Side.MARKETING:
        raise ApplicationError(
            "Only a marketing goal serves sales goals.",
            detail={"serves": "only for marketing goals"},
            status=422,
        )
    wrong = [g.pk for g in serves if g.side != Side.SALES]
    if wrong:
        raise ApplicationError(
            "A marketing goal serves sales goals only.",
            detail={"serves": f"not sales goals: {wrong}"},
            status=422,
        )
    # goal_smart_problems refused every missing part; this tells the type checker.
    assert metric and owner and period_start and period_end
    goal = Goal.objects.create(
        side=side,
        title=_clean(title) or f"{Metric(metric).label} {target}",
        metric=metric,
        unit=_clean(unit),
        target=_number(target) or Decimal(0),
        period_start=period_start,
        period_end=period_end,
        owner=owner,
        team=team,
        plan=plan,
        created_by=actor,
    )
    goal.serves.set(serves)
    event_record(
        type="planning.goal_created",
        subject=goal,
        actor=actor,
        channel=channel,
        payload={
            "side": side,
            "metric": metric,
            "target": str(goal.target),
            "serves": [g.pk for g in serves],
        },
    )
    return goal


@transaction.atomic
def goal_progress_report(*, goal: Goal, actor: User, value: Any) -> Goal:
    """Record the count so far of a goal Accord does not measure itself."""
    goal = access.access_goal_by_id(actor, goal.pk, action="act", lock=True)
    if goal.is_measured:
        raise Conflict("Accord measures this goal's progress itself.", detail={"metric": goal.metric})
    number = _number(value)
    if number is None or number < 0:
        raise ApplicationError(
            "Progress must be a number, zero or more.", detail={"value": "not a number"}, status=422
        )
    goal.reported_progress = number
    goal.save(update_fields=["reported_progress", "updated_at"])
    event_record(type="planning.goal_progress", subject=goal, actor=actor, payload={"value": str(number)})
    return goal


# --- plans and their versions --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """One item of a version as given by a form or the API."""

    kind: str
    title: str
    amount: Decimal | None = None
    key: str = ""
    description: str = ""
    involves_sales: bool = True
    benefit_for_sales: str = ""
    campaign_ids: tuple[int, ...] = ()


def _check_items(items: Sequence[ItemSpec]) -> list[ItemSpec]:
    checked: list[ItemSpec] = []
    keys: set[str] = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if item.kind not in ItemKind.values:
            raise ApplicationError(
                f"Item {index + 1}: kind must be strategy, target or budget.",
                detail={where: "unknown kind"},
                status=422,
            )
        title = _clean(item.title)
        if not title:
            raise ApplicationError(
                f"Item {index + 1} needs a title.", detail={where: "title missing"}, status=422
            )
        if item.kind in (ItemKind.TARGET, ItemKind.BUDGET) and (item.amount is None or item.amount < 0):
            noun = "number" if item.kind == ItemKind.TARGET else "amount of money"
            raise ApplicationError(
                f"Item {index + 1} ({title}) needs a {noun}, zero or more.",
                detail={where: "amount missing"},
                status=422,
            )
        key = slugify(item.key or title)[:80]
        if not key:
            raise ApplicationError(
                f"Item {index + 1} needs a key made of letters or digits.", detail={where: "key"}, status=422
            )
        if key in keys:
            raise ApplicationError(
                f"Two items share the key {key!r}; give each item its own.",
                detail={where: "duplicate key"},
                status=422,
            )
        keys.add(key)
        checked.append(
            ItemSpec(
                kind=item.kind,
                title=title,
                amount=item.amount,
                key=key,
                description=_clean(item.description),
                involves_sales=item.involves_sales,
                benefit_for_sales=_clean(item.benefit_for_sales),
                campaign_ids=tuple(item.campaign_ids),
            )
        )
    return checked


@transaction.atomic
def plan_create(
    *,
    actor: User,
    name: str,
    fiscal_year: int,
    executive_sponsor: User | None = None,
    target_threshold_pct: int = 20,
    budget_threshold_pct: int = 15,
    escalation_business_days: int = 3,
    attribution_model: str = attribution.LINEAR,
    pre_plan: Sequence[ItemSpec] | None = None,
    plan_items: Sequence[ItemSpec] | None = None,
    channel: str = Channel.PAGE,
) -> Plan:
    """A new draft plan (marketing), with its pre-plan and plan items when given."""
    _require(access.may_edit_plans(actor), "Only marketing and admins may create plans.")
    if not _clean(name):
        raise ApplicationError("A plan needs a name.", detail={"name": "missing"}, status=422)
    if not 2000 <= int(fiscal_year) <= 2100:
        raise ApplicationError(
            "The fiscal year must be a year such as 2027.", detail={"fiscal_year": "out of range"}, status=422
        )
    for field, value in (
        ("target_threshold_pct", target_threshold_pct),
        ("budget_threshold_pct", budget_threshold_pct),
    ):
        if not 0 <= int(value) <= 1000:
            raise ApplicationError(
                f"{field} must be a percentage from 0 to 1000.", detail={field: "out of range"}, status=422
            )
    if not 1 <= int(escalation_business_days) <= 60:
        raise ApplicationError(
            "Disagreements must climb after 1 to 60 business days.",
            detail={"escalation_business_days": "out of range"},
            status=422,
        )
    if attribution_model not in attribution.MODELS:
        raise ApplicationError(
            f"Unknown attribution model; use one of {', '.join(attribution.MODELS)}.",
            detail={"attribution_model": "unknown"},
            status=422,
        )
    plan = Plan.objects.create(
        name=_clean(name),
        fiscal_year=int(fiscal_year),
        executive_sponsor=executive_sponsor,
        target_threshold_pct=int(target_threshold_pct),
        budget_threshold_pct=int(budget_threshold_pct),
        escalation_business_days=int(escalation_business_days),
        attribution_model=attribution_model,
        created_by=actor,
    )
    event_record(
        type="planning.plan_created", subject=plan, actor=actor, channel=channel, payload={"name": plan.name}
    )
    if pre_plan is not None:
        plan_version_set(plan=plan, actor=actor, kind=VersionKind.PRE_PLAN, items=pre_plan, channel=channel)
    if plan_items is not None:
        plan_version_set(plan=plan, actor=actor, kind=VersionKind.PLAN, items=plan_items, channel=channel)
    return plan


def _require_draft(plan: Plan) -> None:
    if plan.status == PlanStatus.PUBLISHED:
        raise Conflict("This plan is published; it no longer changes.", detail={"status": "published"})


@transaction.atomic
def plan_version_set(
    *, plan: Plan, actor: User, kind: str, items: Sequence[ItemSpec], channel: str = Channel.PAGE
) -> PlanVersion:
    """Replace a version's items (the pre-plan or the plan) and work out the drastic changes again."""
    plan = access.access_plan_by_id(actor, plan.pk, action="act", lock=True)
    if kind not in VersionKind.values:
        raise ApplicationError("The version is pre_plan or plan.", detail={"kind": "unknown"}, status=422)
    _require_draft(plan)
    checked = _check_items(items)
    version, _ = PlanVersion.objects.get_or_create(plan=plan, kind=kind)
    # Items are matched by key and changed in place, so the comments and disagreements on an item that
    # stays keep pointing at it; an item sales has discussed is never removed with its history.
    keys = {spec.key for spec in checked}
    leaving = version.items.exclude(key__in=keys)
    discussed = sorted(
        leaving.filter(Q(comments__isnull=False) | Q(disagreements__isnull=False))
        .values_list("title", flat=True)
        .distinct()
    )
    if discussed:
        raise Conflict(
            f"Sales has commented on or disagreed with {', '.join(discussed)}: keep the item (change its number or "
            "description) so the discussion stays with it.",
            detail={"items": discussed},
        )
    leaving.delete()
    unknown = {c for spec in checked for c in spec.campaign_ids} - set(
        Campaign.objects.filter(pk__in=[c for spec in checked for c in spec.campaign_ids]).values_list(
            "pk", flat=True
        )
    )
    if unknown:
        raise ApplicationError(
            f"No campaigns {sorted(unknown)}.", detail={"campaigns": "unknown ids"}, status=422
        )
    for spec in checked:
        item, _ = PlanItem.objects.update_or_create(
            version=version,
            key=spec.key,
            defaults={
                "kind": spec.kind,
                "title": spec.title,
                "amount": spec.amount,
                "description": spec.description,
                "involves_sales": spec.involves_sales,
                "benefit_for_sales": spec.benefit_for_sales,
            },
        )
        item.campaigns.set(spec.campaign_ids)
    version.save(update_fields=["updated_at"])
    drastic_changes_refresh(plan=plan)
    event_record(
        type="planning.version_set",
        subject=plan,
        actor=actor,
        channel=channel,
        payload={"kind": kind, "items": len(checked)},
    )
    return version


@transaction.atomic
def plan_item_add(*, plan: Plan, actor: User, kind: str, spec: ItemSpec) -> PlanItem:
    """Add one item to a version (the page's form): the version's items plus this one."""
    existing = [
        ItemSpec(
            kind=i.kind,
            title=i.title,
            amount=i.amount,
            key=i.key,
            description=i.description,
            involves_sales=i.involves_sales,
            benefit_for_sales=i.benefit_for_sales,
            campaign_ids=tuple(c.pk for c in i.campaigns.all()),
        )
        for i in sel.version_items(plan, kind)
    ]
    version = plan_version_set(plan=plan, actor=actor, kind=kind, items=[*existing, spec])
    key = slugify(spec.key or spec.title)[:80]
    return version.items.get(key=key)


def _moved_beyond(before: Decimal | None, after: Decimal | None, threshold_pct: int) -> bool:
    if before is None or after is None:
        return before != after
    if before == 0:
        return after != 0
    return abs(after - before) * 100 > abs(before) * threshold_pct


def drastic_changes_between(plan: Plan) -> list[tuple[str, str, str, Decimal | None, Decimal | None]]:
    """Changes from pre-plan to plan beyond the plan's thresholds: (key, kind, title, before, after).
    Without a pre-plan nothing is drastic (there is nothing to change from)."""
    before = {i.key: i for i in sel.version_items(plan, VersionKind.PRE_PLAN)}
    after = {i.key: i for i in sel.version_items(plan, VersionKind.PLAN)}
    if not before or not after:
        return []
    changes: list[tuple[str, str, str, Decimal | None, Decimal | None]] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        kind = (new or old).kind  # type: ignore[union-attr]
        title = (new or old).title  # type: ignore[union-attr]
        if kind == ItemKind.STRATEGY:
            if old is None:
                changes.append((key, ChangeKind.STRATEGY_ADDED, title, None, None))
            elif new is None:
                changes.append((key, ChangeKind.STRATEGY_DROPPED, title, None, None))
        elif old is not None and new is not None:
            threshold = plan.target_threshold_pct if kind == ItemKind.TARGET else plan.budget_threshold_pct
            if _moved_beyond(old.amount, new.amount, threshold):
                change = ChangeKind.TARGET_MOVED if kind == ItemKind.TARGET else ChangeKind.BUDGET_MOVED
                changes.append((key, change, title, old.amount, new.amount))
        else:
            # A target or budget line that appears or disappears moves by 100%.
            change = ChangeKind.TARGET_MOVED if kind == ItemKind.TARGET else ChangeKind.BUDGET_MOVED
            changes.append(
                (key, change, title, old.amount if old else Decimal(0), new.amount if new else Decimal(0))
            )
    return changes


def drastic_changes_refresh(*, plan: Plan) -> list[DrasticChange]:
    """Bring the plan's drastic changes up to date. An explanation survives only while the change it
    explains stays the same (same kind, same before and after); otherwise it must be given again."""
    found = drastic_changes_between(plan)
    wanted = {(key, kind) for key, kind, *_ in found}
    plan.drastic_changes.exclude(
        pk__in=[c.pk for c in plan.drastic_changes.all() if (c.key, c.kind) in wanted]
    ).delete()
    result: list[DrasticChange] = []
    for key, kind, title, before, after in found:
        change, created = DrasticChange.objects.get_or_create(
            plan=plan, key=key, kind=kind, defaults={"title": title, "before": before, "after": after}
        )
        if not created and (change.before, change.after) != (before, after):
            change.before, change.after, change.title = before, after, title
            change.explanation, change.explained_at, change.explained_by = "", None, None
            change.acknowledged_at, change.acknowledged_by = None, None
            change.save()
        result.append(change)
    return result


def _sales_leads() -> Iterable[User]:
    return User.objects.filter(roles__role__in=[Role.SALES_HEAD], is_active=True).distinct()


@transaction.atomic
def drastic_change_explain(
    *, change: DrasticChange, actor: User, explanation: str, channel: str = Channel.PAGE
) -> DrasticChange:
    """Marketing explains a drastic change; a new explanation needs sales' acknowledgement again."""
    change = access.access_drastic_change_by_id(actor, change.pk, action="explain")
    _require_draft(change.plan)
    text = _clean(explanation)
    if not text:
        raise ApplicationError(
            "Write the explanation sales will read.", detail={"explanation": "missing"}, status=422
        )
    change = DrasticChange.objects.select_for_update().get(pk=change.pk)
    change.explanation, change.explained_by, change.explained_at = text, actor, timezone.now()
    change.acknowledged_at, change.acknowledged_by = None, None
    change.save()
    event_record(
        type="planning.change_explained",
        subject=change.plan,
        actor=actor,
        channel=channel,
        payload={"change": change.pk, "kind": change.kind, "key": change.key},
    )
    for lead in _sales_leads():
        notify(
            user=lead,
            kind="plan_change_explained",
            subject=f"Plan change explained: {change.title}",
            body=text,
            url=f"/planning/plans/{change.plan_id}/diff/",
        )
    return change


@transaction.atomic
def drastic_change_acknowledge(
    *, change: DrasticChange, actor: User, channel: str = Channel.PAGE
) -> DrasticChange:
    """Sales leadership acknowledges marketing's explanation of a drastic change."""
    change = access.access_drastic_change_by_id(actor, change.pk, action="acknowledge")
    _require_draft(change.plan)
    change = DrasticChange.objects.select_for_update().get(pk=change.pk)
    if not change.explained_at:
        raise Conflict(
            "Marketing has not explained this change yet: there is nothing to acknowledge.",
            detail={"explanation": "missing"},
        )
    change.acknowledged_by, change.acknowledged_at = actor, timezone.now()
    change.save(update_fields=["acknowledged_by", "acknowledged_at", "updated_at"])
    event_record(
        type="planning.change_acknowledged",
        subject=change.plan,
        actor=actor,
        channel=channel,
        payload={"change": change.pk},
    )
    return change


@transaction.atomic
def plan_publish(*, plan: Plan, actor: User, channel: str = Channel.PAGE) -> Plan:
    """Publish the plan: refused (409) while a drastic change is unexplained or unacknowledged, or a
    disagreement is open."""
    plan = access.access_plan_by_id(actor, plan.pk, action="publish", lock=True)
    _require_draft(plan)
    blockers = sel.publish_blockers(plan)
    if blockers:
        raise Conflict(
            "The plan cannot be published yet: " + " ".join(blockers), detail={"blockers": blockers}
        )
    plan.status, plan.published_at, plan.published_by = PlanStatus.PUBLISHED, timezone.now(), actor
    plan.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    event_record(type="planning.plan_published", subject=plan, actor=actor, channel=channel)
    return plan


# --- previews, comments, disagreements -----------------------------------------------------------------


@transaction.atomic
def previews_send(
    *, plan: Plan, actor: User, teams: Sequence[Team], channel: str = Channel.PAGE
) -> list[Preview]:
    """Submit the plan to each sales team: a preview per team, and a notification to its members."""
    plan = access.access_plan_by_id(actor, plan.pk, action="preview")
    _require_draft(plan)
    version = sel.plan_version(plan, VersionKind.PLAN)
    if version is None or not version.items.exists():
        raise Conflict("Add the plan's items before submitting it to sales.", detail={"plan": "no items"})
    if not teams:
        raise ApplicationError("Choose at least one sales team.", detail={"teams": "missing"}, status=422)
    if version.submitted_at is None:
        version.submitted_at = timezone.now()
        version.save(update_fields=["submitted_at", "updated_at"])
    previews: list[Preview] = []
    for team in teams:
        preview, created = Preview.objects.get_or_create(plan=plan, team=team, defaults={"sent_by": actor})
        previews.append(preview)
        if not created:
            continue
        event_record(
            type="planning.preview_sent",
            subject=plan,
            actor=actor,
            channel=channel,
            payload={"team": team.pk},
        )
        for member in sel.team_members(team):
            notify(
                user=member,
                kind="plan_preview",
                subject=f"Plan preview to comment: {plan.name}",
                body=f"Marketing submitted {plan.name} to {team.name}. Comment on its items; "
                "your team lead marks the preview done.",
                url=f"/planning/previews/{preview.pk}/",
            )
    return previews


def _item_in_plan(item: PlanItem, plan: Plan) -> None:
    if item.version.plan_id != plan.pk:
        raise ApplicationError(
            "That item belongs to another plan.", detail={"item": "other plan"}, status=422
        )


@transaction.atomic
def item_comment_add(
    *, preview: Preview, item: PlanItem, actor: User, body: str, channel: str = Channel.PAGE
) -> ItemComment:
    """A team member's comment on a plan item in their team's preview."""
    preview = access.access_preview_by_id(actor, preview.pk, action="comment")
    _item_in_plan(item, preview.plan)
    _require_draft(preview.plan)
    text = _clean(body)
    if not text:
        raise ApplicationError("Write the comment.", detail={"body": "missing"}, status=422)
    comment = ItemComment.objects.create(item=item, preview=preview, author=actor, body=text)
    event_record(
        type="planning.item_commented",
        subject=preview.plan,
        actor=actor,
        channel=channel,
        payload={"item": item.pk, "preview": preview.pk},
    )
    return comment


@transaction.atomic
def preview_mark_done(*, preview: Preview, actor: User, channel: str = Channel.PAGE) -> Preview:
    """The team lead says the team has gone through the preview."""
    preview = access.access_preview_by_id(actor, preview.pk, action="done", lock=True)
    if preview.done_at is None:
        preview.done_by, preview.done_at = actor, timezone.now()
        preview.save(update_fields=["done_by", "done_at", "updated_at"])
        event_record(
            type="planning.preview_done",
            subject=preview.plan,
            actor=actor,
            channel=channel,
            payload={"preview": preview.pk},
        )
    return preview


def _notify_decider(disagreement: Disagreement, escalated: bool) -> None:
    if disagreement.assignee is None:
        return
    due = (
        timezone.localtime(disagreement.due_at).strftime("%Y-%m-%d %H:%M") if disagreement.due_at else "soon"
    )
    how = "climbed to you" if escalated else "is waiting on you"
    notify(
        user=disagreement.assignee,
        kind="plan_disagreement",
        subject=f"Plan disagreement {how}: {disagreement.item.title}",
        body=f"{disagreement.raised_by} disagrees: {disagreement.body}\nDecide by {due}.",
        url=f"/planning/disagreements/{disagreement.pk}/",
    )


@transaction.atomic
def disagreement_raise(
    *, item: PlanItem, actor: User, body: str, preview: Preview | None = None, channel: str = Channel.PAGE
) -> Disagreement:
    """Anyone who may comment raises a disagreement on an item; it goes to the first person up their
    chain of command (then the plan's executive sponsor), due in the plan's number of business days."""
    plan = item.version.plan
    if preview is not None:
        _item_in_plan(item, preview.plan)
        access.access_preview_by_id(actor, preview.pk, action="disagree")
    else:
        access.access_plan_item_by_id(actor, item.pk, action="disagree")
    _require_draft(plan)
    text = _clean(body)
    if not text:
        raise ApplicationError("Say what you disagree with.", detail={"body": "missing"}, status=422)
    chain = decision_chain(actor, plan.executive_sponsor)
    now = timezone.now()
    assignee = chain[0] if chain else None
    due_at = due_for(assignee, now, plan.escalation_business_days) if assignee else None
    disagreement = Disagreement.objects.create(
        plan=plan, item=item, raised_by=actor, body=text, assignee=assignee, due_at=due_at, level=1
    )
    DisagreementStep.objects.create(
        disagreement=disagreement,
        kind=StepKind.RAISED,
        at=now,
        actor=actor,
        assignee=assignee,
        level=1,
        due_at=due_at,
        note=text,
    )
    event_record(
        type="planning.disagreement_raised",
        subject=disagreement,
        actor=actor,
        channel=channel,
        payload={"item": item.pk, "assignee": getattr(assignee, "pk", None)},
    )
    _notify_decider(disagreement, escalated=False)
    return disagreement


def disagreement_escalate(*, disagreement: Disagreement, now: datetime | None = None) -> bool:
    """Move one overdue disagreement to the next person up (idempotent: a disagreement not yet due, or
    resolved, or already at the top, stays). Returns whether it climbed."""
    now = now or timezone.now()
    with transaction.atomic():
        d = (
            Disagreement.objects.select_for_update()
            .select_related("plan", "raised_by", "item")
            .get(pk=disagreement.pk)
        )
        if d.status != DisagreementStatus.OPEN or d.due_at is None or d.due_at > now:
            return False
        chain = decision_chain(d.raised_by, d.plan.executive_sponsor)
        ids = [u.pk for u in chain]
        position = ids.index(d.assignee_id) if d.assignee_id in ids else -1
        if position + 1 >= len(chain):
            return False  # the top of the chain decides; nobody above to climb to
        above = chain[position + 1]
        # The next level's time starts when its time was due, so a late sweep does not give extra days.
        d.assignee, d.level = above, d.level + 1
        d.due_at = due_for(above, d.due_at, d.plan.escalation_business_days)
        d.save(update_fields=["assignee", "level", "due_at", "updated_at"])
        DisagreementStep.objects.create(
            disagreement=d,
            kind=StepKind.ESCALATED,
            at=now,
            assignee=above,
            level=d.level,
            due_at=d.due_at,
            note=f"Not resolved in {d.plan.escalation_business_days} business days.",
        )
        event_record(
            type="planning.disagreement_escalated",
            subject=d,
            channel=Channel.TASK,
            payload={"level": d.level, "assignee": above.pk},
        )
        _notify_decider(d, escalated=True)
    return True


def disagreements_escalate_due(*, now: datetime | None = None) -> int:
    """Climb every overdue disagreement one level (repeatedly, when a sweep comes late); returns how many
    steps were taken. Reads the overdue ones through the (status, due_at) index."""
    now = now or timezone.now()
    climbed = 0
    for _round in range(20):  # a chain is never this long; the bound stops a loop
        due = list(Disagreement.objects.filter(status=DisagreementStatus.OPEN, due_at__lte=now).only("pk"))
        moved = sum(1 for d in due if disagreement_escalate(disagreement=d, now=now))
        climbed += moved
        if not moved:
            break
    return climbed


@transaction.atomic
def disagreement_resolve(
    *, disagreement: Disagreement, actor: User, resolution: str, channel: str = Channel.PAGE
) -> Disagreement:
    """Someone with authority decides; the decision and its history are kept."""
    d = access.access_disagreement_by_id(actor, disagreement.pk, action="resolve", lock=True)
    if d.status != DisagreementStatus.OPEN:
        raise Conflict("This disagreement is already resolved.", detail={"status": d.status})
    text = _clean(resolution)
    if not text:
        raise ApplicationError("Write the decision.", detail={"resolution": "missing"}, status=422)
    now = timezone.now()
    d.status, d.resolution, d.resolved_by, d.resolved_at = DisagreementStatus.RESOLVED, text, actor, now
    d.save(update_fields=["status", "resolution", "resolved_by", "resolved_at", "updated_at"])
    DisagreementStep.objects.create(
        disagreement=d, kind=StepKind.RESOLVED, at=now, actor=actor, level=d.level, note=text
    )
    event_record(
        type="planning.disagreement_resolved",
        subject=d,
        actor=actor,
        channel=channel,
        payload={"level": d.level},
    )
    return d


# --- meetings, decisions, action items, promises -------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor: User,
    kind: str,
    title: str,
    starts_at: datetime | None,
    plan: Plan | None = None,
    team: Team | None = None,
    attendees: Sequence[User] = (),
    items: Sequence[PlanItem] = (),
    agenda: str = "",
    channel: str = Channel.PAGE,
) -> Meeting:
    """A pre-planning meeting (agenda from the template) or a team's meeting on the tactics that involve
    it (the team's members invited, the plan items attached)."""
    _require(
        access.may_call_meetings(actor),
        "Only marketing, sales managers, the heads and admins call planning meetings.",
    )
    if kind not in MeetingKind.values:
        raise ApplicationError(
            "A meeting is a pre-planning or a team meeting.", detail={"kind": "unknown"}, status=422
        )
    if starts_at is None:
        raise ApplicationError("Say when the meeting starts.", detail={"starts_at": "missing"}, status=422)
    if kind == MeetingKind.TEAM and team is None:
        raise ApplicationError("A team meeting needs its sales team.", detail={"team": "missing"}, status=422)
    default = PRE_PLANNING_AGENDA if kind == MeetingKind.PRE_PLANNING else TEAM_MEETING_AGENDA
    meeting = Meeting.objects.create(
        kind=kind,
        title=_clean(title)
        or ("Pre-planning meeting" if kind == MeetingKind.PRE_PLANNING else f"{team} tactics meeting"),
        plan=plan,
        team=team,
        starts_at=starts_at,
        agenda=_clean(agenda) or default,
        created_by=actor,
    )
    people = list(attendees) or (list(sel.team_members(team)) if team else [])
    for person in {p.pk: p for p in people}.values():
        Attendance.objects.create(meeting=meeting, user=person)
    for item in items:
        if plan is not None:
            _item_in_plan(item, plan)
    meeting.items.set(items)
    event_record(
        type="planning.meeting_created", subject=meeting, actor=actor, channel=channel, payload={"kind": kind}
    )
    return meeting


def _require_runner(actor: User, meeting: Meeting) -> None:
    access.access_meeting_by_id(actor, meeting.pk, action="run")


@transaction.atomic
def attendance_record(*, meeting: Meeting, actor: User, present: Sequence[User]) -> list[Attendance]:
    """Who came: the invited people listed are present, the others absent (someone not invited who came
    is added)."""
    _require_runner(actor, meeting)
    present_ids = {u.pk for u in present}
    for user in present:
        Attendance.objects.get_or_create(meeting=meeting, user=user)
    meeting.attendance.update(attended=False)
    meeting.attendance.filter(user_id__in=present_ids).update(attended=True)
    event_record(
        type="planning.attendance", subject=meeting, actor=actor, payload={"present": sorted(present_ids)}
    )
    return list(meeting.attendance.select_related("user"))


@transaction.atomic
def decision_add(*, meeting: Meeting, actor: User, text: str) -> Decision:
    _require_runner(actor, meeting)
    if not _clean(text):
        raise ApplicationError("Write the decision.", detail={"text": "missing"}, status=422)
    decision = Decision.objects.create(meeting=meeting, text=_clean(text))
    event_record(type="planning.decision", subject=meeting, actor=actor, payload={"decision": decision.pk})
    return decision


@transaction.atomic
def action_item_add(
    *, meeting: Meeting, actor: User, title: str, owner: User | None, due_on: date | None
) -> ActionItem:
    _require_runner(actor, meeting)
    problems = {}
    if not _clean(title):
        problems["title"] = "missing"
    if owner is None:
        problems["owner"] = "missing"
    if due_on is None:
        problems["due_on"] = "missing"
    if problems:
        raise ApplicationError(
            "An action item needs what, who and by when: " + ", ".join(problems) + " missing.",
            detail=problems,
            status=422,
        )
    assert owner is not None and due_on is not None
    action = ActionItem.objects.create(meeting=meeting, title=_clean(title), owner=owner, due_on=due_on)
    event_record(type="planning.action_item", subject=meeting, actor=actor, payload={"action": action.pk})
    return action


@transaction.atomic
def action_item_done(*, action: ActionItem, actor: User) -> ActionItem:
    action = access.access_action_item_by_id(actor, action.pk, action="done", lock=True)
    if action.done_at is None:
        action.done_at = timezone.now()
        action.save(update_fields=["done_at", "updated_at"])
        event_record(
            type="planning.action_done", subject=action.meeting, actor=actor, payload={"action": action.pk}
        )
    return action


@transaction.atomic
def promise_make(
    *,
    actor: User,
    title: str,
    owner: User | None,
    due_on: date | None,
    made_in: str = PromiseSource.MEETING,
    meeting: Meeting | None = None,
    plan: Plan | None = None,
    team: Team | None = None,
    channel: str = Channel.PAGE,
) -> Promise:
    """Record a commitment made to sales, with its owner and due date (marketing, or whoever runs the
    meeting it was made in)."""
    allowed = access.may_edit_plans(actor) or (meeting is not None and access.may_act(actor, meeting, "run"))
    _require(allowed, "Only marketing, admins and whoever runs the meeting record promises.")
    problems = {}
    if not _clean(title):
        problems["title"] = "what was promised is missing"
    if owner is None:
        problems["owner"] = "who keeps it is missing"
    if due_on is None:
        problems["due_on"] = "by when is missing"
    if made_in not in PromiseSource.values:
        problems["made_in"] = "unknown"
    if problems:
        raise ApplicationError(
            "A promise needs " + "; ".join(problems.values()) + ".", detail=problems, status=422
        )
    assert owner is not None and due_on is not None
    promise = Promise.objects.create(
        title=_clean(title),
        owner=owner,
        due_on=due_on,
        made_in=made_in,
        meeting=meeting,
        plan=plan or (meeting.plan if meeting else None),
        team=team or (meeting.team if meeting else None),
        created_by=actor,
    )
    event_record(
        type="planning.promise_made",
        subject=promise,
        actor=actor,
        channel=channel,
        payload={"due_on": due_on.isoformat()},
    )
    return promise


@transaction.atomic
def promise_keep(*, promise: Promise, actor: User, channel: str = Channel.PAGE) -> Promise:
    promise = access.access_promise_by_id(actor, promise.pk, action="keep", lock=True)
    if promise.kept_at is None:
        promise.kept_at = timezone.now()
        promise.save(update_fields=["kept_at", "updated_at"])
        event_record(type="planning.promise_kept", subject=promise, actor=actor, channel=channel)
    return promise


def promises_remind(*, today: date | None = None, days_ahead: int = 3) -> int:
    """Remind each owner once of a promise due within ``days_ahead`` days (or overdue) and not kept."""
    from datetime import timedelta

    today = today or timezone.localdate()
    sent = 0
    due = Promise.objects.filter(
        kept_at__isnull=True, reminded_at__isnull=True, due_on__lte=today + timedelta(days=days_ahead)
    ).select_related("owner")
    for promise in due:
        with transaction.atomic():
            claimed = Promise.objects.filter(pk=promise.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            notify(
                user=promise.owner,
                kind="promise_due",
                subject=f"Promise to sales due {promise.due_on}: {promise.title}",
                body="Mark it kept when it is done; promises kept on time are counted per quarter.",
                url="/planning/promises/",
            )
            sent += 1
    return sent


# --- prospect profile ----------------------------------------------------------------------------------


def _words(values: Iterable[str] | str) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    return sorted({v.strip() for v in values if v and v.strip()}, key=str.lower)


@transaction.atomic
def profile_create(
    *,
    actor: User,
    name: str,
    industries: Iterable[str] | str = (),
    countries: Iterable[str] | str = (),
    min_size: int | None = None,
    max_size: int | None = None,
    rationale: str = "",
    plan: Plan | None = None,
) -> ProspectProfile:
    """Next year's ideal prospect as criteria (marketing)."""
    _require(access.may_edit_plans(actor), "Only marketing and admins may define prospect profiles.")
    if not _clean(name):
        raise ApplicationError("Name the profile.", detail={"name": "missing"}, status=422)
    if min_size is not None and max_size is not None and max_size < min_size:
        raise ApplicationError(
            "The largest size is below the smallest.", detail={"max_size": "below min_size"}, status=422
        )
    inds, ctrs = _words(industries), _words(countries)
    if not (inds or ctrs or min_size is not None or max_size is not None):
        raise ApplicationError(
            "Give at least one criterion: verticals, regions or a size band.",
            detail={"industries": "no criteria"},
            status=422,
        )
    profile = ProspectProfile.objects.create(
        name=_clean(name),
        industries=inds,
        countries=ctrs,
        min_size=min_size,
        max_size=max_size,
        rationale=_clean(rationale),
        plan=plan,
        created_by=actor,
    )
    event_record(type="planning.profile_created", subject=profile, actor=actor)
    return profile
