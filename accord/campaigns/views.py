"""Campaign pages: the list with cost to date, a campaign with its costs, children and touches, attribution.

Pages only parse input, call a selector or service, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accord.campaigns.forms import AttributionForm, CampaignFilterForm, CampaignForm, CostLineForm
from accord.campaigns.selectors import (
    attributed_revenue,
    campaign_detail,
    campaign_get,
    campaign_listing,
    can_manage_campaigns,
    can_read_attribution,
)
from accord.campaigns.services import campaign_create, cost_line_add
from accord.core.errors import ApplicationError, NotFound


def _campaign_or_404(request: HttpRequest, campaign_id: int) -> Any:
    try:
        return campaign_get(user=request.user, campaign_id=campaign_id)
    except NotFound:
        raise Http404("No such campaign.") from None


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    form = CampaignFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = campaign_listing(
        user=request.user, channel=filters.get("channel", ""), status=filters.get("status", "")
    )
    return render(
        request,
        "campaigns/list.html",
        {
            "rows": rows,
            "form": form,
            "can_manage": can_manage_campaigns(request.user),
        },
    )


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not can_manage_campaigns(request.user):
        raise PermissionDenied("Only marketing may create campaigns.")
    form = CampaignForm(request.POST or None, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Campaign {campaign.name} created.")
            return redirect("campaigns:detail", campaign.pk)
    return render(request, "campaigns/new.html", {"form": form})


@login_required
def campaign_detail_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    try:
        detail = campaign_detail(user=request.user, campaign_id=campaign_id)
    except NotFound:
        raise Http404("No such campaign.") from None
    return render(
        request,
        "campaigns/detail.html",
        {
            "d": detail,
            "cost_form": CostLineForm(),
            "can_manage": can_manage_campaigns(request.user),
        },
    )


@login_required
@require_POST
def campaign_cost_add(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id)
    if not can_manage_campaigns(request.user):
        raise PermissionDenied("Only marketing may add costs.")
    form = CostLineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cost_line_add(
                campaign=campaign,
                actor=request.user,
                amount=data["amount"],
                period_start=data["period_start"],
                period_end=data["period_end"] or data["period_start"],
                note=data["note"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Cost added.")
    else:
        messages.error(
            request,
            "The cost was not added: "
            + "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
        )
    return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#costs")


@login_required
def attribution_page(request: HttpRequest) -> HttpResponse:
    if not can_read_attribution(request.user):
        raise PermissionDenied("Your role may not read revenue attribution.")
    form = AttributionForm.from_query(request.GET.dict())
    result = None
    if form.is_valid():
        data = form.cleaned_data
        result = attributed_revenue(
            model=data["model"], start=data["start"], end=data["end"], group_by=data["group_by"]
        )
    return render(request, "campaigns/attribution.html", {"form": form, "result": result})


urlpatterns = [
    path("campaigns/", campaign_list, name="list"),
    path("campaigns/new/", campaign_new, name="new"),
    path("campaigns/<int:campaign_id>/", campaign_detail_page, name="detail"),
    path("campaigns/<int:campaign_id>/costs/", campaign_cost_add, name="cost_add"),
    path("attribution/", attribution_page, name="attribution"),
]
