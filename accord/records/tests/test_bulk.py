"""Bulk actions on the lead list: assign, stage, add to campaign, export, trash, lead by lead through
the access layer."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accord.campaigns.models import Campaign, Touchpoint
from accord.core.models import Event
from accord.leads.models import Lead, Stage
from accord.records.tests.factories import person_make

pytestmark = pytest.mark.django_db

BULK = "/leads/bulk"


@pytest.fixture
def team_leads(personas):
    bobs = [person_make(f"b{n}@acme.com", owner=personas.bob) for n in range(3)]
    charlies = [person_make(f"c{n}@initech.com", owner=personas.charlie) for n in range(2)]
    return {"bob": bobs, "charlie": charlies}


def post(client, **data):
    return client.post(BULK, {"next": "/leads/?stage=mql", **data})


def test_the_sales_head_assigns_many_leads_at_once(personas, team_leads, client):
    client.force_login(personas.sam)
    ids = [lead.pk for lead in team_leads["bob"] + team_leads["charlie"]]
    response = post(client, action="assign", ids=ids, owner="carol", reason="Bob is on leave")
    assert response.status_code == 302 and response["Location"] == "/leads/?stage=mql"
    assert set(Lead.objects.filter(pk__in=ids).values_list("owner__username", flat=True)) == {"carol"}
    assert Event.objects.filter(type="lead.assigned", subject_id__in=ids).count() == 5


def test_a_manager_assigns_only_the_leads_of_the_people_they_manage(personas, team_leads, client):
    client.force_login(personas.mike)
    ids = [lead.pk for lead in team_leads["bob"] + team_leads["charlie"]]
    response = post(client, action="assign", ids=ids, owner="carol", reason="Rebalancing")
    follow = client.get(response["Location"])
    assert "Assigned 3 leads. 2 skipped: you may not reassign them." in follow.content.decode()
    assert {lead.owner_id for lead in Lead.objects.filter(pk__in=[c.pk for c in team_leads["charlie"]])} == {
        personas.charlie.pk
    }


def test_a_rep_may_not_bulk_assign_and_nothing_changes(personas, team_leads, client):
    client.force_login(personas.bob)
    ids = [lead.pk for lead in team_leads["bob"]]
    assert post(client, action="assign", ids=ids, owner="carol", reason="x").status_code == 403
    assert set(Lead.objects.filter(pk__in=ids).values_list("owner__username", flat=True)) == {"bob"}
    assert not Event.objects.filter(type="lead.assigned").exists()


def test_a_stage_change_needs_a_reason_and_keeps_it_on_each_lead(personas, team_leads, client):
    client.force_login(personas.alice)
    ids = [lead.pk for lead in team_leads["bob"]]
    post(client, action="stage", ids=ids, stage="nurture", reason="")
    assert set(Lead.objects.filter(pk__in=ids).values_list("stage", flat=True)) == {Stage.MQL}
    post(client, action="stage", ids=ids, stage="nurture", reason="Not ready this quarter")
    assert set(Lead.objects.filter(pk__in=ids).values_list("stage", flat=True)) == {Stage.NURTURE}
    reasons = Event.objects.filter(type="lead.stage_changed", subject_id__in=ids).values_list(
        "payload", flat=True
    )
    assert {p["reason"] for p in reasons} == {"Not ready this quarter"}


def test_marketing_adds_leads_to_a_campaign_once(personas, team_leads, client):
    campaign = Campaign.objects.create(name="Spring webinar", owner=personas.alice)
    client.force_login(personas.alice)
    ids = [lead.pk for lead in team_leads["bob"]]
    post(client, action="campaign", ids=ids[:2], campaign=campaign.pk)
    response = post(client, action="campaign", ids=ids, campaign=campaign.pk)
    assert Touchpoint.objects.filter(campaign=campaign).count() == 3
    assert (
        "Added to the campaign: 1 lead. 2 skipped: already in the campaign."
        in client.get(response["Location"]).content.decode()
    )


def test_a_rep_may_not_add_leads_to_a_campaign(personas, team_leads, client):
    campaign = Campaign.objects.create(name="Spring webinar")
    client.force_login(personas.bob)
    assert (
        post(client, action="campaign", ids=[team_leads["bob"][0].pk], campaign=campaign.pk).status_code
        == 403
    )
    assert not Touchpoint.objects.exists()


def test_export_streams_only_the_selected_leads_one_may_see_with_cells_escaped(personas, team_leads, client):
    Lead.objects.filter(pk=team_leads["bob"][0].pk).update(first_name="=HYPERLINK(1)")
    client.force_login(personas.bob)
    ids = [team_leads["bob"][0].pk, team_leads["charlie"][0].pk]
    response = post(client, action="export", ids=ids)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Email" and len(rows) == 2
    assert rows[1][:2] == ["b0@acme.com", "'=HYPERLINK(1)"]


def test_trash_hides_the_leads_and_a_rep_may_not(personas, team_leads, client):
    ids = [lead.pk for lead in team_leads["bob"]]
    client.force_login(personas.bob)
    assert post(client, action="trash", ids=ids, reason="junk").status_code == 403
    client.force_login(personas.alice)
    post(client, action="trash", ids=ids, reason="Test entries")
    assert not Lead.objects.filter(pk__in=ids, trash__isnull=True).exists()


def test_an_outside_next_address_is_not_followed(personas, team_leads, client):
    client.force_login(personas.alice)
    response = client.post(BULK, {"action": "nothing", "ids": [1], "next": "https://evil.example/"})
    assert response["Location"] == "/leads/"


def test_the_list_offers_only_the_actions_of_ones_role(personas, team_leads, client):
    client.force_login(personas.bob)
    offered = dict(client.get(reverse("leads:list")).context["bulk_actions"])
    assert set(offered) == {"stage", "export"}
    client.force_login(personas.sam)
    offered = dict(client.get(reverse("leads:list")).context["bulk_actions"])
    assert set(offered) == {"assign", "stage", "export", "trash"}
