"""Soft delete with restore: a deleted lead is hidden everywhere until restored."""

from __future__ import annotations

import pytest

from accord.core.errors import AccessDenied
from accord.core.models import Event
from accord.intake.tests.test_intake import lead_make
from accord.leads.selectors import leads_visible_to
from accord.privacy.models import LeadTrash
from accord.privacy.services import lead_delete, lead_restore

pytestmark = pytest.mark.django_db


def test_a_deleted_lead_is_hidden_from_lists_pages_and_api_and_comes_back_on_restore(
    personas, client_for, api_client_for
):
    lead = lead_make("ann@acme.com")
    lead_delete(lead=lead, actor=personas.alice, reason="test entry")
    assert not leads_visible_to(personas.root).filter(pk=lead.pk).exists()
    assert client_for(personas.alice).get(f"/leads/{lead.pk}/").status_code == 404
    assert api_client_for(personas.alice).get(f"/api/v1/leads/{lead.pk}").status_code == 404
    assert "ann@acme.com" in client_for(personas.alice).get("/privacy/trash/").content.decode()

    lead_restore(lead=lead, actor=personas.alice)
    assert leads_visible_to(personas.root).filter(pk=lead.pk).exists()
    assert [e.type for e in Event.objects.filter(subject_id=lead.pk, type__startswith="lead.")][-2:] == [
        "lead.deleted",
        "lead.restored",
    ]


def test_pages_delete_and_restore(personas, client_for):
    lead = lead_make("ann@acme.com")
    client = client_for(personas.mona)
    assert client.post(f"/privacy/leads/{lead.pk}/delete", {"reason": "spam"}).status_code == 302
    assert LeadTrash.objects.get(lead=lead).reason == "spam"
    assert client.post(f"/privacy/trash/{lead.pk}/restore").status_code == 302
    assert not LeadTrash.objects.filter(lead=lead).exists()


def test_the_api_deletes_and_restores(personas, api_client_for):
    lead = lead_make("ann@acme.com")
    client = api_client_for(personas.alice)
    assert client.post(f"/api/v1/leads/{lead.pk}/trash", data={}, content_type="application/json").json()[
        "in_trash"
    ]
    assert client.post(f"/api/v1/leads/{lead.pk}/restore").json() == {"lead_id": lead.pk, "in_trash": False}


def test_reps_may_not_delete_leads(personas, client_for):
    lead = lead_make("ann@acme.com", owner=personas.bob)
    with pytest.raises(AccessDenied):
        lead_delete(lead=lead, actor=personas.bob)
    assert client_for(personas.bob).post(f"/privacy/leads/{lead.pk}/delete").status_code == 403
    assert client_for(personas.bob).get("/privacy/trash/").status_code == 403
