# ruff: noqa: E501 - the matrix is a table: one row per check, one column per persona
"""Enablement's rows of the access matrix: briefs, materials through review, blocking gates, publishing,
the library, the sales committee and positioning rounds.

Materials are made fresh inside each row: a draft is marketing's (and its owner's) until published; in
review it is also the committee's (bob) and its gate's approvers' (mona decides legal here); published,
everyone with a role reads it in the library.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.security.matrix_kit import Check, api_send, page_get, page_post

ANSWERS = {
    "benefits_whom": "CFOs", "what_it_does": "Cuts claims time", "customer_growth": "Faster cash",
    "how_it_differs": "Audit trail", "where_useful": "Hospitals", "why_good_investment": "Payback in a quarter",
    "when_payoff": "Three months", "whats_in_it_for_sales": "Shorter cycles",
}  # fmt: skip


def _setup(w: Any) -> Any:
    """Once per world: a committee of bob covering today, and mona as the legal approver."""
    if getattr(w, "enablement_ready", False):
        return w
    from accord.enablement.models import Approver, Committee

    committee = Committee.objects.create(
        name="Matrix period", starts_on=date(2000, 1, 1), ends_on=date(2099, 12, 31)
    )
    committee.members.set([w.p.bob])
    Approver.objects.create(user=w.p.mona, gate="legal")
    w.enablement_ready = True
    return w


def fresh_brief(w: Any) -> Any:
    from accord.enablement.services import brief_create

    return brief_create(user=w.p.alice, title="Matrix brief", texts=ANSWERS)


def fresh_material(w: Any, *, owner: Any = None, review: bool = False, legal: bool = False,
                   customer_facing: bool = True, publish: bool = False) -> Any:  # fmt: skip
    from accord.enablement.services import (
        MaterialSpec,
        material_create,
        material_publish,
        material_submit_review,
    )

    _setup(w)
    material = material_create(
        user=owner or w.p.alice,
        spec=MaterialSpec(title="Matrix material", needs_legal=legal, customer_facing=customer_facing),
        url="https://example.com/matrix",
    )
    if review or publish:
        material_submit_review(material=material, user=owner or w.p.alice)
    if publish:
        material_publish(material=material, user=w.p.alice, change_note="Matrix")
    return material


def approved(w: Any) -> Any:
    """In review with no committee (internal) and no gates: approved at once, ready to publish."""
    return fresh_material(w, review=True, customer_facing=False)


def fresh_round(w: Any) -> Any:
    from django.utils import timezone

    from accord.enablement.services import positioning_round_open

    return positioning_round_open(
        user=w.p.alice, product="Matrix product", deadline=timezone.now() + timedelta(days=30)
    )


def _share_effect(w: Any, page: Any) -> str:
    from accord.enablement.models import Share

    material = fresh_material(w, publish=True, customer_facing=False)
    page.post(f"/library/{material.pk}/share", {"lead_email": "bob.lead@acme.example"})
    return "shared" if Share.objects.filter(material=material).exists() else "none"


def _create_by_link(w: Any, page: Any, api: Any) -> Any:
    return api.post("/api/v1/materials", {"title": "Matrix link", "url": "https://example.com/link"})


# fmt: off
#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    # --- briefs: every role reads; marketing drafts; the marketing owner (or head) and sales accept ----------
    "brief: read the list on the page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: "/enablement/briefs/")),
    "brief: create in the API (marketing drafts)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", api_send("post", lambda w: "/api/v1/briefs", {"title": "Matrix"})),
    "brief: accept a fresh one in the API (its marketing owner or head, and sales)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 403", api_send("post", lambda w: f"/api/v1/briefs/{fresh_brief(w).pk}/agree")),
    "brief: draft on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: "/enablement/briefs/new/", {"title": "Matrix", "subject": "collateral"})),
    "brief: add to a fresh one on its page (marketing and sales)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 ok", page_post(lambda w: f"/enablement/briefs/{fresh_brief(w).pk}/edit", {"title": "Matrix 2", "subject": "collateral"})),
    "brief: accept a fresh one on its page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 403", page_post(lambda w: f"/enablement/briefs/{fresh_brief(w).pk}/agree")),
    # --- materials: drafts are marketing's and the owner's; in review also the committee's and approvers' ------
    "material: read a fresh draft of alice's on its page":
        Check("ok    ok    404  404   404  404   404 404     404 ok", page_get(lambda w: f"/enablement/materials/{fresh_material(w).pk}/")),
    "material: open a fresh draft's version":
        Check("ok    ok    404  404   404  404   404 404     404 ok", page_get(lambda w: (lambda m: f"/enablement/materials/{m.pk}/versions/{m.current_version_id}/file")(fresh_material(w)))),
    "material: read a fresh one in legal review on its page (committee and the legal approver too)":
        Check("ok    ok    ok   404   404  404   404 404     404 ok", page_get(lambda w: f"/enablement/materials/{fresh_material(w, review=True, legal=True).pk}/")),
    "material: create by link in the API (marketing; sales submit their own)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 ok", _create_by_link),
    "material: create on the page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 ok", page_post(lambda w: "/enablement/materials/new/", {"title": "Matrix", "url": "https://example.com/p", "customer_facing": "on"})),
    "material: send a fresh draft of alice's to review in the API":
        Check("ok    ok    404  404   404  404   404 404     404 ok", api_send("post", lambda w: f"/api/v1/materials/{fresh_material(w).pk}/submit-review")),
    "material: send a fresh draft of carol's to review on the page (her own)":
        Check("ok    ok    404  ok    404  404   404 404     404 ok", page_post(lambda w: f"/enablement/materials/{fresh_material(w, owner=w.p.carol).pk}/submit-review")),
    "material: add a version to a fresh draft on the page":
        Check("ok    ok    404  404   404  404   404 404     404 ok", page_post(lambda w: f"/enablement/materials/{fresh_material(w).pk}/versions", {"url": "https://example.com/v2", "note": "Matrix"})),
    "material: comment on a fresh one in review in the API (marketing, the committee, approvers, the owner)":
        Check("ok    ok    ok   404   404  404   404 404     404 ok", api_send("post", lambda w: f"/api/v1/materials/{fresh_material(w, review=True, legal=True).pk}/comments", {"body": "Matrix", "page": 1})),
    "material: comment on a fresh one in review on the page":
        Check("ok    ok    ok   404   404  404   404 404     404 ok", page_post(lambda w: f"/enablement/materials/{fresh_material(w, review=True, legal=True).pk}/comments", {"body": "Matrix", "quote": "x"})),
    "material: approve the legal gate in the API (its approvers only; the committee and marketing 403)":
        Check("403   ok    403  404   404  404   404 404     404 403", api_send("post", lambda w: f"/api/v1/materials/{fresh_material(w, review=True, legal=True).pk}/approvals", {"gate": "legal", "decision": "approved"})),
    "material: approve the legal gate on the page":
        Check("403   ok    403  404   404  404   404 404     404 403", page_post(lambda w: f"/enablement/materials/{fresh_material(w, review=True, legal=True).pk}/approvals", {"gate": "legal", "decision": "approved"})),
    "material: publish a fresh approved one in the API (marketing, admins)":
        Check("ok    ok    404  404   404  404   404 404     404 ok", api_send("post", lambda w: f"/api/v1/materials/{approved(w).pk}/publish", {"change_note": "Matrix"})),
    "material: publish a fresh approved one on the page":
        Check("ok    ok    404  404   404  404   404 404     404 ok", page_post(lambda w: f"/enablement/materials/{approved(w).pk}/publish", {"change_note": "Matrix"})),
    "material: retire a fresh published one on the page (everyone sees it; marketing decides)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: f"/enablement/materials/{fresh_material(w, publish=True, customer_facing=False).pk}/retire", {"reason": "Matrix"})),
    # --- the library -------------------------------------------------------------------------------------------
    "library: read a fresh published material":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/library/{fresh_material(w, publish=True, customer_facing=False).pk}/")),
    "library: reports (not single reps)":
        Check("ok    ok    403  403   ok   ok    ok  403     ok  ok", page_get(lambda w: "/library/reports/")),
    "library: share with bob's lead (those who act on the lead; effect checked)":
        Check("none  none  shared none shared none shared none none shared", lambda w, page, api: _share_effect(w, page), lambda r: r),
    "library: rate a fresh published material":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 ok", page_post(lambda w: f"/library/{fresh_material(w, publish=True, customer_facing=False).pk}/rate", {"usefulness": "4"})),
    # --- the committee and positioning rounds ------------------------------------------------------------------
    "committee: choose one on the page (the two heads, admins)":
        Check("403   ok    403  403   403  403   ok  403     403 ok", page_post(lambda w: "/enablement/committee/", lambda w: {"name": "Matrix", "starts_on": "2100-01-01", "ends_on": "2100-06-30", "members": [w.p.bob.pk]})),
    "positioning round: open on the page (marketing)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: "/enablement/positioning/new/", {"product": "Matrix", "deadline": "2099-01-01T10:00"})),
    "positioning round: answer a fresh one (sales)":
        Check("403   403   ok   ok    ok   ok    ok  ok      403 403", page_post(lambda w: f"/enablement/positioning/{fresh_round(w).pk}/answer", {"against_existing_line": "x", "expected_objections": "y"})),
    "positioning round: summarise a fresh one (marketing)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: f"/enablement/positioning/{fresh_round(w).pk}/summary", {"summary": "Matrix"})),
}
# fmt: on

API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/briefs": "brief: create in the API (marketing drafts)",
    "POST /api/v1/briefs/{brief_id}/agree": "brief: accept a fresh one in the API (its marketing owner or head, and sales)",
    "POST /api/v1/materials": "material: create by link in the API (marketing; sales submit their own)",
    "POST /api/v1/materials/{material_id}/submit-review": "material: send a fresh draft of alice's to review in the API",
    "POST /api/v1/materials/{material_id}/comments": "material: comment on a fresh one in review in the API (marketing, the committee, approvers, the owner)",
    "POST /api/v1/materials/{material_id}/approvals": "material: approve the legal gate in the API (its approvers only; the committee and marketing 403)",
    "POST /api/v1/materials/{material_id}/publish": "material: publish a fresh approved one in the API (marketing, admins)",
}  # fmt: skip

PAGE_WRITE_ROWS: dict[str, str] = {
    "enablement:brief_new": "brief: draft on the page",
    "enablement:brief_edit": "brief: add to a fresh one on its page (marketing and sales)",
    "enablement:brief_agree": "brief: accept a fresh one on its page",
    "enablement:material_new": "material: create on the page",
    "enablement:material_version_new": "material: add a version to a fresh draft on the page",
    "enablement:material_submit": "material: send a fresh draft of carol's to review on the page (her own)",
    "enablement:material_comment": "material: comment on a fresh one in review on the page",
    "enablement:material_approve": "material: approve the legal gate on the page",
    "enablement:material_publish": "material: publish a fresh approved one on the page",
    "enablement:material_retire": "material: retire a fresh published one on the page (everyone sees it; marketing decides)",
    "enablement:committees": "committee: choose one on the page (the two heads, admins)",
    "enablement:positioning_new": "positioning round: open on the page (marketing)",
    "enablement:positioning_answer": "positioning round: answer a fresh one (sales)",
    "enablement:positioning_summary": "positioning round: summarise a fresh one (marketing)",
    "enablement:library_share": "library: share with bob's lead (those who act on the lead; effect checked)",
    "enablement:library_rate": "library: rate a fresh published material",
}  # fmt: skip

READ_ONLY_PAGES = {
    "enablement:home", "enablement:briefs", "enablement:brief", "enablement:material", "enablement:version_file",
    "enablement:version_preview", "enablement:positioning", "enablement:positioning_round", "enablement:library",
    "enablement:library_reports", "enablement:library_material", "enablement:share_sender",
}  # fmt: skip

PAGES_WITHOUT_A_USER = {
    "share_view": "tracked share link: the unguessable token is the authority (published material only)",
}
