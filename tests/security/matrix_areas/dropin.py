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
}  # fmt: skip

API_WRITE_ROWS: dict[str, str] = {
    "PATCH /api/v1/leads/{lead_id}": "lead: edit a fresh lead of carol's in the API (marketing, heads, admins, the owner and her managers)",
}  # fmt: skip

PAGE_WRITE_ROWS: dict[str, str] = {
    "leads:edit": "lead: edit a fresh lead of carol's on its edit page",
}  # fmt: skip

READ_ONLY_PAGES: set[str] = set()

# Kept for the rows below that list records (letters per lead, as the spine's rows).
_ = (api_get, leads_in, page_get)
