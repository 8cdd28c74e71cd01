"""SLA pages: the rep inbox (accept, reject, log a touch without a page reload), scorecards and their
CSV, marketing's rejection feedback, and the one-click follow-up link from a notification email.

The one-click link: GET asks, POST logs the touch. A GET never changes anything, so mail scanners that
open links do not log touches. The signed token names the user, so the page works without signing in;
it expires after 72 hours.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.audit.exports import csv_response
from accord.core.errors import AccessDenied, ApplicationError
from accord.core.models import Channel
from accord.leads.models import Lead, Stage
from accord.people.access import access_lead_by_id, signed_in_user
from accord.people.models import User
from accord.sla import selectors
from accord.sla.forms import PeriodForm, ScorecardFilterForm
from accord.sla.inbox_panels import inbox_panels_for
from accord.sla.models import RejectionReason, SlaClock, TouchKind, TouchOutcome
from accord.sla.one_click import OneClick, one_click_token_read
from accord.sla.scorecards import (
    scorecards_allowed,
    scorecards_csv_header,
    scorecards_csv_rows,
    scorecards_for,
)
from accord.sla.services import lead_accept, lead_reject, note_add, touch_log
from accord.sla.touch_answers import touch_answers_form_part, touch_answers_from_form


def _load(link: OneClick) -> tuple[User, Lead, SlaClock | None]:
    user = User.objects.filter(pk=link.user_id, is_active=True).first()
    lead = Lead.objects.live().filter(pk=link.lead_id).first()
    if user is None or lead is None:
        raise ApplicationError("This link no longer points to a lead you can act on.", status=404)
    clock = SlaClock.objects.filter(pk=link.clock_id, lead=lead).first() if link.clock_id else None
    return user, lead, clock


@require_http_methods(["GET", "POST"])
def one_click_touch(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = one_click_token_read(token)
        user, lead, clock = _load(link)
    except ApplicationError as exc:
        return render(request, "sla/one_click.html", {"error": exc.message}, status=exc.status_code)
    context = {"lead": lead, "kind": TouchKind(link.kind).label, "clock": clock, "who": user}
    # The link answers one clock: once that clock is met or stopped, a second click logs nothing.
    if clock is not None and not clock.is_open:
        return render(request, "sla/one_click.html", {**context, "already": True})
    if request.method == "GET":
        return render(request, "sla/one_click.html", {**context, "confirm": True})
    try:
        touch = touch_log(lead=lead, user=user, kind=link.kind, channel=Channel.EMAIL)
    except ApplicationError as exc:
        return render(
            request, "sla/one_click.html", {**context, "error": exc.message}, status=exc.status_code
        )
    return render(request, "sla/one_click.html", {**context, "done": True, "touch": touch})


# --- the rep inbox -------------------------------------------------------------------------------------


def _options(choices: list[tuple[str, str]]) -> str:
    """``<option>`` tags for ``choices``, drawn once for every row of the inbox rather than once per row."""
    return format_html_join("", '<option value="{}">{}</option>', choices)


def _inbox_choices(user: User) -> dict[str, object]:
    outcomes = [(v, label) for v, label in TouchOutcome.choices if v]
    return {
        "touch_questions": touch_answers_form_part(user=user),
        "reasons": RejectionReason.choices,
        "touch_kinds": TouchKind.choices,
        "outcomes": outcomes,
        "reason_options": _options(RejectionReason.choices),
        "touch_kind_options": _options(TouchKind.choices),
        "outcome_options": _options(outcomes),
    }


def _inbox_filters(request: HttpRequest) -> selectors.InboxFilters:
    owner = request.GET.get("owner", "")
    return selectors.InboxFilters(
        q=request.GET.get("q", "")[:100],
        stage=request.GET.get("stage", ""),
        owner=int(owner) if owner.isdigit() else None,
    )


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox in four sections (to accept, to touch today, overdue, working), each sorted by deadline
    and paged; ``?show=<section>&page=N`` pages through one section."""
    user = signed_in_user(request)
    scopes = selectors.inbox_scopes_for(user)
    scope = request.GET.get("who", selectors.InboxScope.ME)
    if scope not in dict(scopes):
        scope = selectors.InboxScope.ME
    only = request.GET.get("show", "")
    if only not in {key for key, _, _ in selectors.INBOX_SECTIONS}:
        only = ""
    page = request.GET.get("page", "1")
    filters = _inbox_filters(request)
    teams, team_label = selectors.conversion_team_for(user)
    keep = request.GET.copy()
    for name in ("show", "page"):
        keep.pop(name, None)
    owners = selectors.inbox_owner_choices(user=user, scope=scope)
    context = {
        "sections": selectors.inbox_sections_for(
            user=user, scope=scope, filters=filters, only=only, page=int(page) if page.isdigit() else 1
        ),
        "only": only,
        "filters": filters,
        "filtered": bool(filters.q or filters.stage or filters.owner),
        "keep": keep.urlencode(),
        "stages": [(value, label) for value, label in Stage.choices if value in selectors.INBOX_STAGES],
        "owners": owners,
        "scopes": scopes,
        "scope": scope,
        "show_owner": scope != selectors.InboxScope.ME,
        "facts": selectors.conversion_facts_for(teams=teams, team_label=team_label),
        "inbox_panels": inbox_panels_for(request),
        "min_sample": selectors.MIN_SAMPLE,
        "now": timezone.now(),
        **_inbox_choices(user),
    }
    return render(request, "sla/inbox.html", context)


def _row_response(
    request: HttpRequest,
    lead_id: int,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
    name: str = "",
) -> HttpResponse:
    """The lead's inbox row as it stands now (HTMX swaps it in), or a redirect for a plain form post."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect(f"{reverse('sla:inbox')}?who={request.GET.get('who', selectors.InboxScope.ME)}")
    who = request.GET.get("who", selectors.InboxScope.ME)
    row = selectors.inbox_row_get(user=signed_in_user(request), lead_id=lead_id)
    if row is not None:
        row.error, row.notice = error, notice
    context = {
        "row": row,
        "lead_id": lead_id,
        "name": name,
        "error": error,
        "notice": notice,
        "show_owner": who == selectors.InboxScope.TEAM,
        "who": who,
        "now": timezone.now(),
        **_inbox_choices(signed_in_user(request)),
    }
    return render(request, "sla/_inbox_row.html", context, status=status)


def _perform(request: HttpRequest, lead: Lead, user: User, action: str) -> str:
    """Accept, reject or log a touch on ``lead`` from a posted form (the inbox row's or the lead page's),
    through the services; what happened, in words. Raises ApplicationError when the step is refused."""
    if action == "accept":
        lead_accept(lead=lead, user=user)
        return "Accepted. The first-touch clock is running."
    if action == "reject":
        reason = request.POST.get("reason", "")
        lead_reject(lead=lead, user=user, reason=reason, note=request.POST.get("note", ""))
        return f"Rejected ({RejectionReason(reason).label}); sent back to marketing."
    kind = request.POST.get("kind", TouchKind.CALL)
    touch_log(
        lead=lead,
        user=user,
        kind=kind,
        outcome=request.POST.get("outcome", ""),
        note=request.POST.get("note", ""),
        answers=touch_answers_from_form(request.POST),
    )
    return f"{TouchKind(kind).label} logged."


def _act(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    user = signed_in_user(request)
    try:
        lead = selectors.lead_get_for_action(user=user, lead_id=lead_id)
    except ApplicationError as exc:
        return _row_response(request, lead_id, error=exc.message, status=exc.status_code)
    name = str(lead)
    try:
        notice = _perform(request, lead, user, action)
    except ApplicationError as exc:
        return _row_response(request, lead_id, error=exc.message, status=exc.status_code, name=name)
    return _row_response(request, lead_id, notice=notice, name=name)


@require_POST
@login_required
def inbox_accept(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _act(request, lead_id, "accept")


@require_POST
@login_required
def inbox_reject(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _act(request, lead_id, "reject")


@require_POST
@login_required
def inbox_touch(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _act(request, lead_id, "touch")


# --- the lead page: the same actions, and notes -------------------------------------------------------


def _back_to_lead(lead_id: int) -> HttpResponse:
    return redirect(reverse("leads:detail", args=[lead_id]))


def _lead_page_act(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    """Accept, log or reject from the lead page through the same services as the inbox; back to the page
    with what happened said in a message."""
    user = signed_in_user(request)
    lead = selectors.lead_get_for_action(user=user, lead_id=lead_id)  # 404 unseen, 403 not theirs
    try:
        messages.success(request, _perform(request, lead, user, action))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back_to_lead(lead_id)


@require_POST
@login_required
def lead_page_accept(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _lead_page_act(request, lead_id, "accept")


@require_POST
@login_required
def lead_page_reject(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _lead_page_act(request, lead_id, "reject")


@require_POST
@login_required
def lead_page_touch(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _lead_page_act(request, lead_id, "touch")


@require_POST
@login_required
def lead_page_note(request: HttpRequest, lead_id: int) -> HttpResponse:
    """A note on the lead; everyone named with @username who may see the lead is told."""
    user = signed_in_user(request)
    lead = access_lead_by_id(user, lead_id, action="view")
    try:
        added = note_add(lead=lead, user=user, body=request.POST.get("body", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back_to_lead(lead_id)
    said = "Note added."
    if added.told:
        said += " Told " + ", ".join(p.get_full_name() or p.username for p in added.told) + "."
    messages.success(request, said)
    if added.cannot_see:
        names = ", ".join(p.get_full_name() or p.username for p in added.cannot_see)
        messages.warning(request, f"Not told (they may not see this lead): {names}.")
    if added.unknown:
        messages.warning(request, "Nobody is called " + ", ".join(f"@{n}" for n in added.unknown) + ".")
    return _back_to_lead(lead_id)


# --- scorecards --------------------------------------------------------------------------------------


def _scorecards_or_403(request: HttpRequest) -> tuple[ScorecardFilterForm, object]:
    user = signed_in_user(request)
    if not scorecards_allowed(user):
        raise PermissionDenied("Scorecards are for sales, the heads, executives and admins.")
    from accord.sla.scorecards import scorecard_teams_for

    teams, _ = scorecard_teams_for(user)
    form = ScorecardFilterForm(request.GET or None, teams=list(teams.order_by("name")))
    period = form.period_or_default()
    team_id = form.cleaned_data.get("team") if form.is_bound and form.is_valid() else None
    return form, scorecards_for(user=user, period=period, team_id=team_id)


@require_GET
@login_required
def scorecards_page(request: HttpRequest) -> HttpResponse:
    form, cards = _scorecards_or_403(request)
    query = request.GET.urlencode()
    return render(
        request,
        "sla/scorecards.html",
        {"form": form, "cards": cards, "reasons": RejectionReason.choices, "csv_query": query},
    )


@require_GET
@login_required
def scorecards_csv_download(request: HttpRequest) -> HttpResponse:
    _, cards = _scorecards_or_403(request)
    name = f"scorecards-{cards.period.start:%Y%m%d}-{cards.period.end:%Y%m%d}.csv"
    return csv_response(
        name, scorecards_csv_header(), scorecards_csv_rows(cards), user=signed_in_user(request), what="sla.scorecards",
        filters=request.GET.dict(),
    )  # fmt: skip


# --- rejection feedback for marketing ------------------------------------------------------------------


@require_GET
@login_required
def rejection_feedback(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not selectors.rejection_feedback_allowed(user):
        raise PermissionDenied("Rejection feedback is for marketing, the heads, executives and admins.")
    form = PeriodForm(request.GET or None)
    period = form.period_or_default()
    try:
        feedback = selectors.rejection_feedback_for(user=user, start=period.start, end=period.end)
    except AccessDenied as exc:  # pragma: no cover - checked above
        raise PermissionDenied(exc.message) from None
    return render(request, "sla/rejections.html", {"form": form, "period": period, "feedback": feedback})


urlpatterns = [
    path("t/<str:token>", one_click_touch, name="one_click"),
    path("inbox/", inbox, name="inbox"),
    path("inbox/leads/<int:lead_id>/accept", inbox_accept, name="inbox_accept"),
    path("inbox/leads/<int:lead_id>/reject", inbox_reject, name="inbox_reject"),
    path("inbox/leads/<int:lead_id>/touch", inbox_touch, name="inbox_touch"),
    path("leads/<int:lead_id>/work/accept", lead_page_accept, name="lead_accept"),
    path("leads/<int:lead_id>/work/reject", lead_page_reject, name="lead_reject"),
    path("leads/<int:lead_id>/work/touch", lead_page_touch, name="lead_touch"),
    path("leads/<int:lead_id>/notes", lead_page_note, name="lead_note"),
    path("scorecards/", scorecards_page, name="scorecards"),
    path("scorecards.csv", scorecards_csv_download, name="scorecards_csv"),
    path("feedback/rejections/", rejection_feedback, name="rejections"),
]
