"""The launch guard: a launch starting in a fiscal quarter's last month, or a month's last week, needs an
override reason (shown to sales); a launch going live needs its benefit for sales."""

from __future__ import annotations

import json
from datetime import date

import pytest

from accord.core.calendar import FiscalCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiscal_february(db):
    """A fiscal year starting in February: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan (so the quarters'
    last months are none of the calendar quarters')."""
    from accord.core.models import Organization

    org = Organization.current()
    org.fiscal_year_start_month = 2
    org.save()
    return org


def create(client, **fields):
    body = {"name": "Spring launch", "is_launch": True, **fields}
    return client.post("/api/v1/campaigns", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("day", "guarded"),
    [
        (date(2027, 4, 10), True),  # April: the last month of fiscal Q1 (Feb-Apr)
        (date(2027, 7, 2), True),  # July: the last month of fiscal Q2 (May-Jul)
        (date(2027, 1, 10), True),  # January: the last month of fiscal Q4 (Nov-Jan)
        (date(2027, 3, 10), False),  # March: a calendar quarter's last month, the middle of fiscal Q1
        (date(2027, 6, 10), False),  # June: likewise the middle of fiscal Q2
        (date(2027, 2, 10), False),  # February: the first month of fiscal Q1
        (date(2027, 5, 25), True),  # the last week of May (a first month)
        (date(2027, 5, 24), False),  # eight days before the month ends
        (date(2027, 1, 31), True),  # the last day of January
    ],
)
def test_the_guard_follows_the_fiscal_calendar_and_month_ends(
    personas, api_client_for, fiscal_february, day, guarded
):
    response = create(api_client_for(personas.alice), start_date=day.isoformat())
    if guarded:
        assert response.status_code == 422, response.content
        body = response.json()
        assert "override reason" in body["message"]
        assert "override_reason" in body["detail"]
    else:
        assert response.status_code == 201, response.content


def test_the_message_names_the_fiscal_quarter_and_an_override_reason_lets_it_through(
    personas, api_client_for, fiscal_february
):
    alice = api_client_for(personas.alice)
    refused = create(alice, start_date="2027-04-02")
    assert "last month of FY2028 Q1" in refused.json()["message"]
    accepted = create(alice, start_date="2027-04-02", override_reason="The trade show is in April.")
    assert accepted.status_code == 201
    assert accepted.json()["override_reason"] == "The trade show is in April."


def test_with_a_calendar_fiscal_year_april_is_not_guarded_but_march_is(personas, api_client_for):
    alice = api_client_for(personas.alice)
    assert create(alice, start_date="2027-04-02").status_code == 201
    assert create(alice, name="Other", start_date="2027-03-02").status_code == 422


def test_a_campaign_that_is_not_a_launch_is_not_guarded(personas, api_client_for):
    response = create(api_client_for(personas.alice), is_launch=False, start_date="2027-03-30")
    assert response.status_code == 201


def test_a_launch_cannot_go_live_without_its_benefit_for_sales(personas, api_client_for):
    alice = api_client_for(personas.alice)
    created = create(alice, start_date="2027-02-10").json()
    live = alice.patch(
        f"/api/v1/campaigns/{created['id']}",
        json.dumps({"status": "active"}),
        content_type="application/json",
    )
    assert live.status_code == 422
    assert "benefit_for_sales" in live.json()["detail"]
    live = alice.patch(
        f"/api/v1/campaigns/{created['id']}",
        json.dumps({"status": "active", "benefit_for_sales": "Warm leads"}),
        content_type="application/json",
    )
    assert live.status_code == 200


def test_moving_a_launch_into_the_last_month_by_a_change_is_guarded_too(personas, api_client_for):
    alice = api_client_for(personas.alice)
    created = create(alice, start_date="2027-02-10").json()
    moved = alice.patch(
        f"/api/v1/campaigns/{created['id']}",
        json.dumps({"start_date": "2027-03-02"}),
        content_type="application/json",
    )
    assert moved.status_code == 422


def test_launch_timing_warning_uses_is_last_month_of_quarter():
    from accord.campaigns.services import launch_timing_warning

    october_year = FiscalCalendar(10)  # Oct-Dec, Jan-Mar, Apr-Jun, Jul-Sep
    assert launch_timing_warning(date(2027, 12, 1), october_year).startswith(
        "2027-12-01 falls in the last month of FY2028 Q1"
    )
    assert launch_timing_warning(date(2027, 11, 1), october_year) == ""
    assert "last week" in launch_timing_warning(date(2027, 11, 24), october_year)
