"""Deal pages: record-level access, win and lose forms, converting a lead, a fixed query count."""

from __future__ import annotations

import pytest

from accord.campaigns.tests.factories import LeadFactory
from accord.deals.models import Deal
from accord.deals.services import lead_convert
from accord.leads.models import Stage


@pytest.fixture
def bobs_deal(personas):
    return lead_convert(
        lead=LeadFactory(stage=Stage.SQL, owner=personas.bob, company="Acme"),
        user=personas.bob,
        amount="1000",
    )


def test_the_owner_sees_the_deal_with_win_and_lose_forms(bobs_deal, personas, client_for):
    html = client_for(personas.bob).get(f"/deals/{bobs_deal.pk}/").content.decode()
    assert 'id="win-form"' in html and 'id="lose-form"' in html and "1000.00 USD" in html


def test_an_executive_reads_the_deal_without_forms_and_another_rep_gets_404(bobs_deal, personas, client_for):
    html = client_for(personas.eve).get(f"/deals/{bobs_deal.pk}/").content.decode()
    assert bobs_deal.name in html and 'id="win-form"' not in html
    assert client_for(personas.carol).get(f"/deals/{bobs_deal.pk}/").status_code == 404
    assert client_for(personas.carol).post(f"/deals/{bobs_deal.pk}/win/", {}).status_code == 404


def test_winning_on_the_page_makes_the_contact_a_customer(bobs_deal, personas, client_for):
    response = client_for(personas.bob).post(f"/deals/{bobs_deal.pk}/win/", {"reason": "Great fit"})
    assert response.status_code == 302
    bobs_deal.refresh_from_db()
    assert bobs_deal.stage == "won" and bobs_deal.contact.stage == Stage.CUSTOMER


def test_losing_on_the_page_without_a_reason_changes_nothing(bobs_deal, personas, client_for):
    client_for(personas.bob).post(f"/deals/{bobs_deal.pk}/lose/", {"reason": ""})
    bobs_deal.refresh_from_db()
    assert bobs_deal.stage == "qualification"


def test_converting_on_the_page_opens_the_deal(personas, client_for):
    lead = LeadFactory(stage=Stage.SAL, owner=personas.bob, company="Globex")
    client = client_for(personas.bob)
    assert "Open a deal" in client.get(f"/deals/convert/{lead.pk}/").content.decode()
    response = client.post(f"/deals/convert/{lead.pk}/", {"amount": "300", "currency": "USD"})
    assert response.status_code == 302
    assert Deal.objects.get().account.name == "Globex"


def test_converting_a_lead_that_is_not_accepted_explains_why(personas, client_for):
    lead = LeadFactory(stage=Stage.MQL, owner=personas.bob)
    html = (
        client_for(personas.bob)
        .post(f"/deals/convert/{lead.pk}/", {"amount": "300", "currency": "USD"})
        .content.decode()
    )
    assert "SAL or SQL" in html and not Deal.objects.exists()


def test_the_list_shows_only_visible_deals_in_a_fixed_number_of_queries(
    personas, client_for, django_assert_max_num_queries
):
    for owner in (personas.bob, personas.charlie):
        for _ in range(12):
            lead_convert(
                lead=LeadFactory(stage=Stage.SQL, owner=owner, company=f"Co {owner.username}"),
                user=owner,
                amount="10",
            )
    client = client_for(personas.bob)
    client.get("/deals/")
    # The page's ids, then those rows; the saved views offered; a count that stops at 1,000.
    with django_assert_max_num_queries(10):
        html = client.get("/deals/").content.decode()
    assert html.count("Co bob: ") == 12 and "Co charlie" not in html  # "Co bob: " names a deal
    assert client_for(personas.mike).get("/deals/").content.decode().count("Co bob: ") == 12
    assert client_for(personas.sam).get("/deals/").content.decode().count("<tr>") == 25
