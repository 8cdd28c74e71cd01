"""Converting accepted leads, winning and losing deals, and the customer stages after the sale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from accord.campaigns.tests.factories import LeadFactory
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.models import Event
from accord.deals.models import Deal, DealStage
from accord.deals.services import (
    customer_stage_set,
    customer_stages_apply_rules,
    deal_lose,
    deal_stage_set,
    deal_win,
    lead_convert,
)
from accord.leads.models import Account, Stage


@pytest.fixture
def accepted(personas):
    return LeadFactory(
        stage=Stage.SAL, owner=personas.bob, company="Acme Clinics LLC", first_name="Ann", last_name="Lee"
    )


def test_converting_an_accepted_lead_opens_a_deal_creates_the_account_and_makes_it_an_opportunity(
    accepted, personas
):
    deal = lead_convert(lead=accepted, user=personas.bob, amount="12000", currency="eur")
    accepted.refresh_from_db()
    assert (
        deal.stage == DealStage.QUALIFICATION
        and deal.amount == Decimal("12000.00")
        and deal.currency == "EUR"
    )
    assert deal.owner == personas.bob and deal.contact == accepted
    assert deal.account.name == "Acme Clinics LLC" and accepted.account == deal.account
    assert deal.name == "Acme Clinics LLC: Ann Lee"
    assert accepted.stage == Stage.OPPORTUNITY
    created = Event.objects.get(type="deal.created")
    assert created.subject_id == deal.pk and created.payload["account_created"] is True
    moved = Event.objects.get(type="lead.stage_changed", subject_id=accepted.pk)
    assert moved.stage == "opportunity" and f"deal {deal.pk}" in moved.payload["reason"]


def test_converting_reuses_an_account_with_the_same_company_name(accepted, personas):
    existing = Account.objects.create(name="ACME Clinics", name_key="acme clinics")
    deal = lead_convert(lead=accepted, user=personas.bob, amount=100)
    assert deal.account == existing
    assert Event.objects.get(type="deal.created").payload["account_created"] is False


@pytest.mark.parametrize(
    "stage", [Stage.INQUIRY, Stage.MQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.DISQUALIFIED]
)
def test_only_leads_sales_accepted_can_be_converted(personas, stage):
    lead = LeadFactory(stage=stage, owner=personas.bob)
    with pytest.raises(Conflict, match="SAL or SQL"):
        lead_convert(lead=lead, user=personas.bob, amount=100)
    assert not Deal.objects.exists()


def test_a_lead_without_account_or_company_cannot_be_converted(personas):
    lead = LeadFactory(stage=Stage.SQL, owner=personas.bob, company="")
    with pytest.raises(ApplicationError, match="no account and no company"):
        lead_convert(lead=lead, user=personas.bob, amount=100)


def test_marketing_cannot_convert_and_an_outsider_rep_does_not_find_the_lead(accepted, personas):
    with pytest.raises(AccessDenied):
        lead_convert(lead=accepted, user=personas.alice, amount=100)
    with pytest.raises(NotFound):
        lead_convert(lead=accepted, user=personas.charlie, amount=100)


@pytest.fixture
def deal(accepted, personas):
    return lead_convert(lead=accepted, user=personas.bob, amount="5000")


def test_winning_a_deal_makes_the_contact_a_customer_and_records_the_amount(deal, personas):
    deal_win(deal=deal, user=personas.bob, reason="Best fit")
    deal.refresh_from_db()
    deal.contact.refresh_from_db()
    assert deal.stage == DealStage.WON and deal.closed_at is not None and deal.won_reason == "Best fit"
    assert deal.contact.stage == Stage.CUSTOMER
    won = Event.objects.get(type="deal.won")
    assert (
        won.payload["amount"] == "5000.00" and won.payload["currency"] == "USD" and won.actor == personas.bob
    )


def test_a_closed_deal_cannot_be_won_or_lost_again(deal, personas):
    deal_win(deal=deal, user=personas.bob)
    with pytest.raises(Conflict, match="already won"):
        deal_lose(deal=deal, user=personas.bob, reason="changed mind")


def test_losing_needs_a_reason_and_keeps_the_contacts_stage(deal, personas):
    with pytest.raises(ApplicationError, match="why the deal was lost"):
        deal_lose(deal=deal, user=personas.bob, reason="  ")
    deal_lose(deal=deal, user=personas.bob, reason="Went with a competitor")
    deal.refresh_from_db()
    assert deal.stage == DealStage.LOST and deal.lost_reason == "Went with a competitor"
    assert deal.contact.stage == Stage.OPPORTUNITY
    assert Event.objects.filter(type="deal.lost", subject_id=deal.pk).count() == 1


def test_a_deal_cannot_close_in_the_future_or_before_it_opened(deal, personas):
    with pytest.raises(ApplicationError, match="future"):
        deal_win(deal=deal, user=personas.bob, closed_at=datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ApplicationError, match="before it was opened"):
        deal_win(deal=deal, user=personas.bob, closed_at=deal.created_at - timedelta(days=1))


def test_who_may_act_on_a_deal(deal, personas):
    for outsider in (personas.carol, personas.charlie, personas.fiona):  # they do not see bob's deal
        with pytest.raises(NotFound):
            deal_stage_set(deal=deal, user=outsider, stage=DealStage.PROPOSAL)
    for reader in (personas.alice, personas.eve):  # they read every deal and work none
        with pytest.raises(AccessDenied):
            deal_stage_set(deal=deal, user=reader, stage=DealStage.PROPOSAL)
    for allowed, stage in (
        (personas.bob, DealStage.PROPOSAL),
        (personas.mike, DealStage.NEGOTIATION),
        (personas.sam, DealStage.PROPOSAL),
    ):
        deal_stage_set(deal=deal, user=allowed, stage=stage)
    assert Event.objects.filter(type="deal.stage_changed").count() == 3


def test_customer_stages_are_set_by_hand_with_a_reason(deal, personas):
    with pytest.raises(Conflict, match="Win a deal first"):
        customer_stage_set(
            lead=deal.contact, stage=Stage.ADVOCATE, user=personas.mona, reason="Spoke at our event"
        )
    deal_win(deal=deal, user=personas.bob)
    with pytest.raises(ApplicationError, match="Say why"):
        customer_stage_set(lead=deal.contact, stage=Stage.ADVOCATE, user=personas.mona, reason="")
    lead = customer_stage_set(
        lead=deal.contact, stage=Stage.ADVOCATE, user=personas.mona, reason="Spoke at our event"
    )
    assert lead.stage == Stage.ADVOCATE
    event = Event.objects.filter(type="lead.stage_changed", subject_id=lead.pk).last()
    assert event.stage == "advocate" and event.payload["reason"] == "By hand: Spoke at our event"


def test_a_customer_with_two_won_deals_becomes_loyal_by_rule(accepted, personas):
    first = lead_convert(lead=accepted, user=personas.bob, amount=100)
    deal_win(deal=first, user=personas.bob)
    assert customer_stages_apply_rules() == []
    second = Deal.objects.create(
        name="Renewal", account=first.account, contact=first.contact, owner=personas.bob, amount=Decimal("50")
    )
    deal_win(deal=second, user=personas.bob)
    moved = customer_stages_apply_rules()
    assert [lead_id for lead_id, _ in moved] == [accepted.pk]
    assert "2 won deals" in moved[0][1]
    accepted.refresh_from_db()
    assert accepted.stage == Stage.LOYAL
    assert customer_stages_apply_rules() == []  # idempotent


def test_a_customer_of_twelve_months_becomes_loyal_by_rule_and_advocates_are_left_alone(personas):
    with time_machine.travel(datetime(2025, 1, 10, 12, tzinfo=UTC), tick=False):
        lead = LeadFactory(stage=Stage.SQL, owner=personas.bob)
        deal_win(deal=lead_convert(lead=lead, user=personas.bob, amount=100), user=personas.bob)
        advocate = LeadFactory(stage=Stage.SQL, owner=personas.bob)
        deal_win(deal=lead_convert(lead=advocate, user=personas.bob, amount=100), user=personas.bob)
        customer_stage_set(lead=advocate, stage=Stage.ADVOCATE, user=personas.mona, reason="Case study")
    assert customer_stages_apply_rules(as_of=datetime(2026, 1, 9, 12, tzinfo=UTC)) == []
    moved = customer_stages_apply_rules(as_of=datetime(2026, 1, 10, 12, tzinfo=UTC))
    assert [lead_id for lead_id, _ in moved] == [lead.pk]
    assert "customer since 2025-01-10" in moved[0][1]
    advocate.refresh_from_db()
    assert advocate.stage == Stage.ADVOCATE
