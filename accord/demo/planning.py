"""The demo company's joint plan: goals on both sides, a pre-plan and a plan with drastic changes (some
explained and acknowledged), previews to both sales teams with comments and disagreements, the
pre-planning meeting and a team meeting, promises to sales, a prospect profile and two launches."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from accord.campaigns.models import Campaign, CampaignChannel, CampaignStatus
from accord.campaigns.services import campaign_create, launch_timing_warning
from accord.core.calendar import fiscal_calendar
from accord.people.models import Team, User
from accord.planning.models import MeetingKind, PromiseSource, VersionKind
from accord.planning.services import (
    ItemSpec,
    action_item_add,
    attendance_record,
    decision_add,
    disagreement_raise,
    disagreement_resolve,
    drastic_change_acknowledge,
    drastic_change_explain,
    goal_create,
    goal_progress_report,
    item_comment_add,
    meeting_create,
    plan_create,
    preview_mark_done,
    previews_send,
    profile_create,
    promise_keep,
    promise_make,
)


def _next_launch_day(start: date) -> date:
    """The first day from ``start`` a launch may start without an override (not at a quarter's or month's end)."""
    day = start
    while launch_timing_warning(day):
        day += timedelta(days=1)
    return day


def planning_demo_build(*, users: dict[str, User], teams: dict[str, Team], now: datetime) -> None:
    mona, lena, tomas, samuel = users["mona"], users["lena"], users["tomas"], users["samuel"]
    harriet, felix, elena = users["harriet"], users["felix"], users["elena"]
    today = now.date()
    first, last = fiscal_calendar().quarter_bounds(today)
    campaigns = list(Campaign.objects.order_by("pk")[:3])
    campaign_ids = tuple(c.pk for c in campaigns)

    pre = [
        ItemSpec(kind="target", key="sqls", title="Sales-qualified leads", amount=Decimal("1200")),
        ItemSpec(kind="target", key="mqls", title="Marketing-qualified leads", amount=Decimal("4000")),
        ItemSpec(kind="budget", key="events", title="Events and trade shows", amount=Decimal("180000")),
        ItemSpec(kind="budget", key="search", title="Paid search", amount=Decimal("90000")),
        ItemSpec(
            kind="strategy",
            key="webinars",
            title="Clinical webinar series",
            campaign_ids=campaign_ids[:2],
            benefit_for_sales="Attendees arrive with a use case; reps get the questions they asked.",
        ),
        ItemSpec(
            kind="strategy",
            key="abm",
            title="Account-based programme for hospital groups",
            benefit_for_sales="Named accounts warmed before the first call.",
        ),
        ItemSpec(
            kind="strategy", key="print", title="Print advertising in trade journals", involves_sales=False
        ),
    ]
    # The plan: the pre-plan with new targets and budgets, print advertising dropped, partners added.
    moved = {"sqls": "1500", "mqls": "4200", "events": "150000", "search": "95000"}
    plan_items = [
        *(
            replace(item, amount=Decimal(moved[item.key])) if item.key in moved else item
            for item in pre
            if item.key != "print"
        ),
        ItemSpec(
            kind="strategy",
            key="partners",
            title="Partner co-marketing with EHR vendors",
            campaign_ids=campaign_ids[2:],
            benefit_for_sales="Introductions through partners the buyer already trusts.",
        ),
    ]
    plan = plan_create(
        actor=mona,
        name=f"FY{today.year + 1} joint plan",
        fiscal_year=today.year + 1,
        executive_sponsor=elena,
        pre_plan=pre,
        plan_items=plan_items,
    )
    changes = {c.key: c for c in plan.drastic_changes.all()}
    if "sqls" in changes:
        drastic_change_explain(
            change=changes["sqls"],
            actor=mona,
            explanation="The hospital-group programme adds pipeline we did not count in the pre-plan.",
        )
        drastic_change_acknowledge(change=changes["sqls"], actor=samuel)
    if "print" in changes:
        drastic_change_explain(
            change=changes["print"],
            actor=lena,
            explanation="Print reached few buyers last year; the money moves to partners.",
        )

    health_preview, finance_preview = previews_send(
        plan=plan, actor=mona, teams=[teams["health"], teams["finance"]]
    )
    items = {i.key: i for i in plan.versions.get(kind=VersionKind.PLAN).items.all()}
    item_comment_add(
        preview=health_preview,
        item=items["webinars"],
        actor=users["noah"],
        body="Please send us the attendee questions the day after each webinar.",
    )
    item_comment_add(
        preview=health_preview, item=items["abm"], actor=harriet, body="We can name the first 40 accounts."
    )
    item_comment_add(
        preview=finance_preview,
        item=items["partners"],
        actor=users["julia"],
        body="Banks buy through two of these partners; include them.",
    )
    disagreement_raise(
        item=items["sqls"],
        actor=users["grace"],
        preview=health_preview,
        body="1,500 SQLs is more than three reps can follow up within the SLA.",
    )
    settled = disagreement_raise(
        item=items["events"],
        actor=users["ben"],
        preview=finance_preview,
        body="Cutting events loses the autumn banking conference.",
    )
    disagreement_resolve(
        disagreement=settled, actor=felix, resolution="Keep the banking conference; cut two smaller shows."
    )
    preview_mark_done(preview=finance_preview, actor=felix)

    sales_revenue = goal_create(
        actor=samuel,
        side="sales",
        title="New revenue this quarter",
        metric="won_revenue",
        target=750000,
        period_start=first,
        period_end=last,
        owner=samuel,
        plan=plan,
    )
    sales_sqls = goal_create(
        actor=samuel,
        side="sales",
        title="Accepted leads worked",
        metric="sals",
        target=300,
        period_start=first,
        period_end=last,
        owner=samuel,
        plan=plan,
    )
    goal_create(
        actor=mona,
        side="marketing",
        title="Sales-qualified leads",
        metric="sqls",
        target=250,
        period_start=first,
        period_end=last,
        owner=lena,
        plan=plan,
        serves=[sales_revenue, sales_sqls],
    )
    goal_create(
        actor=mona,
        side="marketing",
        title="Closed, qualified leads",
        metric="closed_qualified_leads",
        target=30,
        period_start=first,
        period_end=last,
        owner=mona,
        plan=plan,
        serves=[sales_revenue],
    )
    goal_create(
        actor=mona,
        side="marketing",
        title="Cost per qualified lead",
        metric="cost_per_qualified_lead",
        target=400,
        period_start=first,
        period_end=last,
        owner=tomas,
        plan=plan,
        serves=[sales_revenue],
    )
    goal_create(
        actor=samuel,
        side="sales",
        title="SLA met",
        metric="sla_met_pct",
        target=90,
        period_start=first,
        period_end=last,
        owner=harriet,
        team=teams["health"],
        plan=plan,
    )
    reviews = goal_create(
        actor=samuel,
        side="sales",
        title="Creative reviews done by reps",
        metric="custom",
        unit="creative reviews",
        target=6,
        period_start=first,
        period_end=last,
        owner=harriet,
        plan=plan,
    )
    goal_progress_report(goal=reviews, actor=harriet, value=2)
    goal_create(
        actor=samuel,
        side="sales",
        title="Plan items commented",
        metric="previews_commented",
        target=10,
        period_start=first,
        period_end=last,
        owner=felix,
        team=teams["finance"],
        plan=plan,
    )

    pre_planning = meeting_create(
        actor=mona,
        kind=MeetingKind.PRE_PLANNING,
        title="Pre-planning: heads of sales and marketing",
        starts_at=now - timedelta(days=20),
        plan=plan,
        attendees=[mona, samuel, elena, lena],
    )
    attendance_record(meeting=pre_planning, actor=mona, present=[mona, samuel, lena])
    decision_add(meeting=pre_planning, actor=mona, text="Harriet and Julia review creative work this year.")
    decision_add(
        meeting=pre_planning,
        actor=mona,
        text="The plan is presented to both teams in the second week of next month.",
    )
    action_item_add(
        meeting=pre_planning,
        actor=mona,
        title="Draft next year's prospect profile",
        owner=lena,
        due_on=today + timedelta(days=7),
    )
    team_meeting = meeting_create(
        actor=harriet,
        kind=MeetingKind.TEAM,
        title="Healthcare: tactics that involve us",
        starts_at=now + timedelta(days=5),
        plan=plan,
        team=teams["health"],
        items=[items["webinars"], items["abm"]],
    )
    kept = promise_make(
        actor=mona,
        title="Battlecards for the hospital-group programme",
        owner=lena,
        due_on=today + timedelta(days=2),
        made_in=PromiseSource.MEETING,
        meeting=pre_planning,
    )
    promise_keep(promise=kept, actor=lena)
    promise_make(
        actor=mona,
        title="Attendee questions sent the day after each webinar",
        owner=tomas,
        due_on=today + timedelta(days=14),
        made_in=PromiseSource.PREVIEW,
        plan=plan,
        team=teams["health"],
    )
    promise_make(
        actor=mona,
        title="A partner referral process for Financial services",
        owner=mona,
        due_on=today + timedelta(days=30),
        made_in=PromiseSource.MEETING,
        meeting=team_meeting,
        team=teams["finance"],
    )
    profile_create(
        actor=lena,
        plan=plan,
        name="Hospital groups and regional banks, 200-5,000 staff",
        industries=["Healthcare", "Financial services"],
        min_size=200,
        max_size=5000,
        rationale="Mid-size groups buy faster than the largest systems, which dominate today's pipeline.",
    )

    launch_day = _next_launch_day(today + timedelta(days=10))
    campaign_create(
        name="Care-team analytics launch",
        actor=mona,
        channel=CampaignChannel.WEBINAR,
        status=CampaignStatus.PLANNED,
        start_date=launch_day,
        end_date=launch_day + timedelta(days=30),
        is_launch=True,
        benefit_for_sales="A new reason to call every hospital account this month.",
    )
    quarter_end = last - timedelta(days=3)
    campaign_create(
        name="Year-end compliance briefing",
        actor=lena,
        channel=CampaignChannel.EVENT,
        status=CampaignStatus.PLANNED,
        start_date=quarter_end,
        end_date=quarter_end + timedelta(days=1),
        is_launch=True,
        override_reason="The regulator publishes its rules that week; the briefing cannot wait.",
        benefit_for_sales="Compliance officers ask for demos after the briefing.",
    )
