"""The executive signs in, opens the executive dashboard and sees the funnel; a screenshot goes to docs."""

from __future__ import annotations

import pytest

from accord.reporting.rollups import rollups_rebuild
from accord.reporting.tests import dataset
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_executive_sees_the_funnel_and_trends(page, live_server, personas, sign_in):
    dataset.build(personas)
    rollups_rebuild()

    sign_in(page, personas.eve, personas.password)
    page.goto(f"{live_server.url}/dashboards/executive/?quarter=2026-04-01")

    assert page.locator("h1", has_text="Executive dashboard").count() == 1
    bars = page.locator("#funnel-chart svg g.bar")
    assert bars.count() == 6
    assert "MQLs" in page.inner_text("#funnel-chart")
    assert page.locator("#trend-chart svg polyline.series").count() == 3
    assert page.locator("#table-funnel tbody tr").count() == 6
    assert page.get_by_role("button", name="Print / Save as PDF").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "executive-dashboard.png"), full_page=True)
