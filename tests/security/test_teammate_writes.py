"""A rep sees their teammates' leads but may not act on them: every such write is refused and writes nothing.

Before the one access layer, converting asked "may see" where it should ask "may act": bob could turn
carol's lead into a deal; the API answered 404 (bob does not see carol's deals) while the deal was saved.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accord.people.models import Role
from accord.people.tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


def _rows(lead: Any) -> dict[str, Any]:
    """Everything a lead write could leave behind, counted, and the lead's own row."""
    from accord.audit.models import ChangeRecord
    from accord.campaigns.models import Delivery
    from accord.core.models import Event, IdempotencyRecord
    from accord.deals.models import Deal
    from accord.leads.models import Lead
    from accord.routing.models import LeadRouting
    from accord.sla.models import SlaClock, Touch

    row = Lead.objects.values("stage", "owner_id", "account_id", "score", "updated_at").get(pk=lead.pk)
    counts = {m.__name__: m.objects.count() for m in (Deal, Event, Touch, SlaClock, LeadRouting, ChangeRecord,
                                                        IdempotencyRecord)}  # fmt: skip
    counts["outcomes"] = Delivery.objects.exclude(replied_at=None).count()
    return {"lead": row, **counts}


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


API_WRITES = {
    "convert into a deal": lambda w: (f"/api/v1/leads/{w.carol_lead.pk}/convert", {"amount": "1000"}),
    "accept": lambda w: (f"/api/v1/leads/{w.carol_lead.pk}/accept", {}),
    "reject": lambda w: (f"/api/v1/leads/{w.carol_lead.pk}/reject", {"reason": "not_ready"}),
    "touch": lambda w: (f"/api/v1/leads/{w.carol_lead.pk}/touches", {"kind": "call"}),
    "set a customer stage": lambda w: (
        f"/api/v1/leads/{w.carol_lead.pk}/customer-stage",
        {"stage": "loyal", "reason": "matrix"},
    ),
    "reassign": lambda w: (f"/api/v1/leads/{w.carol_lead.pk}/reassign", {"to": w.p.bob.pk, "reason": "mine"}),
}


@pytest.mark.parametrize("operation", sorted(API_WRITES))
def test_a_rep_cannot_act_on_a_teammates_lead_through_the_api(operation, world, api_client_for):
    url, body = API_WRITES[operation](world)
    before = _rows(world.carol_lead)
    response = _post(api_client_for(world.p.bob), url, body)
    assert response.status_code == 403, response.content
    assert response.json()["message"]
    assert _rows(world.carol_lead) == before


def test_a_rep_converting_a_teammates_lead_is_refused_and_no_deal_is_saved(world, api_client_for):
    from accord.deals.models import Deal

    response = _post(
        api_client_for(world.p.bob), f"/api/v1/leads/{world.carol_lead.pk}/convert", {"amount": "5"}
    )
    assert response.status_code == 403
    assert "convert" in response.json()["message"]
    assert not Deal.objects.filter(contact=world.carol_lead).exclude(pk=world.carol_deal.pk).exists()


def test_the_owner_still_converts_her_own_lead(world, api_client_for):
    from accord.deals.models import Deal

    response = _post(
        api_client_for(world.p.carol), f"/api/v1/leads/{world.carol_lead.pk}/convert", {"amount": "5"}
    )
    assert response.status_code == 201, response.content
    assert Deal.objects.filter(contact=world.carol_lead).count() == 2


PAGE_WRITES = {
    "convert into a deal": lambda w: (
        f"/deals/convert/{w.carol_lead.pk}/",
        {"amount": "1000", "currency": "USD"},
    ),
    "change the stage": lambda w: (f"/leads/{w.carol_lead.pk}/stage", {"stage": "nurture", "reason": "mine"}),
    "accept in the inbox": lambda w: (f"/inbox/leads/{w.carol_lead.pk}/accept", {}),
    "reject in the inbox": lambda w: (f"/inbox/leads/{w.carol_lead.pk}/reject", {"reason": "not_ready"}),
    "touch in the inbox": lambda w: (f"/inbox/leads/{w.carol_lead.pk}/touch", {"kind": "call"}),
}


@pytest.mark.parametrize("operation", sorted(PAGE_WRITES))
def test_a_rep_cannot_act_on_a_teammates_lead_on_the_pages(operation, world, client_for):
    url, data = PAGE_WRITES[operation](world)
    before = _rows(world.carol_lead)
    response = client_for(world.p.bob).post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert _rows(world.carol_lead) == before


def test_a_manager_who_does_not_manage_the_owner_cannot_reassign_a_lead_he_sees(world, api_client_for):
    """max manages nobody but sits in Team Health, so he sees carol's lead: seeing is not acting."""
    max_ = user_with_roles("max", Role.SALES_MANAGER, team=world.p.health)
    before = _rows(world.carol_lead)
    response = _post(api_client_for(max_), f"/api/v1/leads/{world.carol_lead.pk}/reassign",
                     {"to": max_.pk, "reason": "mine now"})  # fmt: skip
    assert response.status_code == 403
    assert "reassign" in response.json()["message"]
    assert _rows(world.carol_lead) == before


def test_a_rep_cannot_record_an_outcome_for_a_teammates_lead(world, api_client_for):
    from accord.campaigns.models import Delivery

    Delivery.objects.create(communication=world.communication, variant=world.communication.variants.first(),
                            lead=world.carol_lead, sent_at=world.bob_lead.created_at)  # fmt: skip
    before = _rows(world.carol_lead)
    response = _post(api_client_for(world.p.bob), f"/api/v1/communications/{world.communication.pk}/outcomes",
                     {"lead_id": world.carol_lead.pk, "outcome": "replied"})  # fmt: skip
    assert response.status_code == 403
    assert _rows(world.carol_lead) == before
