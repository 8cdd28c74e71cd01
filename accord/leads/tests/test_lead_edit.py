"""Editing a lead's fields by hand: the service behind the edit page and PATCH /api/v1/leads/{id}."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accord.audit.models import ChangeRecord
from accord.campaigns.tests.factories import LeadFactory
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import events_for
from accord.leads.models import Lead
from accord.leads.services import LEAD_CONTACT_FIELDS, lead_editable_fields, lead_fields_edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol_lead(personas):
    return LeadFactory(email="ana@acme.example", owner=personas.carol, stage="sal", title="Analyst", phone="")


def patch(client, lead_id, body):
    return client.patch(f"/api/v1/leads/{lead_id}", json.dumps(body), content_type="application/json")


def test_the_owner_edits_contact_fields_and_the_change_is_an_event_and_an_audit_record(personas, carol_lead):
    lead, changes = lead_fields_edit(
        user=personas.carol,
        lead_id=carol_lead.pk,
        values={
            "title": "VP Care",
            "mobile": "+44 7700 900123",
            "company_size": "1,200",
            "annual_revenue": "5M",
        },
    )
    assert changes["title"] == ["Analyst", "VP Care"]
    lead.refresh_from_db()
    assert (lead.title, lead.mobile, lead.company_size, lead.annual_revenue) == (
        "VP Care",
        "+44 7700 900123",
        1200,
        Decimal("5000000.00"),
    )
    (event,) = [e for e in events_for(lead) if e.type == "lead.edited"]
    assert event.actor == personas.carol and event.payload["changes"]["title"] == ["Analyst", "VP Care"]
    record = ChangeRecord.objects.filter(object_id=str(lead.pk), action="update").latest("id")
    assert record.actor == personas.carol and record.changes["title"] == ["Analyst", "VP Care"]


def test_an_empty_value_clears_a_field_and_nothing_changed_records_nothing(personas, carol_lead):
    lead, changes = lead_fields_edit(user=personas.carol, lead_id=carol_lead.pk, values={"title": ""})
    assert changes == {"title": ["Analyst", ""]}
    _, again = lead_fields_edit(user=personas.carol, lead_id=carol_lead.pk, values={"title": ""})
    assert again == {}
    assert len([e for e in events_for(lead) if e.type == "lead.edited"]) == 1


def test_a_teammate_who_only_sees_the_lead_is_refused_and_an_outsider_does_not_find_it(personas, carol_lead):
    with pytest.raises(AccessDenied):
        lead_fields_edit(user=personas.bob, lead_id=carol_lead.pk, values={"title": "x"})
    with pytest.raises(NotFound):
        lead_fields_edit(user=personas.charlie, lead_id=carol_lead.pk, values={"title": "x"})
    with pytest.raises(AccessDenied):
        lead_fields_edit(user=personas.eve, lead_id=carol_lead.pk, values={"title": "x"})


def test_only_marketing_and_admins_change_the_email_and_attribution(personas, carol_lead):
    assert lead_editable_fields(personas.carol) == LEAD_CONTACT_FIELDS
    with pytest.raises(AccessDenied, match="email"):
        lead_fields_edit(user=personas.carol, lead_id=carol_lead.pk, values={"email": "new@acme.example"})
    lead, _ = lead_fields_edit(
        user=personas.alice, lead_id=carol_lead.pk, values={"email": "New@Acme.example"}
    )
    assert (lead.email, lead.email_key) == ("new@acme.example", "new@acme.example")


def test_an_email_another_lead_has_is_a_conflict_and_a_bad_value_names_the_field(personas, carol_lead):
    LeadFactory(email="taken@acme.example")
    with pytest.raises(Conflict, match="merge"):
        lead_fields_edit(user=personas.alice, lead_id=carol_lead.pk, values={"email": "taken@acme.example"})
    with pytest.raises(ApplicationError) as caught:
        lead_fields_edit(user=personas.carol, lead_id=carol_lead.pk, values={"company_size": "lots"})
    assert caught.value.detail == {"company_size": "'lots' is not a whole number of employees (e.g. 250)"}
    with pytest.raises(ApplicationError, match="stage"):
        lead_fields_edit(user=personas.root, lead_id=carol_lead.pk, values={"stage": "customer"})


def test_custom_fields_are_set_and_removed(personas, carol_lead):
    lead, _ = lead_fields_edit(
        user=personas.carol,
        lead_id=carol_lead.pk,
        values={},
        custom={"Plan Tier": "gold", "00N5e00000ABCDE": "x"},
    )
    assert lead.custom == {"plan_tier": "gold", "00N5e00000ABCDE": "x"}
    lead, _ = lead_fields_edit(
        user=personas.carol, lead_id=carol_lead.pk, values={}, custom={"plan_tier": None}
    )
    assert lead.custom == {"00N5e00000ABCDE": "x"}


def test_patch_in_the_api_changes_the_fields_and_answers_with_the_lead(personas, carol_lead, api_client_for):
    response = patch(
        api_client_for(personas.mike), carol_lead.pk, {"title": "Head of Care", "mobile": "+1 555 0100"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["mobile"], body["routing_queue"]) == ("Head of Care", "+1 555 0100", None)
    record = ChangeRecord.objects.filter(object_id=str(carol_lead.pk), action="update").latest("id")
    assert (record.channel, record.actor) == ("api", personas.mike)


def test_patch_refuses_fields_it_does_not_know_and_a_role_without_the_right(
    personas, carol_lead, api_client_for
):
    assert patch(api_client_for(personas.carol), carol_lead.pk, {"owner": 1}).status_code == 422
    response = patch(api_client_for(personas.carol), carol_lead.pk, {"utm_source": "x"})
    assert response.status_code == 403 and response.json()["detail"] == {"utm_source": "not for your role"}
    assert patch(api_client_for(personas.charlie), carol_lead.pk, {"title": "x"}).status_code == 404
    assert Lead.objects.get(pk=carol_lead.pk).title == "Analyst"


def test_the_edit_page_shows_the_fields_of_ones_role_and_saves(personas, carol_lead, client_for):
    client = client_for(personas.carol)
    page = client.get(f"/leads/{carol_lead.pk}/edit").content.decode()
    assert 'name="mobile"' in page and 'name="email"' not in page and 'name="utm_source"' not in page
    response = client.post(f"/leads/{carol_lead.pk}/edit", {"title": "VP Care", "city": "Leeds"})
    assert response.status_code == 302
    lead = Lead.objects.get(pk=carol_lead.pk)
    assert (lead.title, lead.city) == ("VP Care", "Leeds")
    detail = client.get(f"/leads/{carol_lead.pk}/").content.decode()
    assert "Details edited by" in detail and "title Analyst → VP Care" in detail
    assert 'id="edit-lead"' in detail
    assert 'id="edit-lead"' not in client_for(personas.bob).get(f"/leads/{carol_lead.pk}/").content.decode()


def test_the_edit_page_says_what_is_wrong(personas, carol_lead, client_for):
    response = client_for(personas.carol).post(f"/leads/{carol_lead.pk}/edit", {"company_size": "lots"})
    assert response.status_code == 422
    assert "not a whole number of employees" in response.content.decode()
    assert client_for(personas.bob).get(f"/leads/{carol_lead.pk}/edit").status_code == 403
    assert client_for(personas.charlie).get(f"/leads/{carol_lead.pk}/edit").status_code == 404


def test_the_sources_page_sets_the_hosts_a_forms_retURL_may_return_to(personas, client_for):
    from accord.leads.models import Source

    response = client_for(personas.alice).post(
        "/sources/",
        {"name": "Website", "kind": "form", "allowed_redirect_hosts": "WWW.Acme.example, acme.example"},
    )
    assert response.status_code == 302
    assert Source.objects.get(name="Website").redirect_hosts() == {"www.acme.example", "acme.example"}
