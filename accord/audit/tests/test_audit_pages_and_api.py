"""The audit trail is read-only, filtered the same way on the page and the API, and shown only to who may."""

from __future__ import annotations

import pytest

from accord.audit.context import audit_context
from accord.audit.models import AuditChannel, ChangeRecord, ExportRecord
from accord.campaigns.tests.factories import LeadFactory
from accord.sla.models import SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes(personas):
    with audit_context(actor=personas.alice, channel=AuditChannel.PAGE):
        lead = LeadFactory(first_name='=HYPERLINK("http://evil")', owner=personas.bob)
    with audit_context(actor=personas.root, channel=AuditChannel.ADMIN):
        policy = SlaPolicy.objects.create(name="Hot", accept_hours=8)
    return lead, policy


def test_an_admin_reads_every_change_on_the_page_and_filters_by_object(personas, client_for, changes):
    client = client_for(personas.root)
    page = client.get("/audit/")
    assert page.status_code == 200
    assert b"leads.lead #" in page.content and b"sla.slapolicy #" in page.content
    only_policy = client.get("/audit/", {"object_type": "sla.slapolicy"})
    assert b"leads.lead #" not in only_policy.content and b"Hot" in only_policy.content
    by_actor = client.get("/audit/", {"actor": "alice", "channel": "page"})
    assert b"leads.lead #" in by_actor.content and b"sla.slapolicy #" not in by_actor.content


def test_heads_read_configuration_changes_only(personas, client_for, api_client_for, changes):
    page = client_for(personas.mona).get("/audit/")
    assert page.status_code == 200
    assert b"sla.slapolicy #" in page.content and b"leads.lead #" not in page.content
    api = api_client_for(personas.sam).get("/api/v1/audit").json()
    assert {r["object_type"] for r in api["results"]} <= {"sla.slapolicy", "people.user", "people.userrole",
                                                         "people.team"}  # fmt: skip
    lead_change = ChangeRecord.objects.filter(object_type="leads.lead").first()
    assert api_client_for(personas.sam).get(f"/api/v1/audit/{lead_change.pk}").status_code == 404


@pytest.mark.parametrize("who", ["alice", "bob", "mike", "eve", "charlie"])
def test_everyone_else_gets_404_on_page_api_and_export(personas, client_for, api_client_for, changes, who):
    user = getattr(personas, who)
    assert client_for(user).get("/audit/").status_code == 404
    assert client_for(user).get("/audit/export.csv").status_code == 404
    assert api_client_for(user).get("/api/v1/audit").status_code == 404
    record = ChangeRecord.objects.first()
    assert client_for(user).get(f"/audit/{record.pk}/").status_code == 404
    assert api_client_for(user).get(f"/api/v1/audit/{record.pk}").status_code == 404


def test_the_api_lists_changes_with_old_and_new_values(personas, api_client_for, changes):
    lead, _ = changes
    body = (
        api_client_for(personas.root)
        .get("/api/v1/audit", {"object_type": "leads.lead", "object_id": str(lead.pk)})
        .json()
    )
    assert body["count"] == 1
    assert body["results"][0]["changes"]["owner"] == [None, personas.bob.pk]
    assert body["results"][0]["actor"] == "alice"


def test_change_records_cannot_be_changed_or_deleted_through_the_api(personas, api_client_for, changes):
    record = ChangeRecord.objects.first()
    client = api_client_for(personas.root)
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/audit/{record.pk}", {}, content_type="application/json")
        assert response.status_code == 405, method
    assert client.post("/api/v1/audit", {}, content_type="application/json").status_code == 405


def test_change_records_cannot_be_added_edited_or_deleted_in_the_admin(personas, client_for, changes):
    record = ChangeRecord.objects.first()
    client = client_for(personas.root)
    assert client.get(f"/admin/audit/changerecord/{record.pk}/change/").status_code == 200  # view only
    assert (
        client.post(f"/admin/audit/changerecord/{record.pk}/change/", {"object_repr": "x"}).status_code == 403
    )
    assert client.post(f"/admin/audit/changerecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/changerecord/add/").status_code == 403
    response = client.post(
        "/admin/audit/changerecord/",
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert ChangeRecord.objects.filter(pk=record.pk).exists(), response.status_code
    record.refresh_from_db()
    assert record.object_repr != "x"


def test_the_csv_export_is_escaped_and_logged(personas, client_for, changes):
    response = client_for(personas.root).get("/audit/export.csv", {"object_type": "leads.lead"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body
    export = ExportRecord.objects.get(what="audit.changes")
    assert export.user == personas.root
    assert export.filters == {"object_type": "leads.lead"}
    assert export.row_count == body.count("leads.lead")


def test_a_heads_export_holds_only_configuration_changes(personas, client_for, changes):
    response = client_for(personas.mona).get("/audit/export.csv")
    body = b"".join(response.streaming_content).decode()
    assert "sla.slapolicy" in body and "leads.lead" not in body


def test_the_changes_of_an_erased_person_read_as_redacted_on_the_api_and_the_page(
    personas, api_client_for, client_for, changes
):
    from accord.privacy.services import privacy_erase

    lead, _ = changes
    privacy_erase(email=lead.email, actor=personas.root, reason="Subject asked")
    client = api_client_for(personas.root)
    listing = client.get("/api/v1/audit", {"object_type": "leads.lead", "object_id": str(lead.pk)})
    assert listing.status_code == 200, listing.content
    rows = listing.json()["results"]
    assert rows and all((row["redacted"], row["changes"]) == (True, {}) for row in rows)
    assert client.get(f"/api/v1/audit/{rows[0]['id']}").json()["redacted"] is True
    assert client.get("/api/v1/audit").status_code == 200
    assert client_for(personas.root).get("/audit/").status_code == 200


def test_the_pages_say_changes_in_words_with_names_not_ids_or_codes(personas, client_for, changes):
    lead, _ = changes
    with audit_context(actor=personas.mike, channel=AuditChannel.PAGE):
        lead.owner = personas.carol
        lead.stage = "sal"
        lead.save()
    record = ChangeRecord.objects.filter(object_type="leads.lead", object_id=str(lead.pk)).latest("id")
    for url in ("/audit/", f"/audit/{record.pk}/"):
        html = client_for(personas.root).get(url).content.decode()
        assert "Bob" in html and "Carol" in html, url
        assert f"→ {personas.carol.pk}<" not in html and f"<td>{personas.carol.pk}</td>" not in html, url
        assert "SAL" in html and "Owner" in html, url
