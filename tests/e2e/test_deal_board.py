"""A rep drags a deal to another stage on the board; the move is stored and the totals follow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.campaigns.tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deal(owner, name, amount):
    from accord.deals.models import Deal
    from accord.leads.models import Account, Stage

    lead = LeadFactory(stage=Stage.OPPORTUNITY, owner=owner, company="Acme")
    account, _ = Account.objects.get_or_create(name="Acme", name_key="acme")
    return Deal.objects.create(name=name, account=account, contact=lead, owner=owner, amount=Decimal(amount))


def test_a_rep_drags_a_deal_to_proposal_and_the_move_is_kept(page, live_server, personas, sign_in):
    from accord.core.models import Event
    from accord.deals.models import Deal

    deal = _deal(personas.bob, "Acme seats", "1200")
    _deal(personas.bob, "Acme support", "300")
    sign_in(page, personas.bob, personas.password)
    page.goto(f"{live_server.url}/deals/board/")
    card = page.locator(f"#deal-card-{deal.pk}")
    assert card.get_attribute("draggable") == "true"
    page.drag_and_drop(f"#deal-card-{deal.pk}", "section.board-column[data-stage=proposal] .board-cards")
    page.wait_for_selector("#board-status:has-text('moved to Proposal')")
    assert page.locator(f"section[data-stage=proposal] #deal-card-{deal.pk}").count() == 1
    deal.refresh_from_db()
    assert deal.stage == "proposal"
    assert Event.objects.filter(type="deal.stage_changed", subject_id=deal.pk).exists()

    page.reload()  # the server's page agrees, with the column totals
    proposal = page.locator("section.board-column[data-stage=proposal]")
    assert "Acme seats" in proposal.inner_text() and "1200.00 USD" in proposal.inner_text()
    assert Deal.objects.get(name="Acme support").stage == "qualification"


def test_the_stage_select_moves_a_card_without_dragging(page, live_server, personas, sign_in):
    deal = _deal(personas.bob, "Acme renewal", "800")
    sign_in(page, personas.bob, personas.password)
    page.goto(f"{live_server.url}/deals/board/")
    page.select_option(f"#move-{deal.pk}", "negotiation")
    page.click(f"#deal-card-{deal.pk} .board-move button")
    page.wait_for_selector(f"section[data-stage=negotiation] #deal-card-{deal.pk}")
    deal.refresh_from_db()
    assert deal.stage == "negotiation"


def test_a_reader_cannot_drag_and_a_refused_move_goes_back(page, live_server, personas, sign_in):
    deal = _deal(personas.bob, "Acme pilot", "500")
    sign_in(page, personas.eve, personas.password)  # executives read every deal and move none
    page.goto(f"{live_server.url}/deals/board/")
    assert page.locator(f"#deal-card-{deal.pk}").get_attribute("draggable") is None
    assert page.locator(f"#move-{deal.pk}").count() == 0


def test_the_pipeline_pages_fit_a_phone(browser, live_server, personas, sign_in):
    from datetime import date

    deal = _deal(personas.bob, "Acme seats for the whole northern region", "1200")
    deal.expected_close = date.today()
    deal.save()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, personas.bob, personas.password)
        for path in ("/deals/board/", "/deals/forecast/", f"/deals/{deal.pk}/edit/", "/deals/probabilities/"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide"
    finally:
        context.close()
