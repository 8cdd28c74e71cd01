"""Pipeline pages: the deal board (drag a card, or pick its stage without JavaScript), the weighted
forecast per period and owner, and the stage probabilities it weighs with.

A move from the board calls ``deal_stage_set``, the same service and checks as
``POST /api/v1/deals/{id}/stage``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.deals.edit_services import stage_probability_set
from accord.deals.forms import BoardMoveForm, ForecastForm, StageProbabilityForm
from accord.deals.pipeline_selectors import (
    BOARD_STAGES,
    PROBABILITY_ROLES,
    deal_board,
    deal_forecast,
    stage_probabilities,
)
from accord.deals.selectors import deal_get
from accord.deals.services import deal_stage_set
from accord.people.access import signed_in_user


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def deal_board_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    owner = (request.GET.get("owner") or "").strip()[:150]
    board = deal_board(user=user, owner=owner)
    return render(
        request,
        "deals/board.html",
        {
            "board": board,
            "owner": owner,
            "stage_choices": [(s.value, s.label) for s in BOARD_STAGES],
        },
    )


@login_required
@require_POST
def deal_move_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Move a card: the board's drag (fetch, JSON answer) and its stage select (a plain form post)."""
    user = signed_in_user(request)
    try:
        deal = deal_get(user=user, deal_id=deal_id)
    except NotFound:
        raise Http404("No such deal.") from None
    form = BoardMoveForm(request.POST)
    back = request.POST.get("next") or reverse("deals:board")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("deals:board")
    if not form.is_valid():
        message = "Choose qualification, proposal or negotiation."
        if _wants_json(request):
            return JsonResponse({"message": message, "detail": {"stage": "invalid"}}, status=400)
        messages.error(request, message)
        return redirect(back)
    try:
        deal = deal_stage_set(deal=deal, user=user, stage=form.cleaned_data["stage"])
    except AccessDenied as exc:
        if _wants_json(request):
            return JsonResponse({"message": exc.message, "detail": exc.detail}, status=403)
        raise PermissionDenied(exc.message) from None
    except ApplicationError as exc:
        if _wants_json(request):
            return JsonResponse({"message": exc.message, "detail": exc.detail}, status=exc.status_code)
        messages.error(request, exc.message)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse({"id": deal.pk, "stage": deal.stage, "stage_label": deal.get_stage_display()})
    messages.success(request, f"{deal.name} moved to {deal.get_stage_display()}.")
    return redirect(back)


@login_required
def deal_forecast_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ForecastForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    forecast = deal_forecast(user=user, period=data.get("period") or "quarter", owner=data.get("owner") or "")
    return render(
        request,
        "deals/forecast.html",
        {"form": form, "forecast": forecast, "can_set_probabilities": user.has_role(*PROBABILITY_ROLES)},
    )


@login_required
def stage_probabilities_page(request: HttpRequest) -> HttpResponse:
    """The probability of winning per open stage: everyone reads them, the sales head and admins set them."""
    user = signed_in_user(request)
    may_set = user.has_role(*PROBABILITY_ROLES)
    current = stage_probabilities()
    form = StageProbabilityForm(request.POST or None, initial=current)
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied("Only the sales head and admins set stage probabilities.")
        if form.is_valid():
            for stage, percent in form.cleaned_data.items():
                if current.get(stage) != percent:
                    stage_probability_set(user=user, stage=stage, probability=percent)
            messages.success(request, "Stage probabilities saved; the forecast uses them now.")
            return redirect("deals:probabilities")
    return render(
        request,
        "deals/probabilities.html",
        {"form": form, "may_set": may_set, "current": current},
    )


urlpatterns = [
    path("deals/board/", deal_board_page, name="board"),
    path("deals/<int:deal_id>/move/", deal_move_page, name="move"),
    path("deals/forecast/", deal_forecast_page, name="forecast"),
    path("deals/probabilities/", stage_probabilities_page, name="probabilities"),
]
