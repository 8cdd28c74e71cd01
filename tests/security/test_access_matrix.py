# ruff: noqa: E501 - the matrix is a table: one row per check, one column per persona
"""The access matrix: every persona against every kind of record and every operation, on pages and API.

Each row names a record and an operation and spells out, persona by persona, what must happen:

- ``ok``     the call passed access control (2xx, a redirect after a post, or a business-rule 409/422);
- ``404``    the record is outside the persona's scope: it does not exist for them;
- ``403``    the persona sees the record (or the feature) but may not do this to it;
- ``login``  not for this persona at all (the admin site sends non-staff to its login page);
- ``405``    no such operation exists for anyone (records are never deleted through the API).

List, search and export rows compare *which* records come back instead: letters stand for the leads
(B bob's, C carol's, X charlie's, N nobody's) or scorecard rows. Personas (conftest.py): alice
marketing; mona marketing head; bob and carol reps in Team Health under mike; fiona manages Team
Finance, where charlie is a rep; sam sales head; eve executive; root admin.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

PERSONAS = ("alice", "mona", "bob", "carol", "mike", "fiona", "sam", "charlie", "eve", "root")
LEAD_LETTERS = {"bob.lead@": "B", "carol.lead@": "C", "charlie.lead@": "X", "nobody@lead": "N"}


def outcome(response: Any) -> str:
    code = response.status_code
    if code in (401, 403, 404, 405):
        return str(code)
    if code == 302 and "login" in response.get("Location", ""):
        return "login"
    return "ok"


def leads_in(response: Any) -> str:
    if response.status_code != 200:
        return outcome(response)
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return "".join(letter for marker, letter in LEAD_LETTERS.items() if marker in text) or "-"


@dataclass(frozen=True)
class Check:
    """One row of the matrix: how to call it and what each persona must get, in PERSONAS order."""

    expected: str
    call: Callable[[Any, Any, Any], Any]  # (world, page client, api client) -> response
    judge: Callable[[Any], str] = outcome

    def wanted(self) -> dict[str, str]:
        values = self.expected.split()
        assert len(values) == len(PERSONAS), "one expectation per persona"
        return dict(zip(PERSONAS, values, strict=True))


def page_get(url: Callable[[Any], str]) -> Callable[[Any, Any, Any], Any]:
    return lambda w, page, api: page.get(url(w))


def api_get(url: Callable[[Any], str]) -> Callable[[Any, Any, Any], Any]:
    return lambda w, page, api: api.get(url(w))


def api_send(method: str, url: Callable[[Any], str], body: Any = None) -> Callable[[Any, Any, Any], Any]:
    def call(w: Any, page: Any, api: Any) -> Any:
        data = body(w) if callable(body) else body
        return getattr(api, method)(url(w), json.dumps(data or {}), content_type="application/json")

    return call


def page_post(url: Callable[[Any], str], data: Any = None) -> Callable[[Any, Any, Any], Any]:
    return lambda w, page, api: page.post(url(w), data(w) if callable(data) else (data or {}))


#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    # --- leads: a rep sees their own and their team's, a manager their teams', the rest see all -------
    "lead: read bob's on its page":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", page_get(lambda w: f"/leads/{w.bob_lead.pk}/")),
    "lead: read carol's on its page":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", page_get(lambda w: f"/leads/{w.carol_lead.pk}/")),
    "lead: read charlie's on its page":
        Check("ok    ok    404  404   404  ok    ok  ok      ok  ok", page_get(lambda w: f"/leads/{w.charlie_lead.pk}/")),
    "lead: read carol's in the API":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok", api_get(lambda w: f"/api/v1/leads/{w.carol_lead.pk}")),
    "lead: read charlie's in the API":
        Check("ok    ok    404  404   404  ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/leads/{w.charlie_lead.pk}")),
    "lead: change carol's stage on its page (marketing, heads, admins, the owner and her managers)":
        Check("ok    ok    403  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: f"/leads/{w.carol_lead.pk}/stage", {"stage": "nurture", "reason": "matrix"})),
    "lead: log a touch on bob's in the API (owner and his managers; who only sees it: 403)":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{w.bob_lead.pk}/touches", {"kind": "call"})),
    "lead: reassign charlie's in the API (a role without the right is refused before any lookup)":
        Check("403   403   403  403   404  ok    ok  403     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{w.charlie_lead.pk}/reassign",
                       lambda w: {"to": w.p.charlie.pk, "reason": "matrix"})),
    "lead: delete in the API (no such operation)":
        Check("405   405   405  405   405  405   405 405     405 405", api_send("delete", lambda w: f"/api/v1/leads/{w.bob_lead.pk}")),
    "lead: list page":
        Check("BCXN  BCXN  BC   BC    BC   X     BCXN X      BCXN BCXN", page_get(lambda w: "/leads/"), leads_in),
    "lead: list in the API":
        Check("BCXN  BCXN  BC   BC    BC   X     BCXN X      BCXN BCXN", api_get(lambda w: "/api/v1/leads?limit=500"), leads_in),
    "lead: search page":
        Check("BCXN  BCXN  BC   BC    BC   X     BCXN X      BCXN BCXN", page_get(lambda w: "/leads/?q=lead"), leads_in),
    "lead: search in the API by someone else's email":
        Check("X     X     -    -     -    X     X   X       X   X",
              api_get(lambda w: "/api/v1/leads?email=charlie.lead@bank.example"), leads_in),
    # --- accounts have no pages or API of their own: only the admin site -------------------------------
    "account: read in the admin site":
        Check("login login login login login login login login login ok",
              page_get(lambda w: f"/admin/leads/account/{w.account.pk}/change/")),
    # --- deals: a rep their own, a manager their teams', the rest all -----------------------------------
    "deal: read bob's on its page":
        Check("ok    ok    ok   404   ok   404   ok  404     ok  ok", page_get(lambda w: f"/deals/{w.bob_deal.pk}/")),
    "deal: read charlie's in the API":
        Check("ok    ok    404  404   404  ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/deals/{w.charlie_deal.pk}")),
    "deal: move bob's to proposal in the API":
        Check("403   403   ok   404   ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/deals/{w.bob_deal.pk}/stage", {"stage": "proposal"})),
    "deal: delete in the API (no such operation)":
        Check("405   405   405  405   405  405   405 405     405 405", api_send("delete", lambda w: f"/api/v1/deals/{w.bob_deal.pk}")),
    "deal: list in the API":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", api_get(lambda w: "/api/v1/deals"), lambda r: _deals(r)),
    "deal: list page":
        Check("BCX   BCX   B    C     BC   X     BCX X       BCX BCX", page_get(lambda w: "/deals/"), lambda r: _deals(r)),
    # --- campaigns: everyone reads them; only marketing and admins change them --------------------------
    "campaign: read on its page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/campaigns/{w.campaign.pk}/")),
    "campaign: read in the API":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/campaigns/{w.campaign.pk}")),
    "campaign: change in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("patch", lambda w: f"/api/v1/campaigns/{w.campaign.pk}", {"description": "matrix"})),
    "campaign: add a cost in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: f"/api/v1/campaigns/{w.campaign.pk}/costs",
                       {"amount": "10", "incurred_on": "2026-01-05"})),
    # --- communications: marketing and sales read the A/B result; marketing sends; a rep records outcomes
    #     for the leads they act on; the export holds only leads the persona sees ---------------------------
    "communication: read on its page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/communications/{w.communication.pk}/")),
    "communication: read the result in the API":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/communications/{w.communication.pk}/result")),
    "communication: send in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: f"/api/v1/communications/{w.communication.pk}/send", {"lead_ids": []})),
    "communication: record an outcome for bob's lead in the API":
        Check("ok    ok    ok   403   ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/communications/{w.communication.pk}/outcomes",
                       lambda w: {"lead_id": w.bob_lead.pk, "outcome": "replied"})),
    "communication: deliveries CSV export":
        Check("BX    BX    B    B     B    X     BX  X       BX  BX",
              page_get(lambda w: f"/communications/{w.communication.pk}/deliveries.csv"), leads_in),
    # --- criteria: shared vocabulary everyone reads; drafts are edited by marketing and the heads -------
    "criteria set: read on its page":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/criteria/{w.criteria.pk}/")),
    "criteria set: read in the API":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/criteria/{w.criteria.pk}")),
    "criteria set: replace a draft in the API":
        Check("ok    ok    403  403   403  403   ok  403     403 ok",
              api_send("put", lambda w: f"/api/v1/criteria/{w.criteria.pk}",
                       {"name": "Matrix", "mql_threshold": 61, "notes": "", "rules": []})),
    # --- routing rules: sales management, the marketing head and admins --------------------------------
    "routing rules: read the version page":
        Check("403   ok    403  403   ok   ok    ok  403     403 ok", page_get(lambda w: f"/routing/v{w.rule_set.version}/")),
    "routing rules: read in the API":
        Check("403   ok    403  403   ok   ok    ok  403     403 ok", api_get(lambda w: "/api/v1/routing/rules")),
    "routing rules: remove a rule from a draft (managers, sales head, admins; effect checked)":
        Check("kept  kept  kept kept  gone gone  gone kept   kept gone", lambda w, page, api: _remove_rule(w, page),
              judge=lambda r: r),
    # --- SLA clocks and the inbox: a rep their own --------------------------------------------------------
    "SLA clock: list in the API":
        Check("-     -     B    -     -    -     -   X       -   -", api_get(lambda w: "/api/v1/sla/clocks"), leads_in),
    "SLA clock: accept charlie's lead in the API":
        Check("403   403   404  404   404  ok    ok  ok      403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{w.charlie_lead.pk}/accept")),
    "inbox row: accept charlie's lead on the inbox page":
        Check("403   403   404  404   404  ok    ok  ok      403 ok",
              lambda w, page, api: page.post(f"/inbox/leads/{w.charlie_lead.pk}/accept", HTTP_HX_REQUEST="true")),
    # --- notifications: each person's own ------------------------------------------------------------------
    "notification: list in the API":
        Check("-     -     b    -     -    -     -   x       -   -", api_get(lambda w: "/api/v1/notifications"),
              lambda r: _notes(r)),
    "notification: mark charlie's read in the API":
        Check("404   404   404  404   404  404   404 ok      404 404",
              api_send("post", lambda w: f"/api/v1/notifications/{w.charlie_note.pk}/read")),
    "notification: mark charlie's read on the page":
        Check("404   404   404  404   404  404   404 ok      404 404",
              page_post(lambda w: f"/notifications/{w.charlie_note.pk}/read")),
    # --- scorecards: a rep their own row, a manager their teams', heads/executives/admins all -----------
    "scorecard rows: the page's CSV export":
        Check("403   bcxFH b    c     bcH  xF    bcxFH x     bcxFH bcxFH", page_get(lambda w: "/scorecards.csv"),
              lambda r: _scorecard_rows(r)),
    "scorecard rows: in the API":
        Check("403   ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: "/api/v1/scorecards")),
    # --- imports: the marketing desk ------------------------------------------------------------------------
    "import job: read its progress page":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_get(lambda w: f"/leads/import/{w.import_job.pk}/")),
    "import job: download its error file (export)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_get(lambda w: f"/leads/import/{w.import_job.pk}/errors.csv")),
    # --- dashboards: eve reads the executive dashboard and its export, but updates nothing -----------------
    "dashboard: executive page":
        Check("403   ok    403  403   403  403   ok  403     ok  ok", page_get(lambda w: "/dashboards/executive/")),
    "dashboard: executive CSV export":
        Check("403   ok    403  403   403  403   ok  403     ok  ok", page_get(lambda w: "/dashboards/executive/?format=csv")),
    # --- audit records: admins all, heads configuration, nobody else ---------------------------------------
    "audit record: read a configuration change on its page":
        Check("404   ok    404  404   404  404   ok  404     404 ok", page_get(lambda w: f"/audit/{w.config_change.pk}/")),
    "audit record: read a lead change in the API":
        Check("404   404   404  404   404  404   404 404     404 ok", api_get(lambda w: f"/api/v1/audit/{w.lead_change.pk}")),
    "audit record: delete in the API (no such operation)":
        Check("405   405   405  405   405  405   405 405     405 405", api_send("delete", lambda w: f"/api/v1/audit/{w.lead_change.pk}")),
    "audit record: export":
        Check("404   ok    404  404   404  404   ok  404     404 ok", page_get(lambda w: "/audit/export.csv")),
}  # fmt: skip


def _deals(response: Any) -> str:
    if response.status_code != 200:
        return outcome(response)
    text = response.content.decode()
    names = {"Acme Health deal": "B", "=cmd": "C", "Bank deal": "X"}
    return "".join(letter for name, letter in names.items() if name in text) or "-"


def _notes(response: Any) -> str:
    if response.status_code != 200:
        return outcome(response)
    letters = {"For Bob": "b", "For Charlie": "x"}
    return "".join(letters.get(n["subject"], "?") for n in response.json()["results"]) or "-"


def _scorecard_rows(response: Any) -> str:
    if response.status_code != 200:
        return outcome(response)
    letters = {"Bob": "b", "Carol": "c", "Charlie": "x", "Team Finance": "F", "Team Health": "H"}
    names = {line.split(",")[3] for line in response.content.decode().splitlines()[1:]}
    return "".join(letter for name, letter in letters.items() if name in names) or "-"


def _remove_rule(w: Any, page: Any) -> str:
    from accord.routing.models import RoutingRule

    rule = RoutingRule.objects.create(rule_set=w.rule_set, name="Matrix rule", target_kind="team",
                                      target_team=w.p.health, conditions=[])  # fmt: skip
    page.post(f"/routing/rules/{rule.pk}/remove/")
    return "kept" if RoutingRule.objects.filter(pk=rule.pk).exists() else "gone"


KINDS = sorted({name.split(":")[0] for name in MATRIX})


@pytest.mark.parametrize("kind", KINDS)
def test_access(kind, world, client_for, api_client_for):
    """Every row of one record kind, every persona; all mismatches are reported together."""
    clients = {p: (client_for(getattr(world.p, p)), api_client_for(getattr(world.p, p))) for p in PERSONAS}
    wrong: dict[str, dict[str, str]] = {}
    for name, check in MATRIX.items():
        if name.split(":")[0] != kind:
            continue
        wanted = check.wanted()
        for persona in PERSONAS:
            got = check.judge(check.call(world, *clients[persona]))
            if got != wanted[persona]:
                wrong.setdefault(name, {})[persona] = f"expected {wanted[persona]}, got {got}"
    assert not wrong, "\n".join(f"{name}: {problems}" for name, problems in wrong.items())


def test_every_kind_of_record_is_in_the_matrix():
    assert set(KINDS) >= {
        "lead", "account", "deal", "campaign", "communication", "criteria set", "routing rules", "SLA clock", "inbox row",
        "notification", "scorecard rows", "import job", "audit record", "dashboard",
    }  # fmt: skip
