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

import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.security.matrix_areas import merge_areas
from tests.security.matrix_kit import (
    PERSONAS,
    Check,
    api_get,
    api_send,
    leads_in,
    outcome,
    page_get,
    page_post,
)

pytestmark = pytest.mark.django_db


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
    # --- accounts: the admin site for admins; the API's rows are in matrix_areas/dropin.py -------------
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


# --- every write operation of every app -------------------------------------------------------------------
# Rows that change a record make a fresh one for each persona (``fresh_lead``, ``fresh_deal``, ...), so
# what one persona did never decides what the next one gets.

_seq = itertools.count(1)


def fresh_lead(owner: Any, stage: str = "sal", *, trashed_by: Any = None) -> Any:
    from accord.campaigns.tests.factories import LeadFactory

    lead = LeadFactory(email=f"fresh-{next(_seq)}@matrix.example", owner=owner, stage=stage, company="Fresh")
    if trashed_by is not None:
        from accord.privacy.services import lead_delete

        lead_delete(lead=lead, actor=trashed_by, reason="matrix")
    return lead


def _proposal_url(lead: Any) -> str:
    """A change an anonymous submission proposed for ``lead`` (protection.py), as its apply URL."""
    from accord.core.events import event_record
    from accord.leads.protection import PROPOSED_EVENT

    event = event_record(type=PROPOSED_EVENT, subject=lead, payload={"changes": {"title": ["", "Matrix"]}})
    return f"/leads/{lead.pk}/proposals/{event.pk}/apply"


def fresh_deal(w: Any, owner: Any) -> Any:
    from accord.deals.models import Deal

    lead = fresh_lead(owner, "opportunity")
    return Deal.objects.create(name=f"Fresh deal {lead.pk}", account=w.account, contact=lead, owner=owner,
                               amount=Decimal("10"), created_by=owner)  # fmt: skip


def fresh_pair(w: Any) -> Any:
    from accord.leads.models import PossibleDuplicate

    return PossibleDuplicate.objects.create(lead=fresh_lead(w.p.bob), other=fresh_lead(w.p.carol),
                                            reason="matrix", similarity=90)  # fmt: skip


def fresh_review(w: Any) -> Any:
    from django.utils import timezone

    from accord.sla.models import ExternalReview

    now = timezone.now()
    return ExternalReview.objects.create(lead=fresh_lead(w.p.bob, "mql"), requested_at=now,
                                         due_at=now + timedelta(days=1))  # fmt: skip


def fresh_copy_request(w: Any) -> Any:
    from accord.notifications.models import CommunicationCopyRequest

    return CommunicationCopyRequest.objects.get_or_create(
        user=w.p.charlie, scope="all_my_accounts", account=None
    )[0]


def fresh_consent(w: Any) -> Any:
    from django.utils import timezone

    from accord.notifications.models import SenderConsent

    found, _ = SenderConsent.objects.get_or_create(
        user=w.p.charlie, scope="all_my_accounts", account=None, revoked_at=None,
        defaults={"granted_at": timezone.now()},
    )  # fmt: skip
    return found


def _copies_for_bobs_account(w: Any, page: Any) -> str:
    """Ask for copies of mail to bob's account; judged by effect (the page redirects either way)."""
    from accord.notifications.models import CommunicationCopyRequest

    before = CommunicationCopyRequest.objects.filter(account=w.account).count()
    page.post("/notifications/preferences/copies", {"scope": "account", "account": w.account.pk})
    return (
        "made" if CommunicationCopyRequest.objects.filter(account=w.account).count() > before else "refused"
    )


def _consent_for_bobs_account(w: Any, page: Any) -> str:
    from accord.notifications.models import SenderConsent

    before = SenderConsent.objects.filter(account=w.account).count()
    page.post("/notifications/preferences/consents", {"scope": "account", "account": w.account.pk})
    return "made" if SenderConsent.objects.filter(account=w.account).count() > before else "refused"


def _post_and_count(model_label: str, call: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """Judge a page write that redirects either way by whether a row of ``model_label`` was written."""

    def run(w: Any, page: Any, api: Any) -> str:
        from django.apps import apps

        model = apps.get_model(model_label)
        before = model.objects.count()
        response = call(w, page, api)
        if response.status_code in (403, 404):
            return str(response.status_code)
        return "made" if model.objects.count() > before else "none"

    return run


#                     alice mona  bob carol mike fiona sam charlie eve root
WRITES: dict[str, Check] = {
    # --- leads ----------------------------------------------------------------------------------------------
    "lead: create in the API (every role that takes in leads; executives read)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      403 ok",
              api_send("post", lambda w: "/api/v1/leads", lambda w: {"email": f"new-{next(_seq)}@matrix.example"})),
    "lead: accept a fresh lead of bob's in the API":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.bob, 'mql').pk}/accept")),
    "lead: reject a fresh lead of bob's in the API":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.bob).pk}/reject", {"reason": "not_ready"})),
    "lead: convert a fresh lead of carol's into a deal in the API (sales who act on it)":
        Check("403   403   403  ok    ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.carol).pk}/convert", {"amount": "100"})),
    "lead: set a customer stage on a fresh lead of bob's in the API":
        Check("ok    ok    ok   403   ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.bob, 'customer').pk}/customer-stage",
                       {"stage": "loyal", "reason": "matrix"})),
    "lead: reassign a fresh lead of carol's in the API":
        Check("403   403   403  403   ok   404   ok  403     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.carol).pk}/reassign",
                       lambda w: {"to": w.p.bob.pk, "reason": "matrix"})),
    "lead: move a fresh lead of bob's to the trash in the API":
        Check("ok    ok    403  403   403  404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.bob).pk}/trash", {"reason": "matrix"})),
    "lead: restore a fresh lead of bob's from the trash in the API":
        Check("ok    ok    403  403   403  403   ok  403     403 ok",
              api_send("post", lambda w: f"/api/v1/leads/{fresh_lead(w.p.bob, trashed_by=w.p.root).pk}/restore")),
    "lead: record an unsubscribe for bob's in the API (by email, among the leads one sees)":
        Check("ok    ok    ok   ok    ok   404   ok  404     ok  ok",
              api_send("post", lambda w: "/api/v1/privacy/unsubscribe", {"email": "bob.lead@acme.example"})),
    "lead: erase a person in the API (admins)":
        Check("403   403   403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: "/api/v1/privacy/erase",
                       lambda w: {"email": fresh_lead(w.p.bob).email, "reason": "matrix"})),
    "lead: change a fresh lead of carol's stage on its page":
        Check("ok    ok    403  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: f"/leads/{fresh_lead(w.p.carol).pk}/stage", {"stage": "nurture", "reason": "m"})),
    "lead: apply a change an anonymous form proposed for a fresh lead of carol's, on its page":
        Check("ok    ok    403  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: _proposal_url(fresh_lead(w.p.carol)))),
    "lead: convert a fresh lead of carol's on the convert page":
        Check("403   403   403  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: f"/deals/convert/{fresh_lead(w.p.carol).pk}/", {"amount": "1", "currency": "USD"})),
    "lead: move a fresh lead of bob's to the trash on the page":
        Check("ok    ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/privacy/leads/{fresh_lead(w.p.bob).pk}/delete", {"reason": "matrix"})),
    "lead: restore a fresh lead of bob's from the trash on the page":
        Check("ok    ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/privacy/trash/{fresh_lead(w.p.bob, trashed_by=w.p.root).pk}/restore")),
    "lead: erase a person on the privacy desk (admins)":
        Check("403   403   403  403   403  403   403 403     403 ok",
              page_post(lambda w: "/privacy/", lambda w: {"email": fresh_lead(w.p.bob).email, "reason": "matrix",
                                                          "confirm": "on"})),
    "lead: resolve a possible duplicate on the page (marketing, sales head, admins)":
        Check("ok    ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/leads/duplicates/{fresh_pair(w).pk}/resolve", {"action": "dismiss"})),
    "lead: create a source on the sources page (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: "/sources/", lambda w: {"name": f"Source {next(_seq)}", "kind": "form"})),
    # --- SLA: the inbox and external review -----------------------------------------------------------------
    "inbox row: reject a fresh lead of bob's on the inbox page":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              lambda w, page, api: page.post(f"/inbox/leads/{fresh_lead(w.p.bob).pk}/reject", {"reason": "not_ready"},
                                             HTTP_HX_REQUEST="true")),
    "inbox row: touch a fresh lead of bob's on the inbox page":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              lambda w, page, api: page.post(f"/inbox/leads/{fresh_lead(w.p.bob).pk}/touch", {"kind": "call"},
                                             HTTP_HX_REQUEST="true")),
    "external review: record a verdict in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: f"/api/v1/external-reviews/{fresh_review(w).pk}/verdict", {"verdict": "ready"})),
    "external review: configure in the API (marketing head, admins)":
        Check("403   ok    403  403   403  403   403 403     403 ok",
              api_send("put", lambda w: "/api/v1/external-qualification", {"enabled": False})),
    # --- deals ------------------------------------------------------------------------------------------------
    "deal: win a fresh deal of carol's in the API":
        Check("403   403   404  ok    ok   404   ok  404     403 ok",
              api_send("post", lambda w: f"/api/v1/deals/{fresh_deal(w, w.p.carol).pk}/win", {"reason": "matrix"})),
    "deal: lose a fresh deal of charlie's in the API":
        Check("403   403   404  404   404  ok    ok  ok      403 ok",
              api_send("post", lambda w: f"/api/v1/deals/{fresh_deal(w, w.p.charlie).pk}/lose", {"reason": "matrix"})),
    "deal: win a fresh deal of carol's on its page":
        Check("403   403   404  ok    ok   404   ok  404     403 ok",
              page_post(lambda w: f"/deals/{fresh_deal(w, w.p.carol).pk}/win/", {"reason": "matrix"})),
    "deal: lose a fresh deal of charlie's on its page":
        Check("403   403   404  404   404  ok    ok  ok      403 ok",
              page_post(lambda w: f"/deals/{fresh_deal(w, w.p.charlie).pk}/lose/", {"reason": "matrix"})),
    # --- campaigns and communications -------------------------------------------------------------------------
    "campaign: create in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: "/api/v1/campaigns", lambda w: {"name": f"Campaign {next(_seq)}"})),
    "campaign: create on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: "/campaigns/new/")),
    "campaign: add a cost on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/campaigns/{w.campaign.pk}/costs/", {"amount": "5", "incurred_on": "2026-01-05"})),
    "communication: create in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: f"/api/v1/campaigns/{w.campaign.pk}/communications", {"name": "Matrix"})),
    "communication: create on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/campaigns/{w.campaign.pk}/communications/new/")),
    "communication: edit on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/communications/{w.communication.pk}/edit/")),
    "communication: send on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/communications/{w.communication.pk}/send/")),
    "communication: schedule on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/communications/{w.communication.pk}/schedule/", {"cancel": "1"})),
    "communication: record an outcome for bob's lead on the page":
        Check("ok    ok    ok   403   ok   404   ok  404     403 ok",
              page_post(lambda w: f"/communications/{w.communication.pk}/outcomes/",
                        lambda w: {"lead_id": w.bob_lead.pk, "outcome": "replied"})),
    # --- criteria ---------------------------------------------------------------------------------------------
    "criteria set: create a draft in the API":
        Check("ok    ok    403  403   403  403   ok  403     403 ok", api_send("post", lambda w: "/api/v1/criteria", {})),
    "criteria set: sign off in the API (the two heads only)":
        Check("403   ok    403  403   403  403   ok  403     403 403",
              api_send("post", lambda w: f"/api/v1/criteria/{w.criteria.pk}/sign-off", {"comment": "matrix"})),
    "criteria set: create a draft on the page":
        Check("ok    ok    403  403   403  403   ok  403     403 ok", page_post(lambda w: "/criteria/new/")),
    "criteria set: edit a draft on the page":
        Check("ok    ok    403  403   403  403   ok  403     403 ok", page_post(lambda w: f"/criteria/{w.criteria.pk}/edit/")),
    "criteria set: sign off on the page":
        Check("403   ok    403  403   403  403   ok  403     403 403",
              page_post(lambda w: f"/criteria/{w.criteria.pk}/sign-off/", {"comment": "matrix"})),
    # --- routing ----------------------------------------------------------------------------------------------
    "routing rules: dry run in the API (which leads it tries: only those one sees)":
        Check("403   BCXN  403  403   BC   X     BCXN 403    403 BCXN",
              api_send("post", lambda w: "/api/v1/routing/dry-run", lambda w: {"version": w.rule_set.version, "limit": 500}),
              leads_in),
    "routing rules: start a draft on the page":
        Check("403   403   403  403   ok   ok    ok  403     403 ok", page_post(lambda w: "/routing/drafts/")),
    "routing rules: add a rule to a draft on its page":
        Check("403   403   403  403   ok   ok    ok  403     403 ok",
              page_post(lambda w: f"/routing/v{w.rule_set.version}/", {"name": "Matrix"})),
    "routing rules: move a rule in a draft":
        Check("403   403   403  403   ok   ok    ok  403     403 ok",
              lambda w, page, api: page.post(f"/routing/rules/{_rule(w).pk}/move/", {"direction": "up"})),
    "routing rules: activate a draft":
        Check("403   403   403  403   ok   ok    ok  403     403 ok",
              page_post(lambda w: f"/routing/v{w.rule_set.version}/activate/")),
    # --- notifications and each person's own settings ---------------------------------------------------------
    "notification: mark all read on the page (one's own)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_post(lambda w: "/notifications/read-all")),
    "notification: save one's preferences":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_post(lambda w: "/notifications/preferences/save")),
    "notification: remove charlie's copy request":
        Check("404   404   404  404   404  404   404 ok      404 404",
              page_post(lambda w: f"/notifications/preferences/copies/{fresh_copy_request(w).pk}/remove")),
    "notification: revoke charlie's sender consent":
        Check("404   404   404  404   404  404   404 ok      404 404",
              page_post(lambda w: f"/notifications/preferences/consents/{fresh_consent(w).pk}/revoke")),
    "notification: ask for copies of mail to bob's account (owner, team, managers, admins; effect checked)":
        Check("refused refused made made made refused made refused refused made",
              lambda w, page, api: _copies_for_bobs_account(w, page), judge=lambda r: r),
    "notification: consent to mail under one's name to bob's account (effect checked)":
        Check("refused refused made made made refused made refused refused made",
              lambda w, page, api: _consent_for_bobs_account(w, page), judge=lambda r: r),
    # --- imports ----------------------------------------------------------------------------------------------
    "import job: upload a file":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: "/leads/import/")),
    "import job: map its columns":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: f"/leads/import/{w.import_job.pk}/map/")),
    "import job: start it from the preview":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/leads/import/{w.import_job.pk}/preview/")),
    "import job: retry it":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: f"/leads/import/{w.import_job.pk}/retry/")),
    # --- webhooks: admins ------------------------------------------------------------------------------------
    "webhook: create in the API":
        Check("403   403   403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: "/api/v1/webhooks",
                       {"name": "Matrix", "url": "https://hooks.matrix.example/in", "event_types": ["lead.created"]})),
    "webhook: create on the page (the admin pages do not exist for anyone else)":
        Check("404   404   404  404   404  404   404 404     404 ok", page_post(lambda w: "/webhooks/new/")),
    "webhook: send a test":
        Check("404   404   404  404   404  404   404 404     404 ok",
              page_post(lambda w: f"/webhooks/{w.endpoint.pk}/test/")),
    "webhook: switch off and on":
        Check("404   404   404  404   404  404   404 404     404 ok",
              page_post(lambda w: f"/webhooks/{w.endpoint.pk}/toggle/")),
    "webhook: retry a delivery":
        Check("404   404   404  404   404  404   404 404     404 ok",
              page_post(lambda w: f"/webhooks/deliveries/{w.webhook_delivery.pk}/retry/")),
    # --- dashboards: the A/B calculator is arithmetic on numbers typed in --------------------------------------
    "dashboard: A/B test calculator in the API":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
              api_send("post", lambda w: "/api/v1/reports/abtest",
                       {"a": {"name": "a", "conversions": 1, "trials": 9}, "b": {"name": "b", "conversions": 2, "trials": 9}})),
}  # fmt: skip

MATRIX.update(WRITES)


def _rule(w: Any) -> Any:
    from accord.routing.models import RoutingRule

    return RoutingRule.objects.create(rule_set=w.rule_set, name=f"Rule {next(_seq)}", target_kind="team",
                                      target_team=w.p.health, conditions=[])  # fmt: skip


# Every write operation of the API and of the pages, and the row of MATRIX that checks it. A test below
# fails when the served API or the URL table has a write that is not listed here: add its row first.
API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/leads": "lead: create in the API (every role that takes in leads; executives read)",
    "POST /api/v1/leads/{lead_id}/accept": "lead: accept a fresh lead of bob's in the API",
    "POST /api/v1/leads/{lead_id}/reject": "lead: reject a fresh lead of bob's in the API",
    "POST /api/v1/leads/{lead_id}/touches": "lead: log a touch on bob's in the API (owner and his managers; who only sees it: 403)",
    "POST /api/v1/leads/{lead_id}/convert": "lead: convert a fresh lead of carol's into a deal in the API (sales who act on it)",
    "POST /api/v1/leads/{lead_id}/customer-stage": "lead: set a customer stage on a fresh lead of bob's in the API",
    "POST /api/v1/leads/{lead_id}/reassign": "lead: reassign a fresh lead of carol's in the API",
    "POST /api/v1/leads/{lead_id}/trash": "lead: move a fresh lead of bob's to the trash in the API",
    "POST /api/v1/leads/{lead_id}/restore": "lead: restore a fresh lead of bob's from the trash in the API",
    "POST /api/v1/privacy/unsubscribe": "lead: record an unsubscribe for bob's in the API (by email, among the leads one sees)",
    "POST /api/v1/privacy/erase": "lead: erase a person in the API (admins)",
    "POST /api/v1/external-reviews/{review_id}/verdict": "external review: record a verdict in the API (marketing, admins)",
    "PUT /api/v1/external-qualification": "external review: configure in the API (marketing head, admins)",
    "POST /api/v1/deals/{deal_id}/stage": "deal: move bob's to proposal in the API",
    "POST /api/v1/deals/{deal_id}/win": "deal: win a fresh deal of carol's in the API",
    "POST /api/v1/deals/{deal_id}/lose": "deal: lose a fresh deal of charlie's in the API",
    "POST /api/v1/campaigns": "campaign: create in the API",
    "PATCH /api/v1/campaigns/{campaign_id}": "campaign: change in the API",
    "POST /api/v1/campaigns/{campaign_id}/costs": "campaign: add a cost in the API",
    "POST /api/v1/campaigns/{campaign_id}/communications": "communication: create in the API",
    "POST /api/v1/communications/{communication_id}/send": "communication: send in the API",
    "POST /api/v1/communications/{communication_id}/outcomes": "communication: record an outcome for bob's lead in the API",
    "POST /api/v1/criteria": "criteria set: create a draft in the API",
    "PUT /api/v1/criteria/{criteria_id}": "criteria set: replace a draft in the API",
    "POST /api/v1/criteria/{criteria_id}/sign-off": "criteria set: sign off in the API (the two heads only)",
    "POST /api/v1/routing/dry-run": "routing rules: dry run in the API (which leads it tries: only those one sees)",
    "POST /api/v1/notifications/{notification_id}/read": "notification: mark charlie's read in the API",
    "POST /api/v1/webhooks": "webhook: create in the API",
    "POST /api/v1/reports/abtest": "dashboard: A/B test calculator in the API",
}  # fmt: skip

# Writes that answer to a key or token instead of a signed-in person; their own tests cover them.
API_WRITES_WITHOUT_A_USER = {
    "POST /api/v1/hooks/leads/{source_key}": "incoming webhook: the source key is the authority",
}

PAGE_WRITE_ROWS: dict[str, str] = {
    "leads:stage_set": "lead: change a fresh lead of carol's stage on its page",
    "leads:duplicate_resolve": "lead: resolve a possible duplicate on the page (marketing, sales head, admins)",
    "leads:sources": "lead: create a source on the sources page (marketing, admins)",
    "intake:import_upload": "import job: upload a file",
    "intake:import_map": "import job: map its columns",
    "intake:import_preview": "import job: start it from the preview",
    "intake:import_retry": "import job: retry it",
    "sla:inbox_accept": "inbox row: accept charlie's lead on the inbox page",
    "sla:inbox_reject": "inbox row: reject a fresh lead of bob's on the inbox page",
    "sla:inbox_touch": "inbox row: touch a fresh lead of bob's on the inbox page",
    "campaigns:new": "campaign: create on the page",
    "campaigns:cost_add": "campaign: add a cost on the page",
    "campaigns:communication_new": "communication: create on the page",
    "campaigns:communication_edit": "communication: edit on the page",
    "campaigns:communication_send": "communication: send on the page",
    "campaigns:communication_schedule": "communication: schedule on the page",
    "campaigns:communication_outcome": "communication: record an outcome for bob's lead on the page",
    "deals:win": "deal: win a fresh deal of carol's on its page",
    "deals:lose": "deal: lose a fresh deal of charlie's on its page",
    "deals:convert": "lead: convert a fresh lead of carol's on the convert page",
    "notifications:mark_read": "notification: mark charlie's read on the page",
    "notifications:mark_all_read": "notification: mark all read on the page (one's own)",
    "notifications:preferences_save": "notification: save one's preferences",
    "notifications:copy_request_add": "notification: ask for copies of mail to bob's account (owner, team, managers, admins; effect checked)",
    "notifications:copy_request_remove": "notification: remove charlie's copy request",
    "notifications:consent_grant": "notification: consent to mail under one's name to bob's account (effect checked)",
    "notifications:consent_revoke": "notification: revoke charlie's sender consent",
    "privacy:desk": "lead: erase a person on the privacy desk (admins)",
    "privacy:lead_delete": "lead: move a fresh lead of bob's to the trash on the page",
    "leads:proposal_apply": "lead: apply a change an anonymous form proposed for a fresh lead of carol's, on its page",
    "privacy:lead_restore": "lead: restore a fresh lead of bob's from the trash on the page",
    "qualification:new": "criteria set: create a draft on the page",
    "qualification:edit": "criteria set: edit a draft on the page",
    "qualification:sign_off": "criteria set: sign off on the page",
    "routing:rule_set_new": "routing rules: start a draft on the page",
    "routing:rule_set": "routing rules: add a rule to a draft on its page",
    "routing:rule_remove": "routing rules: remove a rule from a draft (managers, sales head, admins; effect checked)",
    "routing:rule_move": "routing rules: move a rule in a draft",
    "routing:activate": "routing rules: activate a draft",
    "webhooks:new": "webhook: create on the page (the admin pages do not exist for anyone else)",
    "webhooks:test": "webhook: send a test",
    "webhooks:toggle": "webhook: switch off and on",
    "webhooks:retry": "webhook: retry a delivery",
}  # fmt: skip

# Pages that only read (GET), and why pages outside the matrix are safe there.
READ_ONLY_PAGES = {
    "home", "leads:list", "leads:detail", "leads:duplicates", "leads:duplicate", "intake:import_progress",
    "intake:import_progress_partial", "intake:import_errors", "sla:inbox", "sla:scorecards", "sla:scorecards_csv",
    "sla:rejections", "campaigns:list", "campaigns:detail", "campaigns:attribution", "campaigns:communications_all",
    "campaigns:communications", "campaigns:communication", "campaigns:communication_csv", "deals:list",
    "deals:detail", "notifications:inbox", "notifications:preferences", "notifications:unread_count",
    "privacy:export", "privacy:trash", "qualification:list", "qualification:detail", "qualification:diff",
    "qualification:glossary", "reporting:home", "reporting:glossary", "reporting:customers", "reporting:dashboard",
    "routing:home", "routing:dry_run", "webhooks:home", "webhooks:endpoint", "audit:list", "audit:detail",
    "audit:export", "core:healthz",
}  # fmt: skip
PAGES_WITHOUT_A_USER = {
    "login": "signing in", "logout": "signing out one's own session", "totp_verify": "the second sign-in step",
    "totp_setup": "one's own authenticator", "intake:form_submit": "public form: the source key is the authority",
    "sla:one_click": "signed one-click link", "campaigns:click": "signed click link",
    "privacy:unsubscribe": "signed unsubscribe link",
    "password_change": "one's own password (the current one is asked for)",
    "password_reset": "asking for a reset mail: the same answer for every address, throttled",
    "password_reset_done": "a page saying the mail is on its way",
    "password_reset_confirm": "the single-use signed link in the reset mail is the authority",
    "password_reset_complete": "a page saying the password was set",
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


merge_areas(
    MATRIX, API_WRITE_ROWS, API_WRITES_WITHOUT_A_USER, PAGE_WRITE_ROWS, READ_ONLY_PAGES, PAGES_WITHOUT_A_USER
)

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


def _served_write_operations(client: Any) -> set[str]:
    """Every non-GET operation of the API as served (read from its OpenAPI document)."""
    spec = client.get("/api/v1/openapi.json").json()
    return {
        f"{method.upper()} /api/v1{path.removeprefix('/api/v1')}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method.lower() in ("post", "put", "patch", "delete")
    }


def test_every_write_operation_of_the_api_is_in_the_matrix(personas, client_for):
    """A new POST/PUT/PATCH/DELETE fails this test until a row of MATRIX checks who may call it."""
    served = _served_write_operations(client_for(personas.root))
    assert served, "the OpenAPI document lists no write operation"
    missing = served - set(API_WRITE_ROWS) - set(API_WRITES_WITHOUT_A_USER)
    assert not missing, f"add a row to MATRIX and API_WRITE_ROWS for: {sorted(missing)}"
    gone = set(API_WRITE_ROWS) - served
    assert not gone, f"no longer served; remove from API_WRITE_ROWS: {sorted(gone)}"


def _page_names() -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_page_is_a_checked_write_or_listed_as_read_only():
    """A new page fails this test until it is a row of MATRIX (a write) or listed as read-only."""
    pages = _page_names()
    assert "leads:stage_set" in pages
    unlisted = pages - set(PAGE_WRITE_ROWS) - READ_ONLY_PAGES - set(PAGES_WITHOUT_A_USER)
    assert not unlisted, (
        f"add a MATRIX row and PAGE_WRITE_ROWS entry, or READ_ONLY_PAGES, for: {sorted(unlisted)}"
    )
    gone = (set(PAGE_WRITE_ROWS) | READ_ONLY_PAGES | set(PAGES_WITHOUT_A_USER)) - pages
    assert not gone, f"no such page any more: {sorted(gone)}"


def test_every_listed_write_names_a_row_of_the_matrix():
    rows = {**API_WRITE_ROWS, **PAGE_WRITE_ROWS}
    unknown = {op: row for op, row in rows.items() if row not in MATRIX}
    assert not unknown, f"these name no MATRIX row: {unknown}"


def test_the_read_only_pages_write_nothing_when_posted_to(world, client_for):
    """What READ_ONLY_PAGES claims, checked: an admin posting to each page that takes no id changes no row."""
    from django.urls import NoReverseMatch, reverse

    from accord.audit.models import ChangeRecord
    from accord.core.models import Event

    root = client_for(world.p.root)
    before = (Event.objects.count(), ChangeRecord.objects.count())
    posted = 0
    for name in sorted(READ_ONLY_PAGES):
        try:
            url = reverse(name)
        except NoReverseMatch:  # pages of one record: their reads are rows of MATRIX
            continue
        root.post(url, {"stage": "customer", "email": "bob.lead@acme.example", "name": "x", "reason": "x"})
        posted += 1
    assert posted >= 20
    assert (Event.objects.count(), ChangeRecord.objects.count()) == before
