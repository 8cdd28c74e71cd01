# ruff: noqa: E501 - the matrix is a table: one row per check, one column per persona
"""Access-matrix rows for the drop-in area: editing a lead's fields (page and API), the CSV exports and
imports of every main record, and the API's accounts, users, teams, sources and import jobs."""

from __future__ import annotations

import itertools
from typing import Any

from tests.security.matrix_kit import Check, api_get, api_send, leads_in, page_get

_seq = itertools.count(1)


def _fresh_lead(owner: Any) -> Any:
    from accord.campaigns.tests.factories import LeadFactory

    return LeadFactory(email=f"dropin-{next(_seq)}@matrix.example", owner=owner, stage="sal", company="Fresh")


def _upload(w: Any, page: Any, api: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("a.csv", b"name,domain\nAcme,acme.example\n"), "kind": "accounts",
         "start": "false"},
    )  # fmt: skip


def _start(w: Any, page: Any, api: Any) -> Any:
    from django.core.files.base import ContentFile

    from accord.leads.models import ImportJob

    job = ImportJob.objects.create(original_name="x.csv", kind="accounts", created_by=w.p.alice,
                                   mapping={"name": "name"})  # fmt: skip
    job.file.save("x.csv", ContentFile(b"name\nAcme\n"), save=True)
    return api.post(f"/api/v1/imports/{job.pk}/start", content_type="application/json")


def _submission(w: Any, state: str) -> Any:
    from django.utils import timezone

    from accord.leads.models import QueuedSubmission

    return QueuedSubmission.objects.create(received_at=timezone.now(), channel="api", actor=w.p.alice,
                                           data={"email": "queued@matrix.example"}, state=state)  # fmt: skip


def _retry(w: Any, page: Any, api: Any) -> Any:
    return api.post(
        f"/api/v1/submissions/{_submission(w, 'failed').pk}/retry", content_type="application/json"
    )


def _records_in(response: Any) -> str:
    """Which of the world's deals (B bob's, C carol's, X charlie's) a deals CSV holds."""
    if response.status_code != 200:
        return str(response.status_code)
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    found = {"bob.lead@": "B", "carol.lead@": "C", "charlie.lead@": "X"}
    return "".join(letter for marker, letter in found.items() if marker in text) or "-"


def _edit_on_page(w: Any, page: Any, api: Any) -> Any:
    lead = _fresh_lead(w.p.carol)
    return page.post(f"/leads/{lead.pk}/edit", {"email": lead.email, "title": "Matrix"})


#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    "lead: edit a fresh lead of carol's in the API (marketing, heads, admins, the owner and her managers)":
        Check("ok    ok    403  ok    ok   404   ok  404     403 ok",
              api_send("patch", lambda w: f"/api/v1/leads/{_fresh_lead(w.p.carol).pk}", {"title": "Matrix"})),
    "lead: change the email of a fresh lead of carol's in the API (marketing and admins)":
        Check("ok    ok    403  403   403  404   403 404     403 ok",
              api_send("patch", lambda w: f"/api/v1/leads/{_fresh_lead(w.p.carol).pk}",
                       lambda w: {"email": f"changed-{next(_seq)}@matrix.example"})),
    "lead: edit a fresh lead of carol's on its edit page":
        Check("ok    ok    403  ok    ok   404   ok  404     403 ok", _edit_on_page),
    "lead: the list's CSV export on the page (what one sees)":
        Check("BCXN  BCXN  BC   BC    BC   X     BCXN X      BCXN BCXN", page_get(lambda w: "/leads/export.csv"), leads_in),
    "lead: the list's CSV export in the API (what one sees)":
        Check("BCXN  BCXN  BC   BC    BC   X     BCXN X      BCXN BCXN", api_get(lambda w: "/api/v1/exports/leads"), leads_in),
    "lead: its timeline in the API":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", api_get(lambda w: f"/api/v1/leads/{w.bob_lead.pk}/timeline")),
    "lead: its logged touches in the API":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", api_get(lambda w: f"/api/v1/leads/{w.bob_lead.pk}/touches")),
    "lead: its touchpoints in the API":
        Check("ok    ok    404  404   404  ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/leads/{w.charlie_lead.pk}/touchpoints")),
    "lead: create a source in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: "/api/v1/sources", lambda w: {"name": f"Matrix source {next(_seq)}"})),
    # --- accounts: in the API as in the access module (owned, managed, or holding a visible lead) ------------
    "account: read in the API":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", api_get(lambda w: f"/api/v1/accounts/{w.account.pk}")),
    "account: its people in the API (only the leads one sees)":
        Check("B     B     B    B     B    404   B   404     B   B",
              api_get(lambda w: f"/api/v1/accounts/{w.account.pk}/people"), leads_in),
    "account: the CSV export (what one sees)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: "/exports/accounts.csv")),
    # --- deals out: a rep their own, a manager their teams' ------------------------------------------------------
    "deal: the CSV export on the page (what one sees)":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", page_get(lambda w: "/exports/deals.csv"), _records_in),
    "deal: the CSV export in the API (what one sees)":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", api_get(lambda w: "/api/v1/exports/deals"), _records_in),
    # --- import jobs in the API: the marketing desk ---------------------------------------------------------------
    "import job: upload a file in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok", _upload),
    "import job: start a waiting one in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok", _start),
    # --- queued submissions: any caller that may submit leads hands in; the desk follows them all -------------
    "submission: hand in a lead to be made in the background (API)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 ok",
              api_send("post", lambda w: "/api/v1/submissions", lambda w: {"email": f"queued-{next(_seq)}@matrix.example"})),
    "submission: read one alice handed in (API)":
        Check("ok    ok    404  404   404  404   404 404     404 ok", api_get(lambda w: f"/api/v1/submissions/{_submission(w, 'queued').pk}")),
    "submission: try a failed one of alice's again (API)":
        Check("ok    ok    404  404   404  404   404 404     404 ok", _retry),
    "import job: read it in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok", api_get(lambda w: f"/api/v1/imports/{w.import_job.pk}")),
}  # fmt: skip

API_WRITE_ROWS: dict[str, str] = {
    "PATCH /api/v1/leads/{lead_id}": "lead: edit a fresh lead of carol's in the API (marketing, heads, admins, the owner and her managers)",
    "POST /api/v1/sources": "lead: create a source in the API (marketing, admins)",
    "POST /api/v1/imports": "import job: upload a file in the API",
    "POST /api/v1/imports/{job_id}/start": "import job: start a waiting one in the API",
    "POST /api/v1/submissions": "submission: hand in a lead to be made in the background (API)",
    "POST /api/v1/submissions/{submission_id}/retry": "submission: try a failed one of alice's again (API)",
}  # fmt: skip

PAGE_WRITE_ROWS: dict[str, str] = {
    "leads:edit": "lead: edit a fresh lead of carol's on its edit page",
}  # fmt: skip

READ_ONLY_PAGES: set[str] = {"leads:export", "intake:export"}
