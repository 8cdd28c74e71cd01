"""Meetings start from their agenda template; promises are reminded once and counted kept on time per
fiscal quarter; the prospect profile's shares equal a count over the accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

pytestmark = pytest.mark.django_db


def test_a_pre_planning_meeting_starts_with_the_heads_agenda_and_a_team_meeting_invites_the_team(personas):
    from accord.planning.services import meeting_create
    from accord.planning.tests.factories import plan_make

    plan = plan_make(personas)
    pre = meeting_create(
        actor=personas.mona, kind="pre_planning", title="", starts_at=datetime(2027, 1, 5, tzinfo=UTC)
    )
    for topic in (
        "Sales goals",
        "SMART lead strategies",
        "review creative work",
        "presenting the plan",
        "will not involve sales",
        "prospect profile",
        "sales materials and tactics",
    ):
        assert topic in pre.agenda
    items = list(plan.versions.get(kind="plan").items.filter(involves_sales=True))
    team = meeting_create(
        actor=personas.mike,
        kind="team",
        title="",
        team=personas.health,
        plan=plan,
        items=items,
        starts_at=datetime(2027, 1, 6, tzinfo=UTC),
    )
    assert {a.user for a in team.attendance.all()} == {personas.bob, personas.carol, personas.mike}
    assert set(team.items.all()) == set(items)
    with pytest.raises(Exception, match="needs its sales team"):
        meeting_create(actor=personas.mike, kind="team", title="", starts_at=datetime(2027, 1, 6, tzinfo=UTC))
    with pytest.raises(Exception, match="Only marketing, sales managers"):
        meeting_create(
            actor=personas.bob, kind="pre_planning", title="", starts_at=datetime(2027, 1, 6, tzinfo=UTC)
        )


def test_an_action_item_needs_what_who_and_when_and_is_tracked_to_done(personas):
    from accord.core.errors import ApplicationError
    from accord.planning.services import action_item_add, action_item_done, meeting_create

    meeting = meeting_create(
        actor=personas.mona, kind="pre_planning", title="", starts_at=datetime(2027, 1, 5, tzinfo=UTC)
    )
    with pytest.raises(ApplicationError) as refused:
        action_item_add(meeting=meeting, actor=personas.mona, title="", owner=None, due_on=None)
    assert set(refused.value.detail) == {"title", "owner", "due_on"}
    action = action_item_add(
        meeting=meeting, actor=personas.mona, title="Deck", owner=personas.bob, due_on=date(2027, 1, 9)
    )
    assert action_item_done(action=action, actor=personas.bob).done_at is not None


def test_promises_are_reminded_once_and_counted_kept_on_time_per_fiscal_quarter(personas):
    from accord.notifications.models import Notification
    from accord.planning.figures import promises_kept_per_quarter
    from accord.planning.models import Promise
    from accord.planning.services import promise_keep, promise_make, promises_remind

    def promise(title, due):
        return promise_make(
            actor=personas.alice, title=title, owner=personas.alice, due_on=due, made_in="interview"
        )

    on_time, late, never = (
        promise("On time", date(2027, 2, 10)),
        promise("Late", date(2027, 2, 12)),
        promise("Never", date(2027, 3, 1)),
    )
    future = promise("Next quarter", date(2027, 4, 20))
    with time_machine.travel(datetime(2027, 2, 9, 8, tzinfo=UTC), tick=False):
        assert promises_remind() == 2  # due within three days: On time, Late
        assert promises_remind() == 0
        promise_keep(promise=on_time, actor=personas.alice)
    with time_machine.travel(datetime(2027, 2, 14, 8, tzinfo=UTC), tick=False):
        promise_keep(promise=late, actor=personas.alice)
    assert Notification.objects.filter(user=personas.alice, kind="promise_due").count() == 2
    scores = promises_kept_per_quarter(Promise.objects.all(), quarters=2, today=date(2027, 4, 2))
    assert [(s.label, s.due, s.kept_on_time) for s in scores] == [("FY2027 Q2", 1, 0), ("FY2027 Q1", 3, 1)]
    assert scores[1].percent == Decimal("33.3")
    assert never.kept_at is None and future.kept_at is None


def test_the_profile_shares_equal_a_count_over_customers_and_open_pipeline(personas):
    from accord.campaigns.tests.factories import LeadFactory
    from accord.deals.models import Deal
    from accord.leads.models import Account
    from accord.planning.figures import profile_match
    from accord.planning.services import profile_create

    rows = [
        ("Healthcare", 300, "US", "won"),
        ("Healthcare", 50, "US", "won"),
        ("Finance", 400, "UK", "won"),
        ("Healthcare", 800, "UK", "proposal"),
        ("Retail", 250, "US", "qualification"),
        ("Healthcare", 220, "US", "lost"),
    ]
    accounts = []
    for n, (industry, size, country, stage) in enumerate(rows):
        account = Account.objects.create(
            name=f"A{n}", name_key=f"a{n}", industry=industry, size=size, country=country
        )
        lead = LeadFactory(email=f"c{n}@x.example")
        closed = datetime(2027, 1, 1, tzinfo=UTC) if stage in ("won", "lost") else None
        Deal.objects.create(
            name=f"D{n}",
            account=account,
            contact=lead,
            amount=Decimal(100),
            stage=stage,
            closed_at=closed,
            lost_reason="x" if stage == "lost" else "",
        )
        accounts.append((industry, size, country, stage))
    profile = profile_create(
        actor=personas.alice, name="Mid-size healthcare", industries="healthcare", min_size=200, max_size=1000
    )
    match = profile_match(profile)

    def fits(industry, size, country):
        return industry.lower() == "healthcare" and 200 <= size <= 1000

    customers = [a for a in accounts if a[3] == "won"]
    pipeline = [a for a in accounts if a[3] in ("qualification", "proposal", "negotiation")]
    assert (match.customers, match.customers_matching) == (
        len(customers),
        sum(fits(*a[:3]) for a in customers),
    )
    assert (match.pipeline, match.pipeline_matching) == (len(pipeline), sum(fits(*a[:3]) for a in pipeline))
    assert match.customers_share == Decimal("33.3") and match.pipeline_share == Decimal("50.0")
    verticals = {value: (c, p, inside) for value, c, p, inside in match.differences["Vertical"]}
    assert verticals == {"Healthcare": (2, 1, True), "Finance": (1, 0, False), "Retail": (0, 1, False)}
    sizes = {value: (c, p, inside) for value, c, p, inside in match.differences["Size"]}
    assert sizes["50-199"] == (1, 0, False)
    assert sizes["200-999"] == (2, 2, True)
