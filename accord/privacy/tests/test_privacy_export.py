"""Subject access export: one JSON document with everything Accord holds about a person."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accord.intake.importing import import_job_create, import_job_run
from accord.intake.tests.test_intake import lead_make
from accord.leads.models import Lead
from accord.leads.services import lead_merge
from accord.notifications.models import NotificationKind
from accord.notifications.services import notify
from accord.privacy.selectors import privacy_export
from accord.sla.services import touch_log

pytestmark = pytest.mark.django_db
EMAIL = "ann@acme.com"


@pytest.fixture
def ann(personas):
    lead = lead_make(EMAIL, first_name="Ann", shoe="38")
    old = lead_make("ann.old@mail.example")
    lead = lead_merge(keep=lead, merge=old, actor=personas.alice)
    Lead.objects.filter(pk=lead.pk).update(owner=personas.bob, stage="sal")
    touch_log(lead=lead, user=personas.bob, kind="call", note="left a voicemail", occurred_at=timezone.now())
    notify(user=personas.bob, kind=NotificationKind.OTHER, subject="Call Ann", body="", lead=lead)
    csv = f"Email,First Name\n{EMAIL},Ann\n"
    job = import_job_create(
        uploaded=SimpleUploadedFile("p.csv", csv.encode()), source=None, actor=personas.alice
    )
    import_job_run(job_id=job.pk)
    return lead


def test_the_export_holds_leads_aliases_custom_fields_events_and_related_rows(ann):
    document = privacy_export(email="Ann@Acme.com")
    json.dumps(document)  # JSON-ready throughout
    emails = {lead["email"] for lead in document["leads"]}
    assert emails == {EMAIL, "ann.old@mail.example"}
    kept = next(lead for lead in document["leads"] if lead["email"] == EMAIL)
    assert kept["custom"] == {"shoe": "38"} and kept["consent"] == "unknown"
    assert any(lead["merged_alias"] for lead in document["leads"])
    assert document["related"]["sla.Touch"][0]["note"] == "left a voicemail"
    assert document["related"]["notifications.Notification"][0]["subject"] == "Call Ann"
    assert "campaigns.Touchpoint" in document["related"]
    types = {e["type"] for e in document["events"]}
    assert {"lead.intake", "lead.merged"} <= types
    assert all("payload" in e for e in document["events"])
    assert [f["kind"] for f in document["files"]] == ["import source"]
    assert "no search index" in document["search_index"]


def test_an_unknown_address_gives_an_empty_export(personas):
    document = privacy_export(email="nobody@nowhere.example")
    assert document["leads"] == [] and document["events"] == [] and document["related"] == {}


def test_admins_download_it_from_the_page_and_the_api(ann, personas, client_for, api_client_for):
    page = client_for(personas.root).get("/privacy/export", {"email": EMAIL})
    assert page.status_code == 200 and page["Content-Type"] == "application/json"
    assert "attachment" in page["Content-Disposition"] and EMAIL not in page["Content-Disposition"]
    assert json.loads(page.content)["email"] == EMAIL
    api = api_client_for(personas.root).get("/api/v1/privacy/export", {"email": EMAIL})
    assert api.status_code == 200 and api.json()["leads"]
    from accord.audit.models import ExportRecord

    logged = ExportRecord.objects.filter(what="privacy.subject_access", username="root")
    assert logged.count() == 2 and all(EMAIL not in json.dumps(r.filters) for r in logged)


@pytest.mark.parametrize("who", ["alice", "mona", "bob", "sam", "eve"])
def test_nobody_else_may_export(ann, personas, who, client_for, api_client_for):
    user = getattr(personas, who)
    assert client_for(user).get("/privacy/export", {"email": EMAIL}).status_code == 403
    assert client_for(user).get("/privacy/").status_code == 403
    assert api_client_for(user).get("/api/v1/privacy/export", {"email": EMAIL}).status_code == 403


@pytest.mark.parametrize("fragment", ["0", "a", "@", "acme.com", "jane.doe@"])
def test_an_export_by_a_fragment_of_an_address_is_refused_quickly(personas, api_client_for, fragment):
    from accord.audit.models import ExportRecord

    response = api_client_for(personas.root).get("/api/v1/privacy/export", {"email": fragment})
    assert response.status_code == 400
    assert response.json()["detail"] == {"email": "not an email address"}
    assert "whole email address" in response.json()["message"]
    assert not ExportRecord.objects.exists()


def test_an_erasure_by_a_fragment_of_an_address_is_refused_and_erases_nothing(personas):
    from accord.core.errors import ApplicationError
    from accord.privacy.services import privacy_erase

    lead_make(email="jane.doe@acme-health.com")
    with pytest.raises(ApplicationError, match="whole email address"):
        privacy_erase(email="acme", actor=personas.root, reason="a typo")
    assert Lead.objects.filter(email="jane.doe@acme-health.com").exists()
