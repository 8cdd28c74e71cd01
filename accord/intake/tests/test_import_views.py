"""The import pages: who may use them, and upload -> map -> preview -> start -> progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accord.leads.models import ImportJob, Lead, Source

CSV = (
    "Email,First Name,Company,Shoe Size,oid\n"
    "ada@acme.com,Ada,Acme,38,00D\n"
    "bob@beta.io,Bob,Beta,44,00D\n"
    "not-an-email,Eve,Evil,40,00D\n"
    "ada@acme.com,,,39,00D\n"
)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, text: str = CSV, **extra) -> object:
    file = SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("intake:import_upload"), {"file": file, **extra})


@pytest.mark.parametrize("who", ["bob", "mike", "sam", "eve"])
def test_only_admins_and_marketing_may_import(personas, who):
    client = client_for(getattr(personas, who))
    assert client.get(reverse("intake:import_upload")).status_code == 403
    job = ImportJob.objects.create(
        file="imports/x.csv", original_name="x.csv", error_file="imports/errors/x.csv"
    )
    for name in (
        "import_progress",
        "import_map",
        "import_preview",
        "import_errors",
        "import_progress_partial",
    ):
        assert client.get(reverse(f"intake:{name}", args=[job.pk])).status_code == 403, name


@pytest.mark.parametrize("who", ["alice", "mona", "root"])
def test_marketing_and_admins_see_the_upload_page(personas, who):
    assert client_for(getattr(personas, who)).get(reverse("intake:import_upload")).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get(reverse("intake:import_upload"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_file_that_is_not_utf8_is_refused_on_upload_with_the_fix(personas):
    client = client_for(personas.alice)
    file = SimpleUploadedFile("latin.csv", "email,name\njose@acme.com,José\n".encode("latin-1"))
    response = client.post(reverse("intake:import_upload"), {"file": file})
    assert response.status_code == 422
    assert "latin-1" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_the_happy_path_from_upload_to_done(personas, django_capture_on_commit_callbacks):
    client = client_for(personas.alice)
    source = Source.objects.create(name="Trade show", kind="import")
    response = upload(client, source=source.pk)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:import_map", args=[job.pk])
    assert job.created_by == personas.alice
    assert job.mapping["Shoe Size"] == "custom.shoe_size"

    page = client.get(response["Location"]).content.decode()
    assert "Shoe Size" in page and "38" in page
    assert '<option value="email" selected>' in page
    mapping = {"map-0": "email", "map-1": "first_name", "map-2": "company", "map-3": "custom", "map-4": ""}
    response = client.post(reverse("intake:import_map", args=[job.pk]), mapping)
    assert response["Location"] == reverse("intake:import_preview", args=[job.pk])

    preview = client.get(response["Location"])
    assert preview.context["summary"]["created"] == 2
    assert preview.context["summary"]["merged"] == 1
    assert preview.context["summary"]["rejected"] == 1
    assert preview.context["rows"][0]["email"] == "ada@acme.com"
    assert "valid email" in preview.context["errors"][0]["error"]
    assert Lead.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("intake:import_preview", args=[job.pk]))
    assert response["Location"] == reverse("intake:import_progress", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done"
    assert Lead.objects.count() == 2
    assert Lead.objects.get(email="ada@acme.com").custom == {"shoe_size": "39"}
    assert Lead.objects.get(email="ada@acme.com").source == source

    progress = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in progress
    assert 'hx-trigger="every 1s"' not in progress  # a finished job stops polling (the bell still does)
    partial = client.get(reverse("intake:import_progress_partial", args=[job.pk])).content.decode()
    assert 'data-count="created">2<' in partial
    download = client.get(reverse("intake:import_errors", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    body = b"".join(download.streaming_content).decode()
    assert "not-an-email" in body and "how_to_fix" in body


def test_the_progress_partial_polls_while_the_job_runs(personas):
    job = ImportJob.objects.create(
        file="imports/x.csv", original_name="x.csv", status="running", rows_done=40, rows_total=100
    )
    html = (
        client_for(personas.mona)
        .get(reverse("intake:import_progress_partial", args=[job.pk]))
        .content.decode()
    )
    assert 'hx-trigger="every 1s"' in html
    assert "40 of 100" in html


def test_a_failed_job_shows_its_error_and_can_run_again(
    personas, django_capture_on_commit_callbacks, settings
):
    client = client_for(personas.alice)
    upload(client)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error_message="The disk was full.")
    assert (
        "The disk was full." in client.get(reverse("intake:import_progress", args=[job.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:import_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done"
    assert job.error_message == ""
    assert Lead.objects.count() == 2


def test_a_bad_mapping_is_explained(personas):
    client = client_for(personas.alice)
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(reverse("intake:import_map", args=[job.pk]), {"map-0": "shoe_size"})
    assert response.status_code == 422
    assert "not a lead field" in response.content.decode()


def test_the_done_page_says_where_the_new_leads_went_and_links_to_them(
    personas, django_capture_on_commit_callbacks
):
    from accord.campaigns.tests.factories import LeadFactory

    LeadFactory(email="older@acme.com")  # not from this import: the link must leave it out
    client = client_for(personas.alice)
    upload(client)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("intake:import_preview", args=[job.pk]))
    page = client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == "done"
    # Done: the "started" note is gone (it was a flash message that outlived the run).
    assert "started" not in page
    assert set(Lead.objects.filter(import_job=job).values_list("email", flat=True)) == {
        "ada@acme.com",
        "bob@beta.io",
    }
    link = f"{reverse('leads:list')}?import_job={job.pk}"
    assert f'href="{link}">See the 2 new leads</a>' in page
    assert 'data-stage="inquiry">2<' in page
    assert 'data-owner="none">2<' in page and "Unassigned" in page
    assert 'data-count="accounts_created">' in page

    listed = client.get(link)
    emails = {lead.email for lead in listed.context["leads"]}
    assert emails == {"ada@acme.com", "bob@beta.io"}
    assert "Only the leads created by" in listed.content.decode()
    assert "the import of people.csv" in listed.content.decode()


def test_a_running_import_says_it_started_until_it_is_done(personas):
    job = ImportJob.objects.create(file="imports/x.csv", original_name="x.csv", status="running")
    client = client_for(personas.mona)
    html = client.get(reverse("intake:import_progress_partial", args=[job.pk])).content.decode()
    assert "The import of x.csv started." in html
    ImportJob.objects.filter(pk=job.pk).update(status="done", summary={"rows": 0, "created": 0})
    html = client.get(reverse("intake:import_progress_partial", args=[job.pk])).content.decode()
    assert "started" not in html and "This import created no new leads." in html


def test_the_api_lists_the_leads_an_import_created_as_the_page_does(personas, api_client_for):
    from accord.campaigns.tests.factories import LeadFactory

    job = ImportJob.objects.create(file="imports/x.csv", original_name="x.csv", status="done")
    LeadFactory(email="mine@acme.com", import_job=job)
    LeadFactory(email="other@acme.com")
    body = api_client_for(personas.root).get(f"/api/v1/leads?import_job={job.pk}").json()
    assert [lead["email"] for lead in body["results"]] == ["mine@acme.com"]
