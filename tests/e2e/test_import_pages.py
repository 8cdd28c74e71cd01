"""Marketing imports a CSV file: upload, map the columns, check the preview, start, watch, fix the rejects."""

from __future__ import annotations

import csv
import signal

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from accord.leads.models import Account, ImportJob, ImportStatus, Lead, SourceKind
from accord.leads.services import source_create
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Three good rows, a malformed email (data row 4, file line 5) and a ragged row (data row 5, line 6).
# "Job" would become a custom field unless mapped; "Internal ID" is skipped on the mapping page.
CSV_TEXT = (
    "Email,First Name,Last Name,Company,Job,Internal ID\n"
    "ada@acme.com,Ada,Lovelace,Acme,VP Engineering,X-1\n"
    "grace@navy.mil,Grace,Hopper,US Navy,Rear Admiral,X-2\n"
    "linus@kernel.org,Linus,Torvalds,Kernel Org,Maintainer,X-3\n"
    "not-an-email,Eve,Evil,Evil Corp,Spy,X-4\n"
    "ragged@acme.com,Rag,Ged,Acme\n"
)
GOOD_EMAILS = ["ada@acme.com", "grace@navy.mil", "linus@kernel.org"]


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The queue a deployment uses: the start button enqueues, a worker runs it later.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker_batch() -> None:
    """What `accord worker --batch` does: run every queued task, then stop."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("worker", batch=True, no_periodic=True, startup_delay=False, verbosity=0)
    finally:
        for number, handler in handlers.items():  # the worker installs its own: give pytest its back
            signal.signal(number, handler)


def counts(page, scope: str) -> dict[str, int]:
    cells = page.locator(f"{scope} dd[data-count]")
    return {
        cells.nth(i).get_attribute("data-count"): int(cells.nth(i).inner_text()) for i in range(cells.count())
    }


def test_marketing_imports_a_csv_from_upload_to_the_error_file(
    page, live_server, personas, sign_in, tmp_path
):
    source = source_create(name="Trade show 2026", kind=SourceKind.IMPORT)
    upload = tmp_path / "trade-show.csv"
    upload.write_text(CSV_TEXT, encoding="utf-8")

    sign_in(page, personas.alice, personas.password)
    page.goto(f"{live_server.url}/leads/import/")
    page.set_input_files("#id_file", str(upload))
    page.select_option("#id_source", label="Trade show 2026")
    page.click("#import-upload-form button[type=submit]")
    page.wait_for_url("**/leads/import/*/map/")
    job = ImportJob.objects.get()
    assert (job.created_by, job.source, job.status) == (personas.alice, source, ImportStatus.PENDING)

    # The mapping page suggests what it recognises; the user maps Job to title and skips Internal ID.
    assert page.get_by_label("Email", exact=True).input_value() == "email"
    assert page.get_by_label("Job", exact=True).input_value() == "custom.job"
    assert "VP Engineering" in page.inner_text("#import-map-form tbody")
    page.get_by_label("Job", exact=True).select_option("title")
    page.get_by_label("Internal ID", exact=True).select_option("")
    page.click("#import-map-form button[type=submit]")
    page.wait_for_url(f"**/leads/import/{job.pk}/preview/")

    # The preview checks every row and says what would happen, without writing anything.
    assert counts(page, "#preview-counts") == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "merged": 0,
        "rejected": 2,
        "kept_with_warnings": 0,
    }
    assert "Columns not imported: Internal ID." in page.inner_text("main")
    rejected = page.locator("section[aria-labelledby=errors-heading] tbody tr")
    assert rejected.count() == 2
    bad_email = rejected.nth(0).locator("td").all_inner_texts()
    assert bad_email[:3] == ["4", "5", "Email"]  # the column as the file names it
    assert "valid email" in bad_email[3]
    ragged = rejected.nth(1).locator("td").all_inner_texts()
    assert ragged[:3] == ["5", "6", "row"]
    assert "has 4 fields but the header names 6 columns" in ragged[3]
    new_rows = page.locator("section[aria-labelledby=rows-heading] tbody tr")
    assert [new_rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == GOOD_EMAILS
    assert "title: VP Engineering" in new_rows.nth(0).inner_text()
    assert "internal_id" not in new_rows.nth(0).inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "import-preview.png"), full_page=True)
    assert (Lead.objects.count(), Account.objects.count()) == (0, 0)
    assert not DBTaskResult.objects.exists()
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert job.mapping["Job"] == "title" and job.mapping["Internal ID"] == ""

    # Start: the import is queued for the worker and the progress page polls until it is done.
    page.click("#start-import")
    page.wait_for_url(f"**/leads/import/{job.pk}/")
    assert "The import of trade-show.csv started." in page.inner_text("#import-progress")
    assert page.get_attribute("#import-progress", "hx-trigger") == "every 1s"
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "accord.intake.tasks.import_job_run_task"
    assert queued.args_kwargs["args"] == [job.pk]
    assert Lead.objects.count() == 0

    run_worker_batch()
    queued.refresh_from_db()
    assert (queued.status, queued.return_value) == ("SUCCESSFUL", "done")
    page.wait_for_selector("#import-progress [data-status=done]")
    assert page.get_attribute("#import-progress", "hx-trigger") is None
    assert "started" not in page.inner_text("main")  # the note goes once the import is done
    shown = counts(page, "#import-progress")
    assert shown == {
        "rows": 5,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "merged": 0,
        "rejected": 2,
        "accounts_created": 3,
    }
    job.refresh_from_db()
    assert {name: job.summary[name] for name in shown} == shown
    assert "Ignored columns: Internal ID" in page.inner_text("#import-progress")
    # Where the new leads went, and a link to exactly them.
    assert page.inner_text("#import-outcome [data-stage=inquiry]") == "3"
    assert page.get_attribute("text=See the 3 new leads", "href") == f"/leads/?import_job={job.pk}"

    leads = {lead.email_key: lead for lead in Lead.objects.all()}
    assert sorted(leads) == sorted(GOOD_EMAILS)
    assert Account.objects.count() == 3
    ada = leads["ada@acme.com"]
    assert (ada.first_name, ada.last_name, ada.title) == ("Ada", "Lovelace", "VP Engineering")
    assert leads["grace@navy.mil"].title == "Rear Admiral"
    for lead in leads.values():
        assert lead.source == source
        assert "internal_id" not in lead.custom and "job" not in lead.custom

    # The rejected rows come back as a CSV that says what is wrong with each and how to fix it.
    with page.expect_download() as download_info:
        page.click("text=Download the rejected rows (CSV)")
    download = download_info.value
    assert download.suggested_filename == "trade-show-errors.csv"
    with open(download.path(), encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        # The file's own columns first, as they were, so it can be corrected and imported again.
        assert reader.fieldnames[:6] == ["Email", "First Name", "Last Name", "Company", "Job", "Internal ID"]
        assert reader.fieldnames[6:] == ["error_row", "error_line", "error_column", "error", "how_to_fix"]
        rows = list(reader)
    assert len(rows) == 2
    bad_email, ragged = rows
    assert (bad_email["error_row"], bad_email["error_line"], bad_email["error_column"]) == ("4", "5", "Email")
    assert "valid email" in bad_email["error"]
    assert bad_email["how_to_fix"] == "Correct the address (name@company.com) or remove the row."
    assert (bad_email["Email"], bad_email["Job"]) == ("not-an-email", "Spy")
    assert (ragged["error_row"], ragged["error_line"], ragged["error_column"]) == ("5", "6", "row")
    assert "has 4 fields but the header names 6 columns" in ragged["error"]
    assert ragged["how_to_fix"].startswith("Add the missing values")
    assert ragged["Email"] == "ragged@acme.com"
