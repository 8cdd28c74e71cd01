"""Campaign pages: the list with cost to date, a campaign with its costs, children and touches, attribution,
and communications with their A/B variants, sends, outcomes and verdict.

Pages only parse input, call a selector or service, and render.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.audit.exports import csv_response
from accord.campaigns.communication_selectors import (
    DELIVERY_CSV_HEADER,
    can_manage_communications,
    can_read_communications,
    click_target,
    communication_get,
    communication_listing,
    communication_recipients,
    communication_result,
    communication_send_runs,
    deliveries_actionable_by,
    delivery_csv_rows,
    delivery_get_for_outcome,
)
from accord.campaigns.communication_services import (
    communication_create,
    communication_schedule,
    communication_send,
    communication_unschedule,
    communication_update,
    delivery_outcome_record,
)
from accord.campaigns.forms import (
    AttributionForm,
    CampaignFilterForm,
    CampaignForm,
    CommunicationForm,
    CostLineForm,
    OutcomeForm,
    ScheduleForm,
)
from accord.campaigns.models import Communication, DeliveryStatus, Outcome
from accord.campaigns.selectors import (
    campaign_detail,
    campaign_get,
    campaign_listing,
    can_manage_campaigns,
    can_read_attribution,
)
from accord.campaigns.services import campaign_create, cost_line_add
from accord.campaigns.touchpoint_selectors import attributed_revenue
from accord.core.errors import ApplicationError, NotFound
from accord.core.models import Channel
from accord.people.access import signed_in_user


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
            campaign = campaign_create(actor=signed_in_user(request), **form.cleaned_data)
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
                actor=signed_in_user(request),
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


# --- communications and their A/B test ------------------------------------------------------------


def _communication_or_404(request: HttpRequest, communication_id: int) -> Communication:
    try:
        return communication_get(user=request.user, communication_id=communication_id)
    except NotFound:
        raise Http404("No such communication.") from None


def _require_communication_manager(request: HttpRequest) -> None:
    if not can_manage_communications(request.user):
        raise PermissionDenied("Only marketing may create, change or send communications.")


@login_required
def communication_index(request: HttpRequest) -> HttpResponse:
    if not can_read_communications(request.user):
        raise Http404("No such page.")
    return render(
        request,
        "campaigns/communications.html",
        {"communications": communication_listing(user=request.user), "campaign": None},
    )


@login_required
def communication_list_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id)
    if not can_read_communications(request.user):
        raise Http404("No such campaign.")
    return render(
        request,
        "campaigns/communications.html",
        {
            "campaign": campaign,
            "communications": communication_listing(user=request.user, campaign=campaign),
            "can_manage": can_manage_communications(request.user),
        },
    )


@login_required
def communication_new(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id)
    _require_communication_manager(request)
    form = CommunicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            communication = communication_create(
                campaign=campaign,
                actor=signed_in_user(request),
                variants=form.variant_specs(),
                **form.communication_data(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Communication {communication.name} created as a draft.")
            return redirect("campaigns:communication", communication.pk)
    return render(
        request,
        "campaigns/communication_form.html",
        {"form": form, "campaign": campaign, "communication": None},
    )


@login_required
def communication_edit(request: HttpRequest, communication_id: int) -> HttpResponse:
    communication = _communication_or_404(request, communication_id)
    _require_communication_manager(request)
    form = CommunicationForm(request.POST or None, initial=CommunicationForm.initial_for(communication))
    if request.method == "POST" and form.is_valid():
        try:
            communication_update(
                communication=communication,
                actor=signed_in_user(request),
                variants=form.variant_specs() if not communication.deliveries.exists() else None,
                **form.communication_data(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Communication saved.")
            return redirect("campaigns:communication", communication.pk)
    return render(
        request,
        "campaigns/communication_form.html",
        {"form": form, "campaign": communication.campaign, "communication": communication},
    )


@login_required
def communication_detail_page(request: HttpRequest, communication_id: int) -> HttpResponse:
    communication = _communication_or_404(request, communication_id)
    user = request.user
    return render(
        request,
        "campaigns/communication_detail.html",
        {
            "c": communication,
            "result": communication_result(communication=communication),
            "runs": communication_send_runs(communication=communication),
            "actionable": deliveries_actionable_by(user=user, communication=communication, limit=50),
            "can_manage": can_manage_communications(user),
            "schedule_form": ScheduleForm(),
            "outcomes": [(Outcome.REPLIED, "Replied"), (Outcome.MEETING_BOOKED, "Meeting booked")],
        },
    )


@login_required
@require_POST
def communication_send_page(request: HttpRequest, communication_id: int) -> HttpResponse:
    communication = _communication_or_404(request, communication_id)
    _require_communication_manager(request)
    audience = communication_recipients(communication=communication).count()
    try:
        if audience > settings.ACCORD_SEND_INLINE_LIMIT:
            # A big audience goes to the worker: the same send, scheduled for now.
            communication_schedule(
                communication=communication, actor=signed_in_user(request), at=timezone.now()
            )
        else:
            result = communication_send(communication=communication, actor=signed_in_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if audience > settings.ACCORD_SEND_INLINE_LIMIT:
            messages.success(
                request,
                f"Sending to {audience} people in the background; the figures below fill in as the "
                "messages go out (reload to see them).",
            )
        else:
            messages.success(request, result.summary())
    return redirect("campaigns:communication", communication.pk)


@login_required
@require_POST
def communication_schedule_page(request: HttpRequest, communication_id: int) -> HttpResponse:
    communication = _communication_or_404(request, communication_id)
    _require_communication_manager(request)
    if request.POST.get("cancel"):
        communication_unschedule(communication=communication, actor=signed_in_user(request))
        messages.success(request, "The scheduled send is cancelled; the communication is a draft again.")
        return redirect("campaigns:communication", communication.pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a date and time to send at.")
    else:
        try:
            communication_schedule(
                communication=communication,
                actor=signed_in_user(request),
                at=form.cleaned_data["scheduled_for"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Scheduled: it goes out to its audience at that time.")
    return redirect("campaigns:communication", communication.pk)


@login_required
@require_POST
def communication_outcome_page(request: HttpRequest, communication_id: int) -> HttpResponse:
    communication = _communication_or_404(request, communication_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        raise Http404("No such delivery.")
    try:
        delivery = delivery_get_for_outcome(
            user=request.user, communication=communication, lead_id=form.cleaned_data["lead_id"]
        )
    except NotFound:
        raise Http404("No such delivery.") from None
    except ApplicationError as exc:  # seen but not theirs to act on (403)
        raise PermissionDenied(exc.message) from None
    outcome = form.cleaned_data["outcome"]
    try:
        _, recorded = delivery_outcome_record(
            delivery=delivery, outcome=outcome, actor=signed_in_user(request)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        label = Outcome(outcome).label.lower()
        messages.success(
            request, f"Recorded: {delivery.lead} {label}." if recorded else f"Already recorded: {label}."
        )
    return redirect(reverse("campaigns:communication", args=[communication.pk]) + "#your-leads")


@login_required
def communication_csv(request: HttpRequest, communication_id: int) -> HttpResponse | StreamingHttpResponse:
    communication = _communication_or_404(request, communication_id)
    return csv_response(
        f"communication-{communication.pk}-deliveries.csv",
        DELIVERY_CSV_HEADER,
        delivery_csv_rows(user=request.user, communication=communication),
        user=request.user,
        what="communication deliveries",
        filters={"communication": communication.pk},
    )


def click_redirect(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link in an email: records the click (once per delivery) and sends the person on."""
    found = click_target(token)
    if found is None:
        raise Http404("This link is not valid.")
    delivery, url = found
    if delivery.status == DeliveryStatus.SENT:
        delivery_outcome_record(delivery=delivery, outcome=Outcome.CLICKED, event_channel=Channel.EMAIL)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [
    path("campaigns/", campaign_list, name="list"),
    path("campaigns/new/", campaign_new, name="new"),
    path("campaigns/<int:campaign_id>/", campaign_detail_page, name="detail"),
    path("campaigns/<int:campaign_id>/costs/", campaign_cost_add, name="cost_add"),
    path("attribution/", attribution_page, name="attribution"),
    path("communications/", communication_index, name="communications_all"),
    path("campaigns/<int:campaign_id>/communications/", communication_list_page, name="communications"),
    path("campaigns/<int:campaign_id>/communications/new/", communication_new, name="communication_new"),
    path("communications/<int:communication_id>/", communication_detail_page, name="communication"),
    path("communications/<int:communication_id>/edit/", communication_edit, name="communication_edit"),
    path("communications/<int:communication_id>/send/", communication_send_page, name="communication_send"),
    path(
        "communications/<int:communication_id>/schedule/",
        communication_schedule_page,
        name="communication_schedule",
    ),
    path(
        "communications/<int:communication_id>/outcomes/",
        communication_outcome_page,
        name="communication_outcome",
    ),
    path("communications/<int:communication_id>/deliveries.csv", communication_csv, name="communication_csv"),
    path("c/<str:token>", click_redirect, name="click"),
]
