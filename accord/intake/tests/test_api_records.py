"""The API over the records: accounts, a lead's touches, touchpoints and timeline, users and teams,
sources, import jobs and CSV exports, and the routing queue in the lead's JSON."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.audit.models import ExportRecord
from accord.campaigns.tests.factories import LeadFactory
from accord.deals.models import Deal
from accord.intake.services import lead_intake
from accord.leads.models import Account, AccountDomain, ImportJob, Lead, Source
from accord.routing.models import LeadRouting, Queue

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


@pytest.fixture
def acme(personas):
    account = Account.objects.create(name="Acme Health", name_key="acme health", owner=personas.bob)
    AccountDomain.objects.create(account=account, domain="acme.example")
    bob_lead = LeadFactory(email="b@acme.example", owner=personas.bob, account=account, stage="sal")
    LeadFactory(email="x@acme.example", owner=personas.charlie, account=account, stage="sal")
    Deal.objects.create(
        name="Pilot", account=account, contact=bob_lead, owner=personas.bob, amount=Decimal("100")
    )
    return account


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_accounts_are_listed_and_read_with_their_people_and_deals_as_one_may_see(
    personas, acme, api_client_for
):
    alice = api_client_for(personas.alice)
    listed = alice.get("/api/v1/accounts?domain=ACME.example").json()
    assert [a["name"] for a in listed["results"]] == ["Acme Health"]
    assert listed["results"][0]["domains"] == ["acme.example"] and listed["results"][0]["owner"] == "bob"
    assert alice.get(f"/api/v1/accounts/{acme.pk}").json()["name"] == "Acme Health"
    people = alice.get(f"/api/v1/accounts/{acme.pk}/people").json()
    assert {p["email"] for p in people["results"]} == {"b@acme.example", "x@acme.example"}
    # bob sees the account (his) and only the people he may see; fiona's rep charlie does not see bob's deal.
    bob = api_client_for(personas.bob)
    assert {p["email"] for p in bob.get(f"/api/v1/accounts/{acme.pk}/people").json()["results"]} == {
        "b@acme.example"
    }
    assert [d["name"] for d in bob.get(f"/api/v1/accounts/{acme.pk}/deals").json()["results"]] == ["Pilot"]
    charlie = api_client_for(personas.charlie)
    assert charlie.get(f"/api/v1/accounts/{acme.pk}/deals").json()["results"] == []
    assert api_client_for(personas.eve).get(f"/api/v1/accounts/{acme.pk}").status_code == 200
    other = Account.objects.create(name="Other", name_key="other")
    assert bob.get(f"/api/v1/accounts/{other.pk}").status_code == 404
    assert bob.get(f"/api/v1/accounts/{other.pk}/deals").status_code == 404


def test_a_leads_timeline_touches_and_touchpoints(personas, api_client_for):
    lead = lead_intake(data={"email": "t@acme.example", "first_name": "Tia"}, channel="form").lead
    lead.owner = personas.bob
    lead.save()
    client = api_client_for(personas.bob)
    client.post(f"/api/v1/leads/{lead.pk}/touches", json.dumps({"kind": "call", "note": "Left a message"}),
                content_type="application/json")  # fmt: skip
    touches = client.get(f"/api/v1/leads/{lead.pk}/touches").json()
    assert [(t["kind"], t["note"], t["by"]) for t in touches["results"]] == [
        ("call", "Left a message", "bob")
    ]
    touchpoints = client.get(f"/api/v1/leads/{lead.pk}/touchpoints").json()
    assert [t["kind"] for t in touchpoints["results"]] == ["form_submission"]
    timeline = client.get(f"/api/v1/leads/{lead.pk}/timeline").json()
    assert timeline["results"][0]["type"] == "lead.intake"
    assert timeline["results"][0]["headline"].startswith("First came in through Public web form")
    assert api_client_for(personas.charlie).get(f"/api/v1/leads/{lead.pk}/timeline").status_code == 404
    assert api_client_for(personas.charlie).get(f"/api/v1/leads/{lead.pk}/touches").status_code == 404


def test_a_lead_waiting_in_a_routing_queue_names_it(personas, api_client_for):
    from django.utils import timezone

    lead = LeadFactory(email="q@acme.example", stage="mql")
    queue = Queue.objects.create(name="Unmatched EMEA")
    LeadRouting.objects.create(lead=lead, queue=queue, reason="fallback", routed_at=timezone.now())
    client = api_client_for(personas.alice)
    assert client.get(f"/api/v1/leads/{lead.pk}").json()["routing_queue"] == "Unmatched EMEA"
    listed = client.get("/api/v1/leads?email=q@acme.example").json()["results"]
    assert listed[0]["routing_queue"] == "Unmatched EMEA" and listed[0]["owner"] is None


def test_users_and_teams_are_read_by_anyone_signed_in(personas, api_client_for):
    client = api_client_for(personas.charlie)
    users = client.get("/api/v1/users?role=sales_rep").json()
    assert {"bob", "carol", "charlie"} <= {u["username"] for u in users["results"]}
    bob = next(u for u in users["results"] if u["username"] == "bob")
    assert (bob["team"], bob["roles"]) == ("Team Health", ["sales_rep"])
    assert client.get(f"/api/v1/users/{personas.mike.pk}").json()["username"] == "mike"
    teams = {t["name"]: t for t in client.get("/api/v1/teams").json()}
    assert "bob" in teams["Team Health"]["members"] and teams["Team Finance"]["manager"] == "fiona"
    assert client.get("/api/v1/users/999999").status_code == 404


def test_sources_are_listed_and_created_by_those_who_manage_them(personas, api_client_for):
    alice = api_client_for(personas.alice)
    response = alice.post("/api/v1/sources", json.dumps({"name": "Partner portal", "kind": "form",
                          "allowed_redirect_hosts": "www.acme.example"}), content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["form_url"].startswith("/f/src_")
    assert Source.objects.get(name="Partner portal").redirect_hosts() == {"www.acme.example"}
    listed = api_client_for(personas.bob).get("/api/v1/sources").json()
    assert [s["form_url"] for s in listed if s["name"] == "Partner portal"] == [None]
    refused = api_client_for(personas.bob).post("/api/v1/sources", json.dumps({"name": "Mine"}),
                                                content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    again = alice.post(
        "/api/v1/sources", json.dumps({"name": "Partner portal"}), content_type="application/json"
    )
    assert again.status_code == 409


def test_an_import_job_is_created_from_an_upload_polled_and_its_error_file_downloaded(
    personas, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(personas.alice)
    upload = SimpleUploadedFile(
        "leads.csv",
        b"E-mail,First Name,# Employees,Budget (USD)\nada@acme.example,Ada,lots,5000\nnope,Bob,3,1\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports", {"file": upload, "kind": "leads"})
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    job = client.get(f"/api/v1/imports/{job_id}").json()
    assert job["status"] == "done"
    assert (job["summary"]["created"], job["summary"]["rejected"], job["summary"]["kept_with_warnings"]) == (
        1,
        1,
        1,
    )
    assert job["summary"]["custom_columns"] == {"Budget (USD)": "budget_usd"}
    ada = Lead.objects.get(email="ada@acme.example")
    assert (ada.first_name, ada.company_size, ada.custom) == ("Ada", None, {"budget_usd": "5000"})
    errors = client.get(job["error_file"])
    assert errors.status_code == 200
    rows = list(csv.reader(io.StringIO(body(errors).decode())))
    assert [r[0] for r in rows[1:]] == ["ada@acme.example", "nope"]
    assert api_client_for(personas.bob).get(f"/api/v1/imports/{job_id}").status_code == 403


def test_an_import_of_accounts_waits_when_asked_and_refuses_an_unknown_kind(personas, api_client_for):
    client = api_client_for(personas.alice)
    upload = SimpleUploadedFile("accounts.csv", b"Company Name,Domain\nAcme,acme.example\n")
    response = client.post("/api/v1/imports", {"file": upload, "kind": "accounts", "start": "false"})
    assert response.status_code == 201, response.content
    assert response.json()["mapping"] == {"Company Name": "name", "Domain": "domains"}
    assert ImportJob.objects.get().status == "pending"
    bad = client.post("/api/v1/imports", {"file": SimpleUploadedFile("x.csv", b"a\n1\n"), "kind": "planets"})
    assert bad.status_code == 422


def test_exports_stream_what_one_may_see_as_csv_and_are_logged(personas, acme, api_client_for):
    bob = api_client_for(personas.bob)
    leads = bob.get("/api/v1/exports/leads")
    assert leads.status_code == 200 and leads["Content-Type"].startswith("text/csv")
    emails = {row["email"] for row in csv.DictReader(io.StringIO(body(leads).decode()))}
    assert emails == {"b@acme.example"}
    filtered = api_client_for(personas.alice).get("/api/v1/exports/leads?owner=charlie")
    assert {r["email"] for r in csv.DictReader(io.StringIO(body(filtered).decode()))} == {"x@acme.example"}
    accounts = api_client_for(personas.alice).get("/api/v1/exports/accounts")
    (row,) = csv.DictReader(io.StringIO(body(accounts).decode()))
    assert row["domains"] == "acme.example"
    assert api_client_for(personas.alice).get("/api/v1/exports/planets").status_code == 422
    assert set(ExportRecord.objects.values_list("what", flat=True)) == {"leads", "accounts"}


def test_an_import_upload_refuses_form_fields_it_does_not_know(personas, api_client_for):
    upload = SimpleUploadedFile("a.csv", b"email\na@b.example\n")
    response = api_client_for(personas.alice).post(
        "/api/v1/imports", {"file": upload, "created_by": "1", "start": "false"}
    )
    assert response.status_code == 422 and response.json()["detail"] == {"created_by": "unknown field"}
    assert not ImportJob.objects.exists()


def test_every_record_export_answers_with_its_header_and_only_what_one_sees(personas, acme, client_for):
    from accord.intake.exports import RECORD_EXPORTS
    from accord.sla.models import Touch

    bob_lead = Lead.objects.get(email="b@acme.example")
    charlie_lead = Lead.objects.get(email="x@acme.example")
    from django.utils import timezone

    for lead, user in ((bob_lead, personas.bob), (charlie_lead, personas.charlie)):
        Touch.objects.create(lead=lead, user=user, kind="call", note="Called", occurred_at=timezone.now())
    for what, export in RECORD_EXPORTS.items():
        response = client_for(personas.bob).get(f"/exports/{what}.csv")
        assert response.status_code == 200, what
        rows = list(csv.reader(io.StringIO(body(response).decode())))
        assert tuple(rows[0]) == export.header, what
    logged = body(client_for(personas.bob).get("/exports/logged-touches.csv")).decode()
    assert "b@acme.example" in logged and "x@acme.example" not in logged
    assert client_for(personas.bob).get("/exports/planets.csv").status_code == 404
