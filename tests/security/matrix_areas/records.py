"""Access-matrix rows of the record lists, saved views, account pages and the global search.

Personas, in order: alice mona bob carol mike fiona sam charlie eve root. Bulk actions answer a redirect
when they ran, so their rows judge the effect: "ok" when the lead changed, "skip" when the action ran
but left that lead alone (one may not act on it, or does not see it), "403" when the role may not use
the action at all.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.security.matrix_kit import Check, leads_in, outcome, page_get, page_post

_seq = itertools.count(1)


def _lead(owner: Any) -> Any:
    from accord.campaigns.tests.factories import LeadFactory

    return LeadFactory(
        email=f"records-{next(_seq)}@matrix.example", owner=owner, stage="sal", company="Fresh"
    )


def _account(owner: Any) -> Any:
    from accord.leads.models import Account

    n = next(_seq)
    return Account.objects.create(name=f"Fresh account {n}", name_key=f"fresh account {n}", owner=owner)


def _bulk(w: Any, page: Any, lead: Any, data: dict[str, Any]) -> Any:
    response = page.post("/leads/bulk", {"ids": [lead.pk], "next": "/leads/", **data})
    lead.refresh_from_db()
    response.lead_after = lead
    return response


def _effect(changed: Any) -> Any:
    def judge(response: Any) -> str:
        if response.status_code != 302:
            return outcome(response)
        return "ok" if changed(response.lead_after) else "skip"

    return judge


def _assign(w: Any, page: Any, api: Any) -> Any:
    return _bulk(w, page, _lead(w.p.carol), {"action": "assign", "owner": "bob", "reason": "matrix"})


def _stage(w: Any, page: Any, api: Any) -> Any:
    return _bulk(w, page, _lead(w.p.carol), {"action": "stage", "stage": "nurture", "reason": "matrix"})


def _campaign(w: Any, page: Any, api: Any) -> Any:
    return _bulk(w, page, _lead(w.p.bob), {"action": "campaign", "campaign": w.campaign.pk})


def _trash(w: Any, page: Any, api: Any) -> Any:
    return _bulk(w, page, _lead(w.p.bob), {"action": "trash", "reason": "matrix"})


def _export(w: Any, page: Any, api: Any) -> Any:
    return page.post("/leads/bulk", {"ids": [w.bob_lead.pk, w.charlie_lead.pk], "action": "export"})


def _owned_by_bob(lead: Any) -> bool:
    return lead.owner is not None and lead.owner.username == "bob"


def _nurtured(lead: Any) -> bool:
    return lead.stage == "nurture"


def _in_campaign(lead: Any) -> bool:
    return lead.touchpoints.filter(campaign__name="Spring").exists()


def _in_trash(lead: Any) -> bool:
    from accord.privacy.models import LeadTrash

    return LeadTrash.objects.filter(lead=lead).exists()


def _shared_view(w: Any) -> Any:
    from accord.core.models import SavedView

    return SavedView.objects.create(
        owner=w.p.alice, list_name="leads", name=f"View {next(_seq)}", shared=True
    )


def _merge(w: Any, page: Any, api: Any) -> Any:
    keep, other = _account(w.p.bob), _account(w.p.bob)
    return page.post(f"/accounts/{keep.pk}/merge", {"merge": other.pk})


def _parent(w: Any, page: Any, api: Any) -> Any:
    return page.post(f"/accounts/{_account(w.p.bob).pk}/parent", {"parent": w.account.pk})


def _found(text: str) -> Any:
    def judge(response: Any) -> str:
        if response.status_code != 200:
            return outcome(response)
        return "ok" if text in response.content.decode() else "-"

    return judge


MATRIX: dict[str, Check] = {
    # --- the lead list's bulk actions: each lead through leads_actionable_by --------------------------
    "lead list: bulk-assign a fresh lead of carol's to bob":
        Check("403   403   403  403   ok   skip  ok  403     403 ok", _assign, _effect(_owned_by_bob)),
    "lead list: bulk-move a fresh lead of carol's to nurture":
        Check("ok    ok    skip ok    ok   skip  ok  skip    skip ok", _stage, _effect(_nurtured)),
    "lead list: bulk-add a fresh lead of bob's to a campaign (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", _campaign, _effect(_in_campaign)),
    "lead list: bulk-move a fresh lead of bob's to the trash (marketing, heads, admins)":
        Check("ok    ok    403  403   403  403   ok  403     403 ok", _trash, _effect(_in_trash)),
    "lead list: bulk-export bob's and charlie's leads (only those one sees)":
        Check("BX    BX    B    B     B    X     BX  X       BX  BX", _export, leads_in),
    "lead list: filter by any field (only within what one sees)":
        Check("B     B     B    B     B    -     B   -       B   B",
              page_get(lambda w: "/leads/?ff=email&fo=starts&fv=bob.lead"), leads_in),
    # --- saved views -------------------------------------------------------------------------------------
    "saved view: save one (everyone signed in, for themselves)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
              page_post(lambda w: "/views/", lambda w: {"list_name": "leads", "name": f"V{next(_seq)}",
                                                        "query": "stage=mql"})),
    "saved view: delete alice's shared view (its owner, admins)":
        Check("ok    403   403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/views/{_shared_view(w).pk}/delete")),
    # --- account pages --------------------------------------------------------------------------------------
    "account page: read bob's account":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", page_get(lambda w: f"/accounts/{w.account.pk}/")),
    # A fresh account holds no lead, so bob's teammate carol does not see it (404, not 403).
    "account page: merge two of bob's accounts":
        Check("ok    ok    ok   404   ok   404   ok  404     403 ok", _merge),
    "account page: set the parent of a fresh account of bob's":
        Check("ok    ok    ok   404   ok   404   ok  404     403 ok", _parent),
    "account page: the list shows bob's account to those who see it":
        Check("ok    ok    ok   ok    ok   -     ok  -       ok  ok", page_get(lambda w: "/accounts/"),
              _found("Acme Health")),
    # --- the top bar's search ---------------------------------------------------------------------------------
    # Charlie's deal is on Acme Health, so "acm" finds his deal (its body holds the account's name),
    # never the account itself.
    "search: an account by part of its name":
        Check("ok    ok    ok   ok    ok   -     ok  -       ok  ok", page_get(lambda w: "/search/?q=acm"),
              _found('">Acme Health</a>')),
    "search: a lead by the start of its email":
        Check("ok    ok    ok   ok    ok   -     ok  -       ok  ok",
              page_get(lambda w: "/search/?q=bob.lead"), _found("bob.lead@acme.example")),
}  # fmt: skip

PAGE_WRITE_ROWS: dict[str, str] = {
    "records:lead_bulk": "lead list: bulk-assign a fresh lead of carol's to bob",
    "records:view_save": "saved view: save one (everyone signed in, for themselves)",
    "records:view_delete": "saved view: delete alice's shared view (its owner, admins)",
    "records:account_merge": "account page: merge two of bob's accounts",
    "records:account_parent": "account page: set the parent of a fresh account of bob's",
}

READ_ONLY_PAGES = {"records:accounts", "records:account", "records:search"}
