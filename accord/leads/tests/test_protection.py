"""Records sales works on are protected: an anonymous form post or unsigned webhook fills empty fields
but proposes, rather than writes, new identity values for an accepted or hand-edited lead; the owner
applies a proposal in one click (audited). Signed sources and the API keep "newest value wins"."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accord.audit.context import audit_context
from accord.audit.models import AuditChannel, ChangeRecord
from accord.core.events import events_for
from accord.core.signing import SIGNATURE_HEADER, signature_make
from accord.leads.models import Lead, Source, SourceKind, Stage
from accord.leads.protection import APPLIED_EVENT, PROPOSED_EVENT, identity_changes_held
from accord.leads.services import source_create

pytestmark = pytest.mark.django_db

SECRET = "sk_" + "p" * 40


@pytest.fixture
def form(db) -> Source:
    return source_create(name="Website form", kind=SourceKind.FORM)


@pytest.fixture
def accepted(personas) -> Lead:
    """A lead bob accepted: sales works on it."""
    return Lead.objects.create(
        email="pat.lee@stmarys.example",
        email_key="pat.lee@stmarys.example",
        first_name="Pat",
        last_name="Lee",
        company="St Mary's Hospital",
        phone="+44 20 7946 0000",
        stage=Stage.SAL,
        owner=personas.bob,
    )


def post_form(source: Source, **fields) -> None:
    body = {"email": "pat.lee@stmarys.example", **fields}
    response = Client().post(f"/f/{source.public_key}", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content


def proposals(lead: Lead):
    return [e for e in events_for(lead) if e.type == PROPOSED_EVENT]


def test_a_form_post_cannot_change_the_name_of_an_accepted_lead(form, accepted):
    post_form(form, first_name="Hacked", last_name="Name", company="Evil Corp", phone="+1 555 0100")
    accepted.refresh_from_db()
    assert (accepted.first_name, accepted.last_name, accepted.company, accepted.phone) == (
        "Pat",
        "Lee",
        "St Mary's Hospital",
        "+44 20 7946 0000",
    )
    (proposal,) = proposals(accepted)
    assert proposal.payload["changes"]["first_name"] == ["Pat", "Hacked"]
    assert proposal.payload["changes"]["company"] == ["St Mary's Hospital", "Evil Corp"]
    assert proposal.payload["source"] == "Website form"


def test_the_proposed_change_shows_on_the_timeline_with_an_apply_button_for_the_owner(
    form, accepted, personas, client_for
):
    post_form(form, first_name="Patricia")
    page = client_for(personas.bob).get(f"/leads/{accepted.pk}/").content.decode()
    assert "Proposed change from" in page and "first name Pat → Patricia" in page
    (proposal,) = proposals(accepted)
    assert f"/leads/{accepted.pk}/proposals/{proposal.pk}/apply" in page
    # A teammate may see the lead but not act on it: no button.
    teammate_page = client_for(personas.carol).get(f"/leads/{accepted.pk}/").content.decode()
    assert "Proposed change from" in teammate_page and "/apply" not in teammate_page


def test_applying_a_proposed_change_updates_the_lead_and_leaves_an_audit_record(
    form, accepted, personas, client_for
):
    post_form(form, first_name="Patricia", phone="+44 20 7946 0999")
    (proposal,) = proposals(accepted)
    client = client_for(personas.bob)
    response = client.post(f"/leads/{accepted.pk}/proposals/{proposal.pk}/apply")
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert (accepted.first_name, accepted.phone) == ("Patricia", "+44 20 7946 0999")
    record = ChangeRecord.objects.filter(object_type="leads.lead", object_id=str(accepted.pk)).latest("id")
    assert (record.actor, record.channel) == (personas.bob, AuditChannel.PAGE)
    assert record.changes["first_name"] == ["Pat", "Patricia"]
    (applied,) = [e for e in events_for(accepted) if e.type == APPLIED_EVENT]
    assert (applied.actor, applied.payload["proposal"]) == (personas.bob, proposal.pk)
    # Once applied it is gone from the page and cannot be applied again.
    page = client.get(f"/leads/{accepted.pk}/").content.decode()
    assert f"/proposals/{proposal.pk}/apply" not in page
    client.post(f"/leads/{accepted.pk}/proposals/{proposal.pk}/apply")
    assert [e.type for e in events_for(accepted)].count(APPLIED_EVENT) == 1


def test_only_someone_who_may_act_on_the_lead_may_apply_a_proposal(form, accepted, personas, client_for):
    post_form(form, first_name="Patricia")
    (proposal,) = proposals(accepted)
    url = f"/leads/{accepted.pk}/proposals/{proposal.pk}/apply"
    assert client_for(personas.carol).post(url).status_code == 403  # teammate: sees, may not act
    assert client_for(personas.charlie).post(url).status_code == 404  # other team: does not see it
    accepted.refresh_from_db()
    assert accepted.first_name == "Pat"


def test_an_empty_field_of_an_accepted_lead_is_filled_by_a_form_post(form, accepted):
    post_form(form, title="Head of Nursing", first_name="Pat")
    accepted.refresh_from_db()
    assert accepted.title == "Head of Nursing"
    assert proposals(accepted) == []


def test_a_hand_edited_lead_in_a_marketing_stage_is_protected_too(form, personas):
    lead = Lead.objects.create(
        email="pat.lee@stmarys.example", email_key="pat.lee@stmarys.example", stage=Stage.INQUIRY
    )
    with audit_context(actor=personas.alice, channel=AuditChannel.PAGE):
        lead.company = "St Mary's Hospital"
        lead.save()
    post_form(form, company="Evil Corp")
    lead.refresh_from_db()
    assert lead.company == "St Mary's Hospital"
    assert proposals(lead)[0].payload["changes"] == {"company": ["St Mary's Hospital", "Evil Corp"]}


def test_a_marketing_lead_nobody_edited_keeps_newest_value_wins(form):
    lead = Lead.objects.create(
        email="pat.lee@stmarys.example",
        email_key="pat.lee@stmarys.example",
        first_name="Pat",
        stage=Stage.INQUIRY,
    )
    post_form(form, first_name="Patricia")
    lead.refresh_from_db()
    assert lead.first_name == "Patricia"
    assert proposals(lead) == []


def test_a_signed_webhook_still_overwrites_an_accepted_lead(accepted):
    source = Source.objects.create(
        name="Signed CRM", kind=SourceKind.API, require_signature=True, signing_secret=SECRET
    )
    raw = json.dumps({"email": "pat.lee@stmarys.example", "first_name": "Patricia"}).encode()
    response = Client().post(
        f"/api/v1/hooks/leads/{source.public_key}",
        raw,
        content_type="application/json",
        headers={"X-Event-Id": "e1", SIGNATURE_HEADER: signature_make(SECRET, raw)},
    )
    assert response.status_code == 200, response.content
    accepted.refresh_from_db()
    assert accepted.first_name == "Patricia"
    assert proposals(accepted) == []


def test_an_unsigned_webhook_only_proposes(accepted):
    source = Source.objects.create(name="Open hook", kind=SourceKind.API)
    response = Client().post(
        f"/api/v1/hooks/leads/{source.public_key}",
        json.dumps({"email": "pat.lee@stmarys.example", "first_name": "Patricia"}),
        content_type="application/json",
        headers={"X-Event-Id": "e1"},
    )
    assert response.status_code == 200, response.content
    accepted.refresh_from_db()
    assert accepted.first_name == "Pat"
    assert len(proposals(accepted)) == 1


def test_the_authenticated_api_still_overwrites_an_accepted_lead(accepted, personas, api_client_for):
    response = api_client_for(personas.alice).post(
        "/api/v1/leads",
        {"email": "pat.lee@stmarys.example", "first_name": "Patricia"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    accepted.refresh_from_db()
    assert accepted.first_name == "Patricia"
    assert proposals(accepted) == []


def test_the_rule_holds_only_differing_identity_values_of_a_protected_lead():
    current = {"first_name": "Pat", "title": "", "company": "St Mary's", "phone": "1"}
    submitted = {"first_name": "Hacked", "title": "CEO", "company": "St Mary's", "industry": "x"}
    assert identity_changes_held(
        current=current, submitted=submitted, stage=Stage.SQL, hand_edited=False
    ) == {"first_name": ["Pat", "Hacked"]}
    assert identity_changes_held(current=current, submitted=submitted, stage=Stage.MQL, hand_edited=True) == {
        "first_name": ["Pat", "Hacked"]
    }
    assert (
        identity_changes_held(current=current, submitted=submitted, stage=Stage.MQL, hand_edited=False) == {}
    )
