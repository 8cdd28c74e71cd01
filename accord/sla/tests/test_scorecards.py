"""Scorecards: every figure equals an independent recomputation from the raw Event and SlaClock rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from statistics import median

import pytest
import time_machine

from accord.core.events import event_record
from accord.core.models import Event
from accord.leads.models import Stage
from accord.leads.services import lead_stage_set
from accord.sla import services
from accord.sla.models import ClockKind, RejectionReason, ScorecardWeights, SlaClock
from accord.sla.scorecards import Period, csv_cell, scorecard_period, scorecards_for

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31), "March 2026")
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def assign(lead, owner, when):
    with time_machine.travel(when, tick=False):
        lead.owner = owner
        lead.save(update_fields=["owner"])
        event_record(type="lead.assigned", subject=lead, occurred_at=when, payload={"owner_id": owner.pk})
        services.sla_start_for_assignment(lead=lead, assigned_at=when)


def act(when, fn, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(**kwargs)


@pytest.fixture
def history(personas, make_lead):
    """March 2026 for Team Health (09:00-18:00 UTC, Mon-Fri; default policy: 8 h to accept, 8 h to
    first touch, 40 h to the next touch) and one Finance lead."""
    bob, carol, charlie = personas.bob, personas.carol, personas.charlie
    p = personas
    # Bob: accepted in 1.5 h, touched 1.5 h later, reached SQL then opportunity.
    p.l1 = make_lead()
    assign(p.l1, bob, at(2, 10))
    act(at(2, 11, 30), services.lead_accept, lead=p.l1, user=bob)
    act(at(2, 13), services.touch_log, lead=p.l1, user=bob, kind="call", outcome="connected")
    act(at(5, 10), lead_stage_set, lead=p.l1, stage=Stage.SQL, actor=bob)
    act(at(10, 10), lead_stage_set, lead=p.l1, stage=Stage.OPPORTUNITY, actor=bob)
    act(at(10, 11), services.touch_log, lead=p.l1, user=bob, kind="meeting")
    # Bob rejects one as not a fit, within the window.
    p.l2 = make_lead(utm_campaign="spring-webinar")
    assign(p.l2, bob, at(2, 10))
    act(at(2, 12), services.lead_reject, lead=p.l2, user=bob, reason=RejectionReason.NOT_A_FIT)
    # Bob misses the accept window (marked breached by the deadline task), accepts late, touches later.
    p.l3 = make_lead()
    assign(p.l3, bob, at(3, 9))
    act(at(3, 17, 5), services.sla_clock_breach, clock_id=SlaClock.objects.get(lead=p.l3).pk)
    act(at(4, 10), services.lead_accept, lead=p.l3, user=bob)
    act(at(4, 11), services.touch_log, lead=p.l3, user=bob, kind="email")
    act(at(6, 10), lead_stage_set, lead=p.l3, stage=Stage.SQL, actor=bob)
    # Bob: a lead received in February and accepted in March.
    p.l7 = make_lead()
    assign(p.l7, bob, at(27, 10, month=2))
    act(at(2, 9, 30), services.lead_accept, lead=p.l7, user=bob)
    # Carol: accepted fast, first touch late (the manager logs it).
    p.l4 = make_lead()
    assign(p.l4, carol, at(3, 10))
    act(at(3, 10, 30), services.lead_accept, lead=p.l4, user=carol)
    act(at(5, 15), services.touch_log, lead=p.l4, user=p.mike, kind="call")
    # Carol rejects one with 'other' and one as not ready; a still-running clock on a fresh lead.
    p.l5 = make_lead()
    assign(p.l5, carol, at(4, 10))
    act(at(4, 16), services.lead_reject, lead=p.l5, user=carol, reason=RejectionReason.OTHER, note="student")
    p.l6 = make_lead()
    assign(p.l6, carol, at(9, 10))
    act(at(9, 11), services.lead_reject, lead=p.l6, user=carol, reason=RejectionReason.NOT_READY)
    p.l8 = make_lead()
    assign(p.l8, carol, at(31, 11))
    # Finance: not in Health's figures.
    p.l9 = make_lead()
    assign(p.l9, charlie, at(2, 10))
    act(at(2, 10, 10), services.lead_accept, lead=p.l9, user=charlie)
    return p


# --- the independent recomputation: plain loops over raw rows, one rep at a time ----------------------


def lo_hi():
    return datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


def recompute(rep, weights, now=NOW):
    lo, hi = lo_hi()
    calendar = rep.team.calendar()
    events = [e for e in Event.objects.order_by("occurred_at", "id") if lo <= e.occurred_at < hi]
    first_assigned = {}
    for e in events:
        if e.type == "lead.assigned" and e.payload.get("owner_id") == rep.pk:
            first_assigned.setdefault(e.subject_id, e.occurred_at)
    accepted = [e for e in events if e.type == "lead.accepted" and e.payload.get("owner") == rep.pk]
    accepted_leads = {e.subject_id for e in accepted}
    rejected = [e for e in events if e.type == "lead.rejected" and e.payload.get("previous_owner") == rep.pk]
    by_reason = {}
    for e in rejected:
        by_reason[e.payload["reason"]] = by_reason.get(e.payload["reason"], 0) + 1
    accept_hours = []
    seen = set()
    for e in accepted:
        if e.subject_id in seen:
            continue
        seen.add(e.subject_id)
        clock = SlaClock.objects.get(pk=e.payload["clock"])
        accept_hours.append(calendar.business_hours_between(clock.started_at, e.occurred_at))
    first_touch_hours = [
        calendar.business_hours_between(c.started_at, c.met_at)
        for c in SlaClock.objects.filter(owner=rep, kind=ClockKind.FIRST_TOUCH)
        if c.met_at and lo <= c.met_at < hi
    ]
    on_time = breached = 0
    for c in SlaClock.objects.filter(owner=rep):
        if not lo <= c.due_at < hi:
            continue
        if c.met_at and c.met_at <= c.due_at:
            on_time += 1
        elif c.breached_at or c.met_at or (c.stopped_at is None and c.due_at <= now):
            breached += 1
    sql = opp = 0
    for lead_id, assigned_at in first_assigned.items():
        stages = [
            e.stage
            for e in Event.objects.filter(type="lead.stage_changed", subject_id=lead_id)
            if e.occurred_at >= assigned_at
        ]
        sql += any(s in ("sql", "opportunity", "customer", "loyal", "advocate") for s in stages)
        opp += any(s in ("opportunity", "customer", "loyal", "advocate") for s in stages)
    received = len(first_assigned)
    return {
        "received": received,
        "accepted": len(accepted_leads),
        "rejected": len(rejected),
        "rejected_by_reason": by_reason,
        "accept_hours": sorted(accept_hours),
        "first_touch_hours": sorted(first_touch_hours),
        "median_accept": round(median(accept_hours), 2) if accept_hours else None,
        "median_first_touch": round(median(first_touch_hours), 2) if first_touch_hours else None,
        "on_time": on_time,
        "breached": breached,
        "sla_percent": round(100 * on_time / (on_time + breached), 1) if on_time + breached else None,
        "sql": sql,
        "opp": opp,
        "sql_percent": round(100 * sql / received, 1) if received else None,
        "opp_percent": round(100 * opp / received, 1) if received else None,
        "score": round(
            on_time * weights.on_time_points
            - breached * weights.breach_penalty
            + sql * weights.sql_points
            + opp * weights.opportunity_points,
            2,
        ),
    }


def figures(card):
    return {
        "received": card.received,
        "accepted": card.accepted,
        "rejected": card.rejected,
        "rejected_by_reason": card.rejected_by_reason,
        "accept_hours": sorted(card.accept_hours),
        "first_touch_hours": sorted(card.first_touch_hours),
        "median_accept": card.median_hours_to_accept,
        "median_first_touch": card.median_hours_to_first_touch,
        "on_time": card.clocks_on_time,
        "breached": card.clocks_breached,
        "sla_percent": card.sla_met_percent,
        "sql": card.reached_sql,
        "opp": card.reached_opportunity,
        "sql_percent": card.sql_percent,
        "opp_percent": card.opportunity_percent,
        "score": card.score,
    }


def test_every_figure_equals_a_recomputation_from_the_raw_rows(history, django_assert_max_num_queries):
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(14):
        cards = scorecards_for(user=history.sam, period=MARCH)
    weights = ScorecardWeights.current()
    by_name = {c.name: c for c in cards.reps}
    for rep in (history.bob, history.carol, history.charlie):
        assert figures(by_name[str(rep)]) == recompute(rep, weights), rep.username


def test_the_figures_are_the_ones_worked_out_by_hand(history):
    with time_machine.travel(NOW, tick=False):
        cards = scorecards_for(user=history.sam, period=MARCH)
    bob = next(c for c in cards.reps if c.user_id == history.bob.pk)
    carol = next(c for c in cards.reps if c.user_id == history.carol.pk)
    # Bob received l1, l2, l3 (l7 came in February); accepted l1, l3 and l7; rejected l2.
    assert (bob.received, bob.accepted, bob.rejected) == (3, 3, 1)
    assert bob.rejected_by_reason == {"not_a_fit": 1}
    # Accept: l1 1.5 h, l3 10 h (09:00 Tue .. 10:00 Wed), l7 Fri 10:00 .. Mon 09:30 = 8.5 h.
    assert sorted(bob.accept_hours) == [1.5, 8.5, 10.0]
    assert bob.median_hours_to_accept == 8.5
    assert sorted(bob.first_touch_hours) == [1.0, 1.5]
    # On time: accept l1 and l2, first touch l1 and l3. Breached: accept l3 (marked by the task), the
    # next touch after l1's call (due Fri 6 Mar 17:00, met on the 10th: late), the next touch after the
    # meeting and after l3's email (open past due), l7's first touch (due 2 Mar 17:30, open). l7's
    # accept clock was due on 27 Feb: outside March.
    assert (bob.clocks_on_time, bob.clocks_breached) == (4, 5)
    assert (bob.reached_sql, bob.reached_opportunity) == (2, 1)
    assert bob.score == 4 * 10 - 5 * 15 + 2 * 5 + 1 * 20
    assert carol.rejected_by_reason == {"other": 1, "not_ready": 1}
    assert (carol.received, carol.accepted) == (4, 1)
    team = next(c for c in cards.teams if c.team_id == history.health.pk)
    assert team.received == 7
    assert team.score == bob.score + carol.score


def test_the_team_row_pools_its_reps(history):
    with time_machine.travel(NOW, tick=False):
        cards = scorecards_for(user=history.mike, period=MARCH)
    assert [t.name for t in cards.teams] == ["Team Health"]
    assert sorted(c.name for c in cards.reps) == sorted([str(history.bob), str(history.carol)])
    team = cards.teams[0]
    bob, carol = (next(c for c in cards.reps if c.user_id == u.pk) for u in (history.bob, history.carol))
    assert team.median_hours_to_accept == round(median(bob.accept_hours + carol.accept_hours), 2)
    assert team.clocks_breached == bob.clocks_breached + carol.clocks_breached


def test_weights_from_the_admin_row_change_the_score(history):
    ScorecardWeights.objects.create(
        pk=1, on_time_points=1, breach_penalty=2, sql_points=0, opportunity_points=0
    )
    with time_machine.travel(NOW, tick=False):
        cards = scorecards_for(user=history.sam, period=MARCH)
    bob = next(c for c in cards.reps if c.user_id == history.bob.pk)
    assert bob.score == 4 * 1 - 5 * 2


def test_the_query_count_does_not_grow_with_leads(history, make_lead, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as before:
        scorecards_for(user=history.sam, period=MARCH)
    for day in (16, 17, 18):
        lead = make_lead()
        assign(lead, history.bob, at(day, 10))
        act(at(day, 11), services.touch_log, lead=lead, user=history.bob, kind="call")
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(len(before.captured_queries)):
        scorecards_for(user=history.sam, period=MARCH)


def test_periods_follow_the_fiscal_calendar(db):
    from accord.core.models import Organization

    Organization.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": 2})
    quarter = scorecard_period(kind="quarter", on=date(2026, 3, 15))
    assert (quarter.start, quarter.end, quarter.label) == (date(2026, 2, 1), date(2026, 4, 30), "FY2027 Q1")
    month = scorecard_period(kind="month", on=date(2026, 2, 10))
    assert (month.start, month.end) == (date(2026, 2, 1), date(2026, 2, 28))


# --- pages, CSV, API, access ---------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_row(client, history):
    client.login(username="bob", password=history.password)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/scorecards/?period=month&on=2026-03-10").content.decode()
        api = client.get("/api/v1/scorecards?start=2026-03-01&end=2026-03-31").json()
    assert [r["name"] for r in api["reps"]] == [str(history.bob)]
    assert api["teams"] == []
    assert str(history.carol) not in page
    assert "Not a fit 1" in page and "not_a_fit" not in page  # reasons in words, never their codes


def test_a_manager_sees_their_team_and_heads_see_every_team(client, history):
    client.login(username="mike", password=history.password)
    with time_machine.travel(NOW, tick=False):
        mike = client.get("/api/v1/scorecards?start=2026-03-01&end=2026-03-31").json()
    assert [t["name"] for t in mike["teams"]] == ["Team Health"]
    client.login(username="eve", password=history.password)
    with time_machine.travel(NOW, tick=False):
        eve = client.get("/api/v1/scorecards?start=2026-03-01&end=2026-03-31").json()
        only = client.get(
            f"/api/v1/scorecards?start=2026-03-01&end=2026-03-31&team={history.finance.pk}"
        ).json()
    assert [t["name"] for t in eve["teams"]] == ["Team Finance", "Team Health"]
    assert [r["name"] for r in only["reps"]] == [str(history.charlie)]


def test_the_api_returns_the_same_figures_as_the_selector(client, history):
    client.login(username="sam", password=history.password)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/api/v1/scorecards?start=2026-03-01&end=2026-03-31").json()
        cards = scorecards_for(user=history.sam, period=MARCH)
    bob = next(r for r in body["reps"] if r["user_id"] == history.bob.pk)
    card = next(c for c in cards.reps if c.user_id == history.bob.pk)
    assert bob["score"] == card.score
    assert bob["sla_clocks_breached"] == card.clocks_breached
    assert bob["median_business_hours_to_accept"] == card.median_hours_to_accept
    assert body["weights"]["breach_penalty"] == 15


def test_marketing_may_not_see_scorecards(client, history):
    client.login(username="alice", password=history.password)
    assert client.get("/scorecards/").status_code == 403
    assert client.get("/scorecards.csv").status_code == 403
    assert client.get("/api/v1/scorecards").status_code == 403


def test_the_api_rejects_a_backwards_period_and_an_unknown_team(client, history):
    client.login(username="sam", password=history.password)
    assert client.get("/api/v1/scorecards?start=2026-03-31&end=2026-03-01").status_code == 400
    assert client.get("/api/v1/scorecards?team=999999").status_code == 404


def test_the_csv_has_a_row_per_rep_and_team_and_escapes_formulas(client, history):
    history.carol.first_name, history.carol.last_name = '=HYPERLINK("http://x")', "@evil"
    history.carol.save()
    client.login(username="sam", password=history.password)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/scorecards.csv?period=custom&start=2026-03-01&end=2026-03-31")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    names = [r["name"] for r in rows]
    assert '\'=HYPERLINK("http://x") @evil' in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
    bob = next(r for r in rows if r["name"] == str(history.bob))
    assert (bob["received"], bob["rejected_not_a_fit"], bob["sla_clocks_breached"]) == ("3", "1", "5")
    assert {r["scope"] for r in rows} == {"rep", "team"}


def test_csv_cells_escape_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("Team Health") == "Team Health"
    assert csv_cell(-15) == -15
    assert csv_cell(None) == ""


def test_the_page_renders_both_tables(client, history):
    client.login(username="sam", password=history.password)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/scorecards/?period=custom&start=2026-03-01&end=2026-03-31").content.decode()
    assert 'id="team-scorecards"' in html and 'id="rep-scorecards"' in html
    assert "Download CSV" in html
