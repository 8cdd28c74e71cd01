"""Every number on each dashboard equals an independent computation over the raw tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accord.reporting.metrics import Period
from accord.reporting.rollups import rollups_rebuild
from accord.reporting.selectors import executive_dashboard, marketing_dashboard, sales_dashboard
from accord.reporting.tests import dataset
from accord.reporting.tests.dataset import NOW, ORDER, Q2

PERIOD = Period(*Q2, "FY2026 Q2")
PREV = (date(2026, 1, 1), date(2026, 4, 1))
LAST_YEAR = (date(2025, 4, 1), date(2025, 7, 1))


@pytest.fixture
def built(data):
    rollups_rebuild()
    return data


def pct(a, b):
    return None if not b else round(100 * a / b, 1)


def per(c, n):
    return None if not n else (c / n).quantize(Decimal("0.01"))


def rows_by_first(table):
    return {row[0]: row[1:] for row in table.rows}


def test_marketing_activity_matches_the_raw_rows(built):
    board = marketing_dashboard(period=PERIOD)
    activity = rows_by_first(board.table("activity"))
    for label, (start, end), column in (("now", Q2, 0), ("prev", PREV, 1), ("ly", LAST_YEAR, 4)):
        leads, _, _ = dataset.cohort(start, end)
        flow = dataset.flows(start, end)
        cost = dataset.cost(start, end)
        assert activity["Leads"][column] == leads, label
        assert activity["MQLs"][column] == flow["mql"], label
        assert activity["Marketing cost"][column] == cost, label
        assert activity["Cost per lead"][column] == per(cost, leads), label
        assert activity["Cost per MQL"][column] == per(cost, flow["mql"]), label
        assert activity["Cost per SQL"][column] == per(cost, flow["sql"]), label
        assert activity["MQL → SAL (%)"][column] == pct(flow["sal"], flow["mql"]), label
    leads_now, reached, _ = dataset.cohort(*Q2)
    assert activity["Cohort MQL → SAL (%)"][0] == pct(reached["sal"], reached["mql"])
    assert activity["Leads"][2] == leads_now - dataset.cohort(*PREV)[0]


def test_marketing_breakdowns_match_the_raw_rows(built):
    board = marketing_dashboard(period=PERIOD)
    by_source = rows_by_first(board.table("by_source"))
    for source, name in ((built["web"], "Website"), (built["partner"], "Partner"), (None, "(no source)")):
        flow = dataset.flows(*Q2, keep=lambda lead, s=source: lead.source_id == (s.pk if s else None))
        assert by_source[name][:6] == [flow[s] for s in ORDER]
        assert by_source[name][6] == pct(flow["sal"], flow["mql"])
    campaigns = dataset.campaigns_by_utm()
    by_campaign = rows_by_first(board.table("by_campaign"))
    for campaign in (built["spring"], built["search"]):
        flow = dataset.flows(
            *Q2, keep=lambda lead, c=campaign: dataset.lead_campaign(lead, campaigns) == c.pk
        )
        row = by_campaign[campaign.name]
        cost = dataset.cost(*Q2, campaign_ids={campaign.pk})
        assert row[:6] == [flow[s] for s in ORDER]
        assert row[9:] == [cost, per(cost, flow["mql"]), per(cost, flow["sql"])]


def test_sales_dashboard_matches_the_raw_rows(built):
    p = built["personas"]
    with time_machine.travel(NOW, tick=False):
        board = sales_dashboard(period=PERIOD)
    funnel = rows_by_first(board.table("funnel"))
    flow = dataset.flows(*Q2)
    _, reached, now = dataset.cohort(*Q2)
    for stage, label in zip(
        ORDER, ["Inquiries", "MQLs", "SALs", "SQLs", "Opportunities", "Won (customers)"], strict=False
    ):
        assert funnel[label] == [flow[stage], reached[stage], now.get(stage, 0)]
    by_team = rows_by_first(board.table("by_team"))
    health = dataset.flows(
        *Q2, keep=lambda lead: lead.owner is not None and lead.owner.team_id == p.health.pk
    )
    assert by_team["Team Health"][:6] == [health[s] for s in ORDER]
    by_rep = rows_by_first(board.table("by_rep"))
    charlie = dataset.flows(*Q2, keep=lambda lead: lead.owner_id == p.charlie.pk)
    assert by_rep[str(p.charlie)][:6] == [charlie[s] for s in ORDER]
    acceptance = rows_by_first(board.table("acceptance"))
    for team, (accepted, rejected) in dataset.decisions(*Q2).items():
        assert acceptance[team] == [accepted, rejected, pct(accepted, accepted + rejected)]
    on_time, breached = dataset.sla(*Q2)
    assert rows_by_first(board.table("sla"))["All teams"] == [
        on_time,
        breached,
        pct(on_time, on_time + breached),
    ]
    velocity = rows_by_first(board.table("velocity"))
    expected = dataset.velocity(*Q2)
    hours = lambda s: None if s is None else round(s / 3600, 1)  # noqa: E731
    for stage, label in zip(ORDER[:-1], ["Inquiries", "MQLs", "SALs", "SQLs", "Opportunities"], strict=False):
        n, median, p75 = expected[stage]
        assert velocity[label] == [n, hours(median), hours(p75)], stage


def test_executive_dashboard_matches_the_raw_rows(built):
    with time_machine.travel(NOW, tick=False):
        board = executive_dashboard(period=PERIOD)
    headline = rows_by_first(board.table("headline"))
    flow = dataset.flows(*Q2)
    cost = dataset.cost(*Q2)
    assert headline["SQLs"][0] == flow["sql"]
    assert headline["Won (customers)"][0] == flow["customer"]
    assert headline["Cost per SQL"][0] == per(cost, flow["sql"])
    trends = board.table("trends").rows
    assert len(trends) == 12
    for row, month in zip(trends, range(7, 19), strict=False):
        y, m = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
        start = date(y, m, 1)
        end = date(y + (m == 12), m % 12 + 1, 1)
        f = dataset.flows(start, end)
        assert row[1:] == [f["inquiry"], f["mql"], f["sql"], f["customer"]], row[0]
    assert board.charts["funnel"] == [
        (label, flow[s]) for s, (label, _) in zip(ORDER, board.charts["funnel"], strict=False)
    ]
    assert "caveat" not in board.table("revenue").note.lower() or board.table("revenue").note
    assert "First touch" in board.table("revenue").title
