"""Opening deals directly, correcting them (products included), and setting stage probabilities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accord.audit.models import ChangeRecord
from accord.campaigns.tests.factories import LeadFactory
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.models import Event
from accord.deals.edit_services import deal_create, deal_update, stage_probability_set
from accord.deals.models import DealLineItem, DealStage, StageProbability
from accord.deals.pipeline_selectors import stage_probabilities
from accord.deals.services import deal_win, lead_convert
from accord.leads.models import Stage


@pytest.fixture
def customer(personas):
    return LeadFactory(stage=Stage.CUSTOMER, owner=personas.bob, company="Acme Clinics", first_name="Ann")


def test_a_rep_opens_a_deal_for_a_customer_with_products_and_the_amount_is_their_total(customer, personas):
    deal = deal_create(
        user=personas.bob,
        contact=customer,
        line_items=[
            {"product": "Seats", "quantity": "10", "unit_price": "120.50"},
            {"product": "Onboarding", "unit_price": "800"},
            {"product": "", "quantity": "", "unit_price": ""},  # an empty row of the form
        ],
        expected_close=date(2027, 3, 31),
    )
    assert deal.amount == Decimal("2005.00") and deal.owner == personas.bob
    assert [(i.product, i.total) for i in deal.line_items.all()] == [
        ("Seats", Decimal("1205.00")),
        ("Onboarding", Decimal("800.00")),
    ]
    customer.refresh_from_db()
    assert customer.stage == Stage.CUSTOMER  # a customer buying again keeps their stage
    created = Event.objects.get(type="deal.created")
    assert created.payload["direct"] is True and created.payload["line_items"][0]["product"] == "Seats"


def test_opening_a_deal_for_an_accepted_lead_makes_it_an_opportunity(personas):
    lead = LeadFactory(stage=Stage.SQL, owner=personas.bob, company="Acme")
    deal_create(user=personas.bob, contact=lead, amount="500", stage=DealStage.PROPOSAL)
    lead.refresh_from_db()
    assert lead.stage == Stage.OPPORTUNITY


def test_opening_a_deal_needs_an_amount_or_products_and_a_matching_total(customer, personas):
    with pytest.raises(ApplicationError, match="an amount or its products"):
        deal_create(user=personas.bob, contact=customer)
    with pytest.raises(ApplicationError, match="not the total of the products"):
        deal_create(
            user=personas.bob, contact=customer, amount="10", line_items=[{"product": "A", "unit_price": "5"}]
        )
    with pytest.raises(ApplicationError, match="Product 1: the quantity"):
        deal_create(
            user=personas.bob,
            contact=customer,
            line_items=[{"product": "A", "quantity": "-1", "unit_price": "5"}],
        )
    with pytest.raises(ApplicationError, match="starts at qualification"):
        deal_create(user=personas.bob, contact=customer, amount="1", stage=DealStage.WON)


def test_who_may_open_a_deal_for_whom(customer, personas):
    with pytest.raises(AccessDenied, match="Only sales"):
        deal_create(user=personas.alice, contact=customer, amount="1")
    with pytest.raises(AccessDenied):  # carol sees her teammate's customer but does not act on it
        deal_create(user=personas.carol, contact=customer, amount="1")
    with pytest.raises(NotFound):
        deal_create(user=personas.charlie, contact=customer, amount="1")
    with pytest.raises(AccessDenied, match="give a deal to"):
        deal_create(user=personas.bob, contact=customer, amount="1", owner=personas.carol)
    deal = deal_create(user=personas.mike, contact=customer, amount="1", owner=personas.carol)
    assert deal.owner == personas.carol  # a manager gives deals to their reps


@pytest.fixture
def deal(personas):
    lead = LeadFactory(stage=Stage.SQL, owner=personas.bob, company="Acme")
    return lead_convert(lead=lead, user=personas.bob, amount="1000")


def test_editing_a_deal_records_old_and_new_values_in_events_and_the_audit_trail(deal, personas):
    deal_update(
        deal=deal,
        user=personas.bob,
        amount="1500",
        expected_close=date(2027, 1, 15),
        stage=DealStage.NEGOTIATION,
        name="Acme renewal",
    )
    deal.refresh_from_db()
    assert (deal.amount, deal.stage, deal.name) == (Decimal("1500.00"), "negotiation", "Acme renewal")
    changes = Event.objects.get(type="deal.updated").payload["changes"]
    assert changes["amount"] == ["1000.00", "1500.00"] and changes["expected_close"] == [None, "2027-01-15"]
    assert Event.objects.get(type="deal.stage_changed").payload == {
        "from": "qualification",
        "to": "negotiation",
    }
    record = ChangeRecord.objects.filter(object_type="deals.deal", object_id=deal.pk, action="update").latest(
        "id"
    )
    assert record.changes["amount"] == ["1000.00", "1500.00"] and record.changes["stage"][1] == "negotiation"


def test_products_replace_the_amount_and_removing_them_lets_it_be_set_again(deal, personas):
    deal_update(
        deal=deal, user=personas.bob, line_items=[{"product": "Seats", "quantity": 3, "unit_price": "100"}]
    )
    deal.refresh_from_db()
    assert deal.amount == Decimal("300.00") and DealLineItem.objects.filter(deal=deal).count() == 1
    with pytest.raises(ApplicationError, match="total of its products"):
        deal_update(deal=deal, user=personas.bob, amount="999")
    assert ChangeRecord.objects.filter(object_type="deals.deallineitem", action="create").exists()
    deal_update(deal=deal, user=personas.bob, line_items=[], amount="50")
    deal.refresh_from_db()
    assert deal.amount == Decimal("50.00") and not deal.line_items.exists()
    assert ChangeRecord.objects.filter(object_type="deals.deallineitem", action="delete").exists()


def test_an_unchanged_save_records_nothing(deal, personas):
    deal_update(deal=deal, user=personas.bob, amount="1000", name=deal.name)
    assert not Event.objects.filter(type="deal.updated").exists()


def test_who_may_edit_a_deal_and_to_whom_it_may_go(deal, personas):
    with pytest.raises(AccessDenied):
        deal_update(deal=deal, user=personas.alice, amount="1")  # marketing reads deals
    with pytest.raises(NotFound):
        deal_update(deal=deal, user=personas.carol, amount="1")  # a teammate does not see bob's deal
    with pytest.raises(AccessDenied, match="give a deal to"):
        deal_update(deal=deal, user=personas.bob, owner=personas.charlie)
    deal_update(deal=deal, user=personas.mike, owner=personas.carol)
    deal.refresh_from_db()
    assert deal.owner == personas.carol
    deal_update(deal=deal, user=personas.sam, owner=personas.charlie)  # the sales head: any salesperson
    deal.refresh_from_db()
    assert deal.owner == personas.charlie


def test_a_closed_deal_is_not_edited_and_editing_does_not_close(deal, personas):
    with pytest.raises(ApplicationError, match="win or lose"):
        deal_update(deal=deal, user=personas.bob, stage=DealStage.WON)
    deal_win(deal=deal, user=personas.bob)
    with pytest.raises(Conflict, match="closed deals are not edited"):
        deal_update(deal=deal, user=personas.bob, amount="1")


def test_the_sales_head_sets_stage_probabilities_and_nobody_else(personas):
    assert stage_probabilities() == {"qualification": 20, "proposal": 50, "negotiation": 80}
    stage_probability_set(user=personas.sam, stage="proposal", probability=40)
    assert stage_probabilities()["proposal"] == 40
    stage_probability_set(user=personas.sam, stage="proposal", probability=45)
    assert StageProbability.objects.get(stage="proposal").probability == 45
    event = Event.objects.filter(type="deal.stage_probability_set").latest("id")
    assert event.payload == {"stage": "proposal", "from": 40, "to": 45}
    with pytest.raises(AccessDenied):
        stage_probability_set(user=personas.mike, stage="proposal", probability=10)
    with pytest.raises(ApplicationError, match="open stages only"):
        stage_probability_set(user=personas.sam, stage="won", probability=100)
    with pytest.raises(ApplicationError, match="0 to 100"):
        stage_probability_set(user=personas.sam, stage="proposal", probability=101)
