"""Pages across records: bulk actions on the lead list, saved views, accounts, the global search.

Every page reads through ``accord.people.access`` (directly or through the selectors), every write
through a service that asks it again; unseen records are 404s, seen-but-not-yours are 403s.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accord.audit.exports import csv_response
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.listing import capped_count, page_of
from accord.leads.listing import ACCOUNT_LIST
from accord.leads.models import Lead, Stage
from accord.leads.views import PAGE_SIZE, list_context
from accord.people import access
from accord.people.access import signed_in_user
from accord.people.models import Role, User
from accord.records import selectors, services

STAGE_LABELS = dict(Stage.choices)


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- bulk actions on the lead list ---------------------------------------------------------------------


def lead_bulk_context(user: Any) -> dict[str, Any]:
    """What the lead list offers to do with the selected leads, by the person's roles (registered with
    the leads app; each write checks again, lead by lead)."""
    if not isinstance(user, User):
        return {}
    actions: list[tuple[str, str]] = []
    if user.has_role(*access.REASSIGN_ROLES):
        actions.append(("assign", "Assign to…"))
    if user.has_role(*access.LEAD_STAGE_ROLES, *access.SALES_FLOOR_ROLES):
        actions.append(("stage", "Change stage…"))
    if user.has_role(*access.CAMPAIGN_MANAGER_ROLES):
        actions.append(("campaign", "Add to campaign…"))
    actions.append(("export", "Export as CSV"))
    if user.has_role(*access.TRASH_ROLES):
        actions.append(("trash", "Move to trash"))
    owners: list[tuple[str, str]] = []
    if any(a == "assign" for a, _ in actions):
        people = (
            User.objects.filter(roles__role__in=[Role.SALES_REP, Role.SALES_MANAGER], is_active=True)
            .distinct()
            .order_by("first_name", "username")
        )
        owners = [(u.username, u.get_full_name() or u.username) for u in people]
    campaigns: list[tuple[int, str]] = []
    if any(a == "campaign" for a, _ in actions):
        campaigns = list(
            access.campaigns_actionable_by(user)
            .exclude(status__in=["completed", "cancelled"])
            .order_by("name")
            .values_list("pk", "name")[:200]
        )
    return {
        "bulk_url": reverse("records:lead_bulk"),
        "bulk_actions": actions,
        "bulk_owners": owners,
        "bulk_campaigns": campaigns,
    }


EXPORT_HEADER = (
    "Email",
    "First name",
    "Last name",
    "Title",
    "Company",
    "Account",
    "Phone",
    "Country",
    "Stage",
    "Score",
    "Owner",
    "Source",
    "Received",
)


def _export_rows(leads: list[Lead]) -> list[list[Any]]:
    return [
        [
            lead.email,
            lead.first_name,
            lead.last_name,
            lead.title,
            lead.company,
            lead.account.name if lead.account else "",
            lead.phone,
            lead.country,
            STAGE_LABELS.get(lead.stage, lead.stage),
            lead.score,
            lead.owner.username if lead.owner else "",
            lead.source.name if lead.source else "",
            lead.created_at,
        ]
        for lead in leads
    ]


@login_required
@require_POST
def lead_bulk(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Apply one action to the leads selected on the list page."""
    user = signed_in_user(request)
    back = _next_url(request, reverse("leads:list"))
    action = request.POST.get("action", "")
    try:
        ids = [int(i) for i in request.POST.getlist("ids")]
    except ValueError:
        messages.error(request, "The selection was not understood; select the leads again.")
        return redirect(back)
    reason = request.POST.get("reason", "").strip()
    try:
        if action == "export":
            leads = list(
                access.leads_visible_to(user)
                .filter(pk__in=ids[: services.BULK_LIMIT])
                .select_related("account", "owner", "source")
                .order_by("-created_at", "-id")
            )
            if not leads:
                raise ApplicationError("Select at least one lead.", detail={"ids": "none selected"})
            return csv_response(
                "leads.csv",
                EXPORT_HEADER,
                _export_rows(leads),
                user=user,
                what="leads (selection on the lead list)",
                filters={"ids": [lead.pk for lead in leads]},
            )
        if action == "assign":
            result = services.leads_bulk_assign(
                actor=user, lead_ids=ids, to_username=request.POST.get("owner", ""), reason=reason
            )
            messages.success(request, result.words("Assigned"))
        elif action == "stage":
            result = services.leads_bulk_stage(
                actor=user, lead_ids=ids, stage=request.POST.get("stage", ""), reason=reason
            )
            messages.success(request, result.words("Moved"))
        elif action == "campaign":
            raw = request.POST.get("campaign", "")
            result = services.leads_bulk_add_to_campaign(
                actor=user, lead_ids=ids, campaign_id=int(raw) if raw.isdigit() else None
            )
            messages.success(request, result.words("Added to the campaign:"))
        elif action == "trash":
            result = services.leads_bulk_trash(actor=user, lead_ids=ids, reason=reason)
            messages.success(request, result.words("Moved to the trash:"))
        else:
            messages.error(request, "Choose what to do with the selected leads.")
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back)


# --- saved views ---------------------------------------------------------------------------------------

LIST_URLS = {"leads": "leads:list", "accounts": "records:accounts", "deals": "deals:list"}


@login_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters, sort and columns under a name."""
    user = signed_in_user(request)
    list_name = request.POST.get("list_name", "")
    list_url = reverse(LIST_URLS.get(list_name, "leads:list"))
    try:
        view = services.saved_view_save(
            owner=user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            shared=bool(request.POST.get("shared")),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(list_url)
    messages.success(request, f"Saved the view “{view.name}”{' for everyone' if view.shared else ''}.")
    return redirect(f"{list_url}?{view.query}{'&' if view.query else ''}view={view.pk}")


@login_required
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        services.saved_view_delete(view_id=view_id, actor=user)
    except NotFound:
        raise Http404("No such saved view.") from None
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, "The view was deleted.")
    return redirect(_next_url(request, reverse("leads:list")))


# --- accounts --------------------------------------------------------------------------------------------


@login_required
def account_list_page(request: HttpRequest) -> HttpResponse:
    """Accounts the person may see: columns, sorts, filters, saved views, a capped count."""
    user = signed_in_user(request)
    context = list_context(request, ACCOUNT_LIST)
    accounts = selectors.account_list(user=user, query=context["list_query"])
    page = page_of(accounts, number=request.GET.get("page"), size=PAGE_SIZE)
    stages = selectors.account_stages(page.rows, user)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "page": page,
            "rows": [
                {
                    "account": a,
                    "stage": stages.get(a.pk, ""),
                    "stage_label": STAGE_LABELS.get(stages.get(a.pk, ""), ""),
                }
                for a in page.rows
            ],
            "total": capped_count(accounts),
            "query": query.urlencode(),
        }
    )
    return render(request, "records/account_list.html", context)


def _account_or_404(user: User, account_id: int) -> selectors.AccountDetail:
    try:
        return selectors.account_detail(user=user, account_id=account_id)
    except NotFound:
        raise Http404("No such account.") from None


def _timeline(detail: selectors.AccountDetail) -> list[dict[str, Any]]:
    """The account's timeline in plain words: who it was about, what happened, who did it."""
    lead_ids = {e.subject_id for e in detail.timeline if e.subject_type == "lead"}
    names = {
        pk: (f"{first} {last}".strip() or email)
        for pk, first, last, email in Lead.objects.filter(pk__in=lead_ids).values_list(
            "pk", "first_name", "last_name", "email"
        )
    }
    deals = {d.pk: d.name for d in detail.deals}
    entries = []
    for event in detail.timeline:
        payload = event.payload or {}
        if event.subject_type == "lead":
            about = names.get(event.subject_id, "A person")
            url = reverse("leads:detail", args=[event.subject_id])
        elif event.subject_type == "deal":
            about = f"Deal “{deals.get(event.subject_id, 'a deal')}”"
            url = reverse("deals:detail", args=[event.subject_id])
        else:
            about, url = detail.account.name, ""
        if event.type == "lead.intake":
            what = "came in" if payload.get("created") else "came in again"
        elif event.type == "lead.stage_changed" or (event.stage and event.type.startswith("lead.")):
            what = f"moved to {STAGE_LABELS.get(event.stage, event.stage)}"
        elif event.type == "lead.assigned":
            what = f"assigned to {payload.get('owner_name') or payload.get('owner') or 'someone'}"
        elif event.type == "account.merged":
            what = f"merged with the duplicate “{payload.get('merged_name', '')}”"
        elif event.type == "account.parent_set":
            what = (
                f"now belongs to {payload['to']}" if payload.get("to") else "no longer has a parent account"
            )
        else:
            what = event.type.split(".", 1)[-1].replace("_", " ")
        entries.append(
            {
                "at": event.occurred_at,
                "about": about,
                "url": url,
                "what": what,
                "who": (event.actor.get_full_name() or event.actor.username) if event.actor else "",
            }
        )
    return entries


@login_required
def account_detail_page(request: HttpRequest, account_id: int) -> HttpResponse:
    user = signed_in_user(request)
    detail = _account_or_404(user, account_id)
    return render(
        request,
        "records/account_detail.html",
        {
            "d": detail,
            "account": detail.account,
            "timeline": _timeline(detail),
            "stage_label": STAGE_LABELS.get(detail.stage, ""),
            "can_change": services.may_change_account(user, detail.account),
            "parent_choices": list(
                access.accounts_visible_to(user)
                .exclude(pk=detail.account.pk)
                .order_by("name")
                .values_list("pk", "name")[:500]
            ),
        },
    )


def _account_write(request: HttpRequest, account_id: int, call: Any, done: str) -> HttpResponse:
    try:
        account = call()
    except NotFound:
        raise Http404("No such account.") from None
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("records:account", account_id=account_id)
    messages.success(request, done)
    return redirect("records:account", account_id=account.pk)


def _int_or_none(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


@login_required
@require_POST
def account_merge_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """Merge another account (a duplicate) into this one."""
    user = signed_in_user(request)
    other = _int_or_none(request.POST.get("merge", ""))
    if other is None:
        messages.error(request, "Choose the duplicate account to merge into this one.")
        return redirect("records:account", account_id=account_id)
    return _account_write(
        request,
        account_id,
        lambda: services.account_merge(keep_id=account_id, merge_id=other, actor=user),
        "The accounts were merged: people, deals and domains moved here.",
    )


@login_required
@require_POST
def account_parent_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """Set or clear the parent account."""
    user = signed_in_user(request)
    parent = _int_or_none(request.POST.get("parent", ""))
    return _account_write(
        request,
        account_id,
        lambda: services.account_parent_set(account_id=account_id, parent_id=parent, actor=user),
        "Parent account saved." if parent else "Parent account cleared.",
    )


# --- global search -----------------------------------------------------------------------------------------


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """The top bar's search: as-you-type suggestions (an htmx request) or a full page of results."""
    user = signed_in_user(request)
    term = request.GET.get("q", "")
    is_htmx = bool(getattr(request, "htmx", False))
    results = selectors.global_search(user=user, term=term, per_group=5 if is_htmx else 20)
    context = {"term": term.strip(), "results": results}
    template = "records/_search_results.html" if is_htmx else "records/search.html"
    return render(request, template, context)


urlpatterns = [
    path("leads/bulk", lead_bulk, name="lead_bulk"),
    path("views/", view_save, name="view_save"),
    path("views/<int:view_id>/delete", view_delete, name="view_delete"),
    path("accounts/", account_list_page, name="accounts"),
    path("accounts/<int:account_id>/", account_detail_page, name="account"),
    path("accounts/<int:account_id>/merge", account_merge_view, name="account_merge"),
    path("accounts/<int:account_id>/parent", account_parent_view, name="account_parent"),
    path("search/", search_page, name="search"),
]
