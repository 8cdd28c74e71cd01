"""Access-matrix rows for a working day: the start pages, the lead page's actions (accept, log, reject,
notes, reassign) and opening a notification. Persona order: alice mona bob carol mike fiona sam charlie
eve root (tests/security/matrix_kit.py)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.security.matrix_kit import Check, page_get, page_post

_seq = itertools.count(1)


def _lead(owner: Any, stage: str = "mql") -> Any:
    from accord.campaigns.tests.factories import LeadFactory

    return LeadFactory(
        email=f"workday-{next(_seq)}@matrix.example", owner=owner, stage=stage, company="Fresh"
    )


def _reassign(w: Any, page: Any, api: Any) -> str:
    """Hand a fresh lead of carol's to bob: 403/404 when refused, else whether it moved."""
    lead = _lead(w.p.carol)
    response = page.post(f"/leads/{lead.pk}/reassign", {"to": w.p.bob.pk, "reason": "matrix"})
    if response.status_code in (403, 404):
        return str(response.status_code)
    lead.refresh_from_db()
    return "moved" if lead.owner_id == w.p.bob.pk else "kept"


MATRIX: dict[str, Check] = {
    # --- start pages: each role's own; nobody reads another person's rows through them ----------------
    "start page: the team view (sales managers, the sales head, admins)":
        Check("403   403   403  403   ok   ok    ok  403     403 ok", page_get(lambda w: "/team/")),
    "start page: what waits for a decision (heads, managers, admins)":
        Check("403   ok    403  403   ok   ok    ok  403     403 ok", page_get(lambda w: "/decisions/")),
    "start page: marketing's desk (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_get(lambda w: "/desk/")),
    # --- the lead page's actions: the same rules as the inbox --------------------------------------------
    "lead page: accept a fresh lead of charlie's":
        Check("403   403   404  404   404  ok    ok  ok      403 ok",
              page_post(lambda w: f"/leads/{_lead(w.p.charlie).pk}/work/accept")),
    "lead page: reject a fresh lead of bob's":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              page_post(lambda w: f"/leads/{_lead(w.p.bob).pk}/work/reject", {"reason": "not_a_fit"})),
    "lead page: log a touch on a fresh lead of bob's":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              page_post(lambda w: f"/leads/{_lead(w.p.bob, 'sal').pk}/work/touch", {"kind": "call"})),
    "lead page: write a note on a fresh lead of charlie's (anyone who sees it)":
        Check("ok    ok    404  404   404  ok    ok  ok      ok  ok",
              page_post(lambda w: f"/leads/{_lead(w.p.charlie).pk}/notes", {"body": "Matrix note"})),
    "lead page: reassign a fresh lead of carol's to bob (her managers, the sales head, admins)":
        Check("403   403   403  403   moved 404  moved 404   403 moved", _reassign, judge=lambda r: r),
    # --- notifications: open one's own only --------------------------------------------------------------
    "notification: open charlie's (marks it read, goes to its page)":
        Check("404   404   404  404   404  404   404 ok      404 404",
              page_post(lambda w: f"/notifications/{w.charlie_note.pk}/open")),
}  # fmt: skip

PAGE_WRITE_ROWS: dict[str, str] = {
    "sla:lead_accept": "lead page: accept a fresh lead of charlie's",
    "sla:lead_reject": "lead page: reject a fresh lead of bob's",
    "sla:lead_touch": "lead page: log a touch on a fresh lead of bob's",
    "sla:lead_note": "lead page: write a note on a fresh lead of charlie's (anyone who sees it)",
    "routing:lead_reassign": "lead page: reassign a fresh lead of carol's to bob (her managers, the sales head, admins)",
    "notifications:open": "notification: open charlie's (marks it read, goes to its page)",
}

READ_ONLY_PAGES = {"workday:team", "workday:decisions", "workday:desk"}
