"""Planning's figures on the collaboration panel equal a count over the raw records, for every team and
for one team, and the panel shows them with links to the planning pages; the rep inbox lists what is in
the coming launches and campaigns for sales."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from statistics import median

import pytest
import time_machine
from django.utils import timezone

from accord.core.collaboration import PanelScope, collaboration_figure
from accord.planning.models import Disagreement, ItemComment, Plan, PlanItem, Preview, Promise

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)
Q2 = (datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC))


def scope(team=None) -> PanelScope:
    return PanelScope(start=Q2[0], end=Q2[1], team_id=team.pk if team else None, label="Q2 FY2027")


def at(moment: datetime, make):
    with time_machine.travel(moment, tick=False):
        return make()


@pytest.fixture
def records(personas):
    """Previews, disagreements and promises on both sides of the quarter's edges, for both teams."""
    from accord.people.tests.factories import TeamFactory
    from accord.planning.tests.factories import plan_make

    p = personas
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        plan = plan_make(p)
        second = Plan.objects.create(name="FY2027 second plan", fiscal_year=2027, created_by=p.alice)
    item = PlanItem.objects.filter(version__plan=plan).first()
    retail = TeamFactory(name="Team Retail")

    def preview(on, which_plan, team, *, comment=False, done=None):
        made = at(on, lambda: Preview.objects.create(plan=which_plan, team=team, sent_by=p.alice))
        if comment:
            at(
                on + timedelta(days=2),
                lambda: ItemComment.objects.create(
                    item=item, preview=made, author=p.bob, body="Too few SQLs"
                ),
            )
        if done:
            Preview.objects.filter(pk=made.pk).update(done_by=p.mike, done_at=done)
        return made

    previews = [
        preview(datetime(2027, 4, 3, tzinfo=UTC), plan, p.health, comment=True),
        preview(datetime(2027, 4, 3, tzinfo=UTC), plan, p.finance),
        preview(datetime(2027, 5, 2, tzinfo=UTC), second, p.health, done=datetime(2027, 5, 4, tzinfo=UTC)),
        preview(datetime(2027, 5, 2, tzinfo=UTC), second, p.finance),
        preview(datetime(2027, 3, 30, tzinfo=UTC), plan, retail, comment=True),  # the quarter before
    ]

    def disagreement(raised, by, resolved=None):
        made = at(raised, lambda: Disagreement.objects.create(plan=plan, item=item, raised_by=by, body="No"))
        if resolved:
            Disagreement.objects.filter(pk=made.pk).update(
                status="resolved", resolved_at=resolved, resolved_by=p.sam, resolution="Keep it"
            )
        return made

    disagreements = [
        disagreement(datetime(2027, 3, 20, tzinfo=UTC), p.bob, datetime(2027, 4, 2, tzinfo=UTC)),
        disagreement(datetime(2027, 4, 10, tzinfo=UTC), p.bob, datetime(2027, 4, 13, 12, tzinfo=UTC)),
        disagreement(datetime(2027, 4, 20, tzinfo=UTC), p.charlie, datetime(2027, 5, 30, tzinfo=UTC)),
        disagreement(datetime(2027, 5, 1, tzinfo=UTC), p.bob),  # open at the quarter's end
        disagreement(datetime(2027, 6, 25, tzinfo=UTC), p.charlie, datetime(2027, 7, 3, tzinfo=UTC)),
        disagreement(datetime(2027, 7, 2, tzinfo=UTC), p.bob),  # raised after the quarter
    ]

    def promise(title, due_on, team, kept=None):
        return Promise.objects.create(
            title=title, owner=p.alice, due_on=due_on, team=team, kept_at=kept, created_by=p.alice
        )

    promises = [
        promise("Deck for Health", date(2027, 4, 15), p.health, datetime(2027, 4, 14, 9, tzinfo=UTC)),
        promise("Health price sheet", date(2027, 5, 10), p.health, datetime(2027, 5, 12, 9, tzinfo=UTC)),
        promise("Finance webinar", date(2027, 6, 30), p.finance, datetime(2027, 6, 30, 20, tzinfo=UTC)),
        promise("Finance case study", date(2027, 5, 5), p.finance),
        promise("Battlecards for all", date(2027, 6, 1), None, datetime(2027, 5, 1, tzinfo=UTC)),
        promise("Next quarter's promise", date(2027, 7, 1), p.health, datetime(2027, 6, 1, tzinfo=UTC)),
        promise("Last quarter's promise", date(2027, 3, 31), p.health),
    ]
    return previews, disagreements, promises


def expected_previews(team):
    rows = [
        pv
        for pv in Preview.objects.all()
        if Q2[0] <= pv.created_at < Q2[1] and (team is None or pv.team_id == team.pk)
    ]
    answered = [pv for pv in rows if pv.done_at or ItemComment.objects.filter(preview=pv).exists()]
    return len(answered) / len(rows), len(rows)


def expected_open(team):
    return sum(
        1
        for d in Disagreement.objects.select_related("raised_by")
        if d.created_at < Q2[1]
        and (d.resolved_at is None or d.resolved_at >= Q2[1])
        and (team is None or d.raised_by.team_id == team.pk)
    )


def expected_resolve_days(team):
    spans = [
        (d.resolved_at - d.created_at) / timedelta(days=1)
        for d in Disagreement.objects.select_related("raised_by")
        if d.resolved_at
        and Q2[0] <= d.resolved_at < Q2[1]
        and (team is None or d.raised_by.team_id == team.pk)
    ]
    return median(spans), len(spans)


def expected_promises(team):
    rows = [
        pr
        for pr in Promise.objects.all()
        if date(2027, 4, 1) <= pr.due_on <= date(2027, 6, 30)
        and (team is None or pr.team_id in (team.pk, None))
    ]
    kept = [pr for pr in rows if pr.kept_at and timezone.localtime(pr.kept_at).date() <= pr.due_on]
    return len(kept) / len(rows), len(rows)


@pytest.mark.parametrize("team_name", [None, "health", "finance"])
def test_each_planning_figure_equals_a_count_over_the_raw_records(personas, records, team_name):
    team = getattr(personas, team_name) if team_name else None
    with time_machine.travel(NOW, tick=False):
        previews = collaboration_figure("plan_previews_commented").compute(scope(team))
        still_open = collaboration_figure("disagreements_open").compute(scope(team))
        days = collaboration_figure("disagreement_resolve_days").compute(scope(team))
        promises = collaboration_figure("promises_kept").compute(scope(team))

    assert (previews.value, previews.sample) == pytest.approx(expected_previews(team))
    assert still_open.value == expected_open(team) and still_open.unit == "count"
    assert (days.value, days.sample) == pytest.approx(expected_resolve_days(team))
    assert (promises.value, promises.sample) == pytest.approx(expected_promises(team))
    # The hand-checked numbers, so the independent computation itself cannot drift unnoticed.
    hand = {
        None: (0.5, 4, 2, 13.0, 3, 3 / 5),
        "health": (1.0, 2, 1, 8.25, 2, 2 / 3),
        "finance": (0.0, 2, 1, 40.0, 1, 2 / 3),
    }[team_name]
    assert (
        previews.value,
        previews.sample,
        still_open.value,
        days.value,
        days.sample,
        promises.value,
    ) == pytest.approx(hand)
    assert ("every sales team" in promises.note) == (team is not None)
    assert ("raised them" in days.note) == (team is not None)


def test_the_previous_quarter_is_computed_the_same_way(personas, records):
    before = PanelScope(start=datetime(2027, 1, 1, tzinfo=UTC), end=Q2[0], team_id=None, label="Q1 FY2027")
    with time_machine.travel(NOW, tick=False):
        previews = collaboration_figure("plan_previews_commented").compute(before)
        still_open = collaboration_figure("disagreements_open").compute(before)
        promises = collaboration_figure("promises_kept").compute(before)
    assert (previews.value, previews.sample) == (1.0, 1)
    assert still_open.value == 1  # raised in March, resolved in April
    assert (promises.value, promises.sample) == (0.0, 1)


def test_the_panel_shows_planning_figures_and_traces_them_to_planning_pages(personas, records, client_for):
    previews, disagreements, _ = records
    with time_machine.travel(NOW, tick=False):
        client = client_for(personas.eve)
        page = client.get("/intelligence/collaboration/").content.decode()
        team_page = client.get(f"/intelligence/collaboration/?team={personas.health.pk}").content.decode()
        preview_trace = client.get("/intelligence/collaboration/plan_previews_commented/").content.decode()
        open_trace = client.get(
            f"/intelligence/collaboration/disagreements_open/?team={personas.finance.pk}"
        ).content.decode()
        promise_trace = client.get("/intelligence/collaboration/promises_kept/").content.decode()

    def row(html, key):
        return re.search(rf'<tr data-figure="{key}">.*?</tr>', html, re.S).group(0)

    assert "Plan previews commented" in page and "50%" in row(page, "plan_previews_commented")
    assert "4 records" in row(page, "plan_previews_commented")
    # The quarter before: Team Retail's preview, commented; so this quarter is worse.
    assert "100%" in row(page, "plan_previews_commented") and "worse" in row(page, "plan_previews_commented")
    assert "13.0 days" in row(page, "disagreement_resolve_days")
    assert "60%" in row(page, "promises_kept")
    assert "100%" in row(team_page, "plan_previews_commented")
    assert "every sales team" in row(team_page, "promises_kept")
    for made in previews[:4]:
        assert f'href="/planning/previews/{made.pk}/"' in preview_trace
    assert f"/planning/previews/{previews[4].pk}/" not in preview_trace  # the quarter before
    assert f'href="/planning/disagreements/{disagreements[4].pk}/"' in open_trace
    assert f"/planning/disagreements/{disagreements[3].pk}/" not in open_trace  # Health's
    assert promise_trace.count('href="/planning/promises/#promise-') == 5
    assert "Deck for Health" in promise_trace and "Last quarter" not in promise_trace


# --- what's in it for sales, in the rep inbox ---------------------------------------------------------


def campaign(name, start, end=None, *, launch=False, benefit="", status="active"):
    from accord.campaigns.models import Campaign

    return Campaign.objects.create(
        name=name,
        start_date=start,
        end_date=end,
        is_launch=launch,
        benefit_for_sales=benefit,
        status=status,
    )


def test_the_inbox_lists_live_and_coming_programmes_with_their_benefit_for_sales(personas, client_for):
    today = date(2027, 5, 20)
    live = campaign(
        "Spring webinars", today - timedelta(days=30), today + timedelta(days=5), benefit="Warm leads"
    )
    launch = campaign(
        "Claims module launch",
        today + timedelta(days=14),
        launch=True,
        benefit="A reason to call every account",
    )
    hidden = [
        campaign("Too far ahead", today + timedelta(days=15), benefit="Later"),
        campaign("Over", today - timedelta(days=40), today - timedelta(days=1), benefit="Done"),
        campaign("Cancelled", today, status="cancelled", benefit="Never"),
        campaign("Says nothing for sales", today),
    ]
    with time_machine.travel(NOW, tick=False):
        client = client_for(personas.bob)
        page = client.get("/inbox/").content.decode()
    panel = re.search(r'<section class="card" id="inbox-launches".*?</section>', page, re.S).group(0)
    assert "What's in it for you" in panel
    assert panel.index("Claims module launch") < panel.index("Spring webinars")  # launches first
    assert "A reason to call every account" in panel and "Warm leads" in panel
    assert f'href="/campaigns/{launch.pk}/"' in panel and f'href="/campaigns/{live.pk}/"' in panel
    assert "live now" in panel and "starts" in panel
    for c in hidden:
        assert c.name not in panel


def test_the_inbox_panel_is_hidden_when_nothing_is_coming_and_costs_one_query(
    personas, client_for, django_assert_num_queries
):
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from accord.planning.inbox import PANEL_LIMIT, launches_inbox_panel

    with time_machine.travel(NOW, tick=False):
        client = client_for(personas.bob)
        assert 'id="inbox-launches"' not in client.get("/inbox/").content.decode()
        request = RequestFactory().get("/inbox/")
        request.user = personas.bob
        with django_assert_num_queries(1):
            assert launches_inbox_panel(request) == ""
        campaign("Campaign 0", date(2027, 5, 20), benefit="Benefit 0")
        with CaptureQueriesContext(connection) as one:
            assert 'id="inbox-launches"' in client.get("/inbox/").content.decode()
        for n in range(1, PANEL_LIMIT + 3):
            campaign(f"Campaign {n}", date(2027, 5, 20) + timedelta(days=n), benefit=f"Benefit {n}")
        with django_assert_num_queries(len(one.captured_queries)):  # the page does not grow with campaigns
            client.get("/inbox/")
        with django_assert_num_queries(1):
            html = launches_inbox_panel(request)
    assert html.count("data-campaign=") == PANEL_LIMIT
    assert "Campaign 0" in html and f"Campaign {PANEL_LIMIT}" not in html
