# ruff: noqa: E501 - the matrix is a table: one row per check, one column per persona
"""Access-matrix rows for opening and editing deals, the deal board, the forecast and stage probabilities.

Personas: alice marketing; mona marketing head; bob and carol reps in Team Health under mike; fiona
manages Team Finance, where charlie is a rep; sam sales head; eve executive; root admin. A rep sees
their own deals only (not a teammate's); a manager their teams'; the rest read all and only the sales
head and admins act on every deal.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from tests.security.matrix_kit import Check, api_get, api_send, outcome, page_get, page_post

_seq = itertools.count(1)


def _lead(owner: Any, stage: str) -> Any:
    from accord.campaigns.tests.factories import LeadFactory

    return LeadFactory(email=f"deals-{next(_seq)}@matrix.example", owner=owner, stage=stage, company="Fresh")


def _deal(w: Any, owner: Any) -> Any:
    from accord.deals.models import Deal

    lead = _lead(owner, "opportunity")
    return Deal.objects.create(name=f"Fresh deal {lead.pk}", account=w.account, contact=lead, owner=owner,
                               amount=Decimal("10"), created_by=owner)  # fmt: skip


def _board(response: Any) -> str:
    """Which of the world's open deals a board, forecast or list shows (B bob's, C carol's, X charlie's)."""
    if response.status_code != 200:
        return outcome(response)
    text = response.content.decode()
    names = {"Acme Health deal": "B", "=cmd": "C", "Bank deal": "X"}
    return "".join(letter for name, letter in names.items() if name in text) or "-"


def _forecast_owners(response: Any) -> str:
    if response.status_code != 200:
        return outcome(response)
    letters = {"bob": "B", "carol": "C", "charlie": "X"}
    found = {letters.get(r["owner_username"], "?") for r in response.json()["rows"]}
    return "".join(sorted(found, key="BCX?".index)) or "-"


def _movers(w: Any) -> Any:
    """The world's draft criteria, with one inquiry each of bob's, carol's and charlie's that it would
    make an MQL (the world's own leads sit at SAL, where criteria no longer move a lead)."""
    from django.core.cache import cache

    from accord.campaigns.tests.factories import LeadFactory
    from accord.leads.models import Lead

    for owner, name in ((w.p.bob, "Bob-lead"), (w.p.carol, "Carol-lead"), (w.p.charlie, "Charlie-lead")):
        email = f"{name.lower()}@movers.example"
        if not Lead.objects.filter(email=email).exists():
            LeadFactory(email=email, first_name=name, last_name="", owner=owner, stage="inquiry",
                        title="VP Sales", company_size=500)  # fmt: skip
            cache.clear()  # the preview is kept a minute; these leads are new to it
    return w.criteria


def _impact_examples(response: Any) -> str:
    """Whose leads an impact preview names as examples."""
    if response.status_code != 200:
        return outcome(response)
    text = response.content.decode()
    names = {"Bob-lead": "B", "Carol-lead": "C", "Charlie-lead": "X"}
    return "".join(letter for name, letter in names.items() if name in text) or "-"


def _cost(w: Any) -> Any:
    from datetime import date

    from accord.campaigns.models import CostLine

    return CostLine.objects.create(campaign=w.campaign, amount=Decimal("10"), currency=w.campaign.currency,
                                   period_start=date(2026, 3, 1), period_end=date(2026, 3, 1))  # fmt: skip


def _campaign_form(w: Any) -> dict[str, str]:
    c = w.campaign
    return {
        "name": f"Spring {next(_seq)}", "channel": c.channel, "status": c.status, "owner": str(c.owner_id or ""),
        "parent": "", "start_date": "", "end_date": "", "budget": str(c.budget), "currency": c.currency,
        "utm_campaign": c.utm_campaign, "description": "",
    }  # fmt: skip


def _new_deal_form(w: Any) -> dict[str, str]:
    return {
        "contact": str(_lead(w.p.carol, "customer").pk), "amount": "1", "currency": "USD", "stage": "qualification",
        "owner": str(w.p.carol.pk), "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0",
    }  # fmt: skip


def _edit_deal_form(w: Any) -> dict[str, str]:
    return {
        "name": "Edited", "amount": "5", "currency": "USD", "stage": "proposal", "owner": str(w.p.carol.pk),
        "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0",
    }  # fmt: skip


#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    # --- opening a deal directly: sales, on a contact they act on ------------------------------------------
    "deal: open one for a fresh customer of carol's in the API (sales who act on the contact)":
        Check("403   403   403  ok    ok   404   ok  404     403 ok",
              api_send("post", lambda w: "/api/v1/deals", lambda w: {"contact": _lead(w.p.carol, "customer").pk, "amount": "1", "owner": "carol"})),
    "deal: open one for a fresh customer of carol's on the new-deal page":
        Check("403   403   403  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: "/deals/new/", _new_deal_form)),
    # --- editing: who acts on the deal; a rep does not see a teammate's deal -------------------------------
    "deal: edit a fresh deal of carol's in the API":
        Check("403   403   404  ok    ok   404   ok  404     403 ok",
              api_send("patch", lambda w: f"/api/v1/deals/{_deal(w, w.p.carol).pk}", {"amount": "5", "stage": "proposal"})),
    "deal: edit a fresh deal of carol's on its edit page":
        Check("403   403   404  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: f"/deals/{_deal(w, w.p.carol).pk}/edit/", _edit_deal_form)),
    "deal: open the edit page of bob's":
        Check("403   403   ok   404   ok   404   ok  404     403 ok", page_get(lambda w: f"/deals/{w.bob_deal.pk}/edit/")),
    "deal: read the products of charlie's in the API":
        Check("ok    ok    404  404   404  ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/deals/{w.charlie_deal.pk}/line-items")),
    # --- the board: moving a card is the API's stage move, with its checks --------------------------------
    "deal: move a fresh deal of charlie's on the board":
        Check("403   403   404  404   404  ok    ok  ok      403 ok",
              page_post(lambda w: f"/deals/{_deal(w, w.p.charlie).pk}/move/", {"stage": "proposal"})),
    "deal: board page":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", page_get(lambda w: "/deals/board/"), _board),
    "deal: board in the API":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", api_get(lambda w: "/api/v1/pipeline/board"), _board),
    "deal: forecast page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: "/deals/forecast/")),
    "deal: forecast in the API (owners of the deals each persona sees, no close date)":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", api_get(lambda w: "/api/v1/pipeline/forecast"), _forecast_owners),
    # --- stage probabilities: everyone reads, the sales head and admins set ---------------------------------
    "deal: read the stage probabilities in the API":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: "/api/v1/pipeline/probabilities")),
    "deal: set a stage probability in the API (sales head, admins)":
        Check("403   403   403  403   403  403   ok  403     403 ok",
              api_send("put", lambda w: "/api/v1/pipeline/probabilities/proposal", {"probability": 45})),
    "deal: set the stage probabilities on the page (sales head, admins)":
        Check("403   403   403  403   403  403   ok  403     403 ok",
              page_post(lambda w: "/deals/probabilities/", {"qualification": "20", "proposal": "45", "negotiation": "80"})),
    # --- criteria: everyone signed in reads a draft and its impact (examples only from leads they see) ----
    "criteria set: read a draft's impact preview on its page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/criteria/{w.criteria.pk}/impact/")),
    "criteria set: read a draft's impact preview in the API":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/criteria/{w.criteria.pk}/impact")),
    "criteria set: impact examples show only leads one sees (B bob's, C carol's, X charlie's)":
        Check("BCX   BCX   BC   BC    BC   X     BCX X       BCX BCX", page_get(lambda w: f"/criteria/{_movers(w).pk}/impact/"), _impact_examples),
    # --- campaigns and their costs: marketing and admins correct them, everyone else reads -------------
    "campaign: edit on its edit page (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/campaigns/{w.campaign.pk}/edit/", _campaign_form)),
    "campaign: correct a cost on its page (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/campaigns/{w.campaign.pk}/costs/{_cost(w).pk}/edit/",
                        {"amount": "12", "period_start": "2026-03-01", "note": "matrix"})),
    "campaign: correct a cost in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("patch", lambda w: f"/api/v1/campaigns/{w.campaign.pk}/costs/{_cost(w).pk}", {"amount": "13"})),
}  # fmt: skip

API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/deals": "deal: open one for a fresh customer of carol's in the API (sales who act on the contact)",
    "PATCH /api/v1/deals/{deal_id}": "deal: edit a fresh deal of carol's in the API",
    "PUT /api/v1/pipeline/probabilities/{stage}": "deal: set a stage probability in the API (sales head, admins)",
    "PATCH /api/v1/campaigns/{campaign_id}/costs/{line_id}": "campaign: correct a cost in the API (marketing, admins)",
}

PAGE_WRITE_ROWS: dict[str, str] = {
    "deals:new": "deal: open one for a fresh customer of carol's on the new-deal page",
    "deals:edit": "deal: edit a fresh deal of carol's on its edit page",
    "deals:move": "deal: move a fresh deal of charlie's on the board",
    "deals:probabilities": "deal: set the stage probabilities on the page (sales head, admins)",
    "campaigns:edit": "campaign: edit on its edit page (marketing, admins)",
    "campaigns:cost_edit": "campaign: correct a cost on its page (marketing, admins)",
}

READ_ONLY_PAGES = {"deals:board", "deals:forecast", "qualification:impact"}
