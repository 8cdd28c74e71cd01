"""Deal pages: the list (record-level access), a deal with win/lose forms, converting a lead.

Every page reads deals through ``deals_visible_to`` / ``deal_get`` / ``deal_list`` only, so a rep
sees their own deals and gets a 404 for anyone else's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.listing import capped_count, page_of
from accord.deals.forms import ConvertForm, DealFilterForm, LoseForm, WinForm
from accord.deals.listing import DEAL_LIST
from accord.deals.models import Deal
from accord.deals.selectors import DealFilters, can_act_on_deal, deal_get, deal_list
from accord.deals.services import CONVERTIBLE_STAGES, deal_lose, deal_win, lead_convert
from accord.leads.selectors import lead_get
from accord.leads.views import list_context
from accord.people.access import leads_actionable_by, signed_in_user

PAGE_SIZE = 50


def _deal_or_404(request: HttpRequest, deal_id: int) -> Deal:
    try:
        return deal_get(user=signed_in_user(request), deal_id=deal_id)
    except NotFound:
        raise Http404("No such deal.") from None


@login_required
def deal_list_page(request: HttpRequest) -> HttpResponse:
    """Deals one sees: chosen columns, sorts, filters on any field, saved views, a capped count."""
    user = signed_in_user(request)
    form = DealFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = DealFilters(stage=data.get("stage", ""), owner=data.get("owner", ""), q=data.get("q", ""))
    context = list_context(request, DEAL_LIST)
    deals = DEAL_LIST.apply(deal_list(user=user, filters=filters), context["list_query"], user=user)
    page = page_of(deals, number=request.GET.get("page"), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "page": page,
            "deals": page.rows,
            "form": form,
            "query": query.urlencode(),
            "total": capped_count(deals),
        }
    )
    return render(request, "deals/list.html", context)


@login_required
def deal_detail_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    return render(
        request,
        "deals/detail.html",
        {
            "deal": deal,
            "line_items": list(deal.line_items.all()),
            "can_open_deal": leads_actionable_by(signed_in_user(request), "convert")
            .filter(pk=deal.contact_id)
            .exists(),
            "can_act": deal.is_open and can_act_on_deal(signed_in_user(request), deal),
            "win_form": WinForm(),
            "lose_form": LoseForm(),
        },
    )


def _act(request: HttpRequest, deal_id: int, form_class: type, action: str) -> HttpResponse:
    user = signed_in_user(request)
    deal = _deal_or_404(request, deal_id)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the deal was lost." if action == "lose" else "Check the form.")
        return redirect("deals:detail", deal.pk)
    try:
        if action == "win":
            deal_win(deal=deal, user=user, reason=form.cleaned_data["reason"])
            messages.success(request, "Deal won: the contact is now a customer.")
        else:
            deal_lose(deal=deal, user=user, reason=form.cleaned_data["reason"])
            messages.success(request, "Deal marked lost.")
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("deals:detail", deal.pk)


@login_required
@require_POST
def deal_win_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _act(request, deal_id, WinForm, "win")


@login_required
@require_POST
def deal_lose_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _act(request, deal_id, LoseForm, "lose")


@login_required
def lead_convert_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        lead = lead_get(user=user, lead_id=lead_id)
    except NotFound:
        raise Http404("No such lead.") from None
    form = ConvertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deal = lead_convert(lead=lead, user=user, **form.cleaned_data)
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Deal {deal.name} opened; the lead is now an opportunity.")
            return redirect("deals:detail", deal.pk)
    return render(
        request,
        "deals/convert.html",
        {
            "lead": lead,
            "form": form,
            "convertible": lead.stage in CONVERTIBLE_STAGES,
        },
    )


urlpatterns = [
    path("deals/", deal_list_page, name="list"),
    path("deals/<int:deal_id>/", deal_detail_page, name="detail"),
    path("deals/<int:deal_id>/win/", deal_win_page, name="win"),
    path("deals/<int:deal_id>/lose/", deal_lose_page, name="lose"),
    path("deals/convert/<int:lead_id>/", lead_convert_page, name="convert"),
]
