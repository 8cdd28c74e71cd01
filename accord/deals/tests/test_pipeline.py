"""The deal board, moving cards (page and API, same checks), the weighted forecast, and the pages that
open and edit deals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.campaigns.tests.factories import LeadFactory
from accord.core.calendar import FiscalCalendar
from accord.core.models import Organization
from accord.deals.edit_services import stage_probability_set
from accord.deals.models import Deal, DealStage
from accord.deals.pipeline_selectors import deal_board, deal_forecast, forecast_periods
from accord.leads.models import Account, Stage


def _deal(owner, *, amount="100", stage=DealStage.QUALIFICATION, close=None, currency="USD", name=None):
    lead = LeadFactory(stage=Stage.OPPORTUNITY, owner=owner, company="Acme")
    account = Account.objects.get_or_create(name="Acme", name_key="acme")[0]
    return Deal.objects.create(
        name=name or f"Deal {lead.pk}",
        account=account,
        contact=lead,
        owner=owner,
        amount=Decimal(amount),
        currency=currency,
        stage=stage,
        expected_close=close,
    )


def test_the_board_shows_open_deals_by_stage_with_counts_and_totals_for_whom_may_see_them(personas):
    _deal(personas.bob, amount="100")
    _deal(personas.bob, amount="50", stage=DealStage.PROPOSAL)
    _deal(personas.bob, amount="70", stage=DealStage.PROPOSAL, currency="EUR")
    _deal(personas.charlie, amount="999")
    won = _deal(personas.bob, amount="5000")
    Deal.objects.filter(pk=won.pk).update(stage=DealStage.WON, closed_at="2026-01-01T00:00:00Z")
    board = deal_board(user=personas.bob)
    by_stage = {c.stage: c for c in board.columns}
    assert [c.stage for c in board.columns] == ["qualification", "proposal", "negotiation"]
    assert by_stage["qualification"].count == 1 and by_stage["qualification"].totals == [
        ("USD", Decimal("100"))
    ]
    assert by_stage["proposal"].totals == [("EUR", Decimal("70")), ("USD", Decimal("50"))]
    assert by_stage["proposal"].weighted == [("EUR", Decimal("35.00")), ("USD", Decimal("25.00"))]
    assert len(board.movable) == 3
    sam_board = deal_board(user=personas.sam)
    assert sam_board.columns[0].count == 2  # the sales head sees charlie's as well
    eve_board = deal_board(user=personas.eve)
    assert eve_board.columns[0].count == 2 and not eve_board.movable  # executives read, move nothing


def test_the_board_page_runs_a_fixed_number_of_queries(personas, client_for, django_assert_max_num_queries):
    for i in range(30):
        _deal(personas.bob, amount=str(i + 1), stage=[DealStage.QUALIFICATION, DealStage.PROPOSAL][i % 2])
    client = client_for(personas.bob)
    client.get("/deals/board/")
    with django_assert_max_num_queries(14):
        html = client.get("/deals/board/").content.decode()
    assert html.count('class="board-card"') == 30 and "js/deal_board.js" in html
    assert html.count('draggable="true"') == 30 and 'name="stage"' in html


def test_moving_a_card_with_the_stage_select_and_with_the_drag_request(personas, client_for):
    deal = _deal(personas.bob)
    client = client_for(personas.bob)
    response = client.post(f"/deals/{deal.pk}/move/", {"stage": "proposal", "next": "/deals/board/"})
    assert response.status_code == 302 and response["Location"] == "/deals/board/"
    deal.refresh_from_db()
    assert deal.stage == "proposal"
    response = client.post(
        f"/deals/{deal.pk}/move/", {"stage": "negotiation"}, headers={"Accept": "application/json"}
    )
    assert response.json() == {"id": deal.pk, "stage": "negotiation", "stage_label": "Negotiation"}
    refused = client_for(personas.alice).post(
        f"/deals/{deal.pk}/move/", {"stage": "proposal"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 403 and "owner" in refused.json()["message"]
    assert (
        client_for(personas.carol).post(f"/deals/{deal.pk}/move/", {"stage": "proposal"}).status_code == 404
    )
    bad = client.post(f"/deals/{deal.pk}/move/", {"stage": "won"}, headers={"Accept": "application/json"})
    assert bad.status_code == 400
    offsite = client.post(f"/deals/{deal.pk}/move/", {"stage": "proposal", "next": "https://evil.example/"})
    assert offsite["Location"] == "/deals/board/"


def test_forecast_periods_follow_the_fiscal_calendar():
    periods = forecast_periods(period="quarter", today=date(2026, 12, 6), calendar=FiscalCalendar(4))
    assert [p.key for p in periods] == ["overdue", "FY2027 Q3", "FY2027 Q4", "FY2028 Q1", "FY2028 Q2", "none"]
    assert (periods[1].first, periods[1].last) == (date(2026, 10, 1), date(2026, 12, 31))
    months = forecast_periods(period="month", today=date(2026, 12, 6), calendar=FiscalCalendar(1))
    assert months[1].key == "2026-12" and months[2].key == "2027-01" and len(months) == 14


@time_machine.travel("2026-12-06 10:00Z", tick=False)
def test_the_forecast_weighs_each_deal_by_its_stage_per_quarter_and_owner(personas):
    org = Organization.current()
    org.fiscal_year_start_month = 4
    org.save()
    stage_probability_set(user=personas.sam, stage="negotiation", probability=90)
    _deal(personas.bob, amount="1000", close=date(2026, 12, 20))  # 20 % -> 200, FY2027 Q3
    _deal(personas.bob, amount="1000", stage=DealStage.NEGOTIATION, close=date(2027, 2, 1))  # 900, Q4
    _deal(
        personas.bob, amount="400", stage=DealStage.PROPOSAL, close=date(2026, 9, 30)
    )  # 200, before this quarter
    _deal(personas.bob, amount="100", stage=DealStage.PROPOSAL)  # 50, no close date
    _deal(personas.bob, amount="9999", close=date(2029, 1, 1))  # beyond the horizon
    _deal(personas.charlie, amount="500", stage=DealStage.PROPOSAL, close=date(2027, 1, 10))  # 250, Q4
    forecast = deal_forecast(user=personas.sam, period="quarter")
    bob, charlie = forecast.rows
    assert bob.owner_username == "bob" and charlie.owner_username == "charlie"
    assert bob.cells["FY2027 Q3"]["USD"] == Decimal("200.00")
    assert bob.cells["FY2027 Q4"]["USD"] == Decimal("900.00")
    assert bob.cells["overdue"]["USD"] == Decimal("200.00") and bob.cells["none"]["USD"] == Decimal("50.00")
    assert bob.total["USD"] == Decimal("1350.00")
    assert forecast.totals["FY2027 Q4"]["USD"] == Decimal("1150.00")
    assert forecast.unweighted["FY2027 Q4"]["USD"] == Decimal("1500.00")
    assert [r.owner_username for r in deal_forecast(user=personas.bob).rows] == ["bob"]
    monthly = deal_forecast(user=personas.bob, period="month")
    assert monthly.rows[0].cells["2027-02"]["USD"] == Decimal("900.00")


@time_machine.travel("2026-12-06 10:00Z", tick=False)
def test_the_forecast_page_and_api(personas, client_for, api_client_for):
    _deal(personas.bob, amount="1000", close=date(2026, 12, 20))
    html = client_for(personas.mike).get("/deals/forecast/?period=month").content.decode()
    assert "Dec 2026" in html and "200.00 USD" in html
    body = api_client_for(personas.bob).get("/api/v1/pipeline/forecast?period=quarter").json()
    assert body["rows"][0]["owner_username"] == "bob"
    assert body["rows"][0]["cells"] == [
        {"period": "FY2026 Q4", "amounts": [{"currency": "USD", "amount": "200.00"}]}
    ]
    board = api_client_for(personas.bob).get("/api/v1/pipeline/board").json()
    assert board["columns"][0]["cards"][0]["movable"] is True and board["columns"][0]["count"] == 1


def test_the_api_moves_a_deal_like_the_board(personas, api_client_for):
    deal = _deal(personas.bob)
    response = api_client_for(personas.bob).post(
        f"/api/v1/deals/{deal.pk}/stage", {"stage": "proposal"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["stage"] == "proposal"
    refused = api_client_for(personas.eve).post(
        f"/api/v1/deals/{deal.pk}/stage", {"stage": "negotiation"}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_opening_and_editing_a_deal_in_the_api(personas, api_client_for):
    customer = LeadFactory(stage=Stage.CUSTOMER, owner=personas.bob, company="Acme")
    client = api_client_for(personas.bob)
    response = client.post(
        "/api/v1/deals",
        {
            "contact": customer.pk,
            "line_items": [{"product": "Seats", "quantity": "2", "unit_price": "10.00"}],
            "expected_close": "2027-01-31",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "20.00" and body["line_items"][0]["total"] == "20.00"
    patched = client.patch(
        f"/api/v1/deals/{body['id']}",
        {"line_items": [], "amount": "75", "expected_close": None},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["amount"] == "75.00" and patched.json()["expected_close"] is None
    assert patched.json()["line_items"] == []
    unknown = client.patch(
        f"/api/v1/deals/{body['id']}", {"owner": "nobody"}, content_type="application/json"
    )
    assert unknown.status_code == 400 and "no active user" in unknown.json()["message"]
    assert client.get(f"/api/v1/deals/{body['id']}/line-items").json() == []


def test_the_edit_page_saves_products_and_the_new_page_opens_a_deal(personas, client_for):
    deal = _deal(personas.bob, amount="100")
    client = client_for(personas.bob)
    page = client.get(f"/deals/{deal.pk}/edit/").content.decode()
    assert 'name="items-0-product"' in page and 'name="owner"' in page
    form = {
        "name": "Acme seats",
        "amount": "",
        "currency": "USD",
        "stage": "proposal",
        "expected_close": "2027-02-01",
        "owner": str(personas.bob.pk),
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-product": "Seats",
        "items-0-quantity": "4",
        "items-0-unit_price": "25",
    }
    response = client.post(f"/deals/{deal.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.stage) == ("Acme seats", Decimal("100.00"), "proposal")
    assert "Seats" in client.get(f"/deals/{deal.pk}/").content.decode()
    assert client_for(personas.alice).get(f"/deals/{deal.pk}/edit/").status_code == 403
    assert client_for(personas.carol).get(f"/deals/{deal.pk}/edit/").status_code == 404

    customer = LeadFactory(stage=Stage.CUSTOMER, owner=personas.bob, company="Acme")
    new = dict(form, contact=str(customer.pk), name="", amount="300", stage="qualification")
    new.update({"items-0-product": "", "items-0-quantity": "", "items-0-unit_price": ""})
    response = client.post("/deals/new/", new)
    assert response.status_code == 302, response.content.decode()
    assert Deal.objects.get(contact=customer).amount == Decimal("300.00")
    assert client_for(personas.alice).get(f"/deals/new/?contact={customer.pk}").status_code == 403


def test_stage_probabilities_page(personas, client_for):
    assert "20%" in client_for(personas.bob).get("/deals/probabilities/").content.decode()
    assert client_for(personas.bob).post("/deals/probabilities/", {"proposal": "10"}).status_code == 403
    response = client_for(personas.sam).post(
        "/deals/probabilities/", {"qualification": "10", "proposal": "40", "negotiation": "75"}
    )
    assert response.status_code == 302
    assert "40%" in client_for(personas.bob).get("/deals/probabilities/").content.decode()


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_the_forecast_runs_the_same_queries_whatever_the_number_of_deals(personas, period):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            deal_forecast(user=personas.mike, period=period, today=date(2026, 12, 1))
        return len(context)

    _deal(personas.bob, amount="10", close=date(2026, 12, 1))
    queries()  # fills the user's cached roles and reports
    few = queries()
    for i in range(20):
        _deal([personas.bob, personas.carol][i % 2], amount="10", close=date(2026, 12, 1 + i))
    assert queries() == few <= 4


def test_a_customer_and_a_deal_link_to_a_new_deal_for_whom_may_open_one(personas, client_for):
    customer = LeadFactory(stage=Stage.CUSTOMER, owner=personas.bob, company="Acme")
    page = client_for(personas.bob).get(f"/leads/{customer.pk}/").content.decode()
    assert f'href="/deals/new/?contact={customer.pk}"' in page
    deal = _deal(personas.bob)
    assert 'id="new-deal-for-contact"' in client_for(personas.bob).get(f"/deals/{deal.pk}/").content.decode()
    assert (
        'id="new-deal-for-contact"' not in client_for(personas.eve).get(f"/deals/{deal.pk}/").content.decode()
    )
