"""Pages that correct a campaign and its cost lines. Marketing and admins only (the access layer's
``campaigns_actionable_by`` and the cost lines' policy); each save leaves the old and new values in the
audit trail and an event in the campaign's history, shown under the cost line being edited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accord.campaigns.forms import CampaignForm, CostLineForm
from accord.campaigns.models import Campaign, CostLine
from accord.campaigns.services import campaign_update, cost_line_update
from accord.core.errors import AccessDenied, ApplicationError
from accord.core.models import Event
from accord.people import access
from accord.people.access import signed_in_user


def _campaign_to_change(request: HttpRequest, campaign_id: int) -> Campaign:
    """The campaign if the user may change it: 404 when unseen, 403 when only read."""
    user = signed_in_user(request)
    campaign = access.campaigns_visible_to(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    if not access.campaigns_actionable_by(user).filter(pk=campaign_id).exists():
        raise PermissionDenied("Only marketing and admins change campaigns.")
    return campaign  # type: ignore[no-any-return]


@login_required
def campaign_edit_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_to_change(request, campaign_id)
    fields = list(CampaignForm.base_fields)
    initial = {name: getattr(campaign, name) for name in fields}
    form = CampaignForm(request.POST or None, initial=initial)
    form.fields["parent"].queryset = Campaign.objects.exclude(pk=campaign.pk).order_by("name")  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            campaign_update(campaign=campaign, actor=signed_in_user(request), **changed)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Campaign saved." if changed else "Nothing changed.")
            return redirect("campaigns:detail", campaign.pk)
    return render(request, "campaigns/edit.html", {"form": form, "campaign": campaign})


def _cost_history(line: CostLine) -> list[dict[str, Any]]:
    """The line's changes, newest first, from the campaign's events (bounded: the line's own)."""
    events = (
        Event.objects.filter(
            subject_type="campaign",
            subject_id=line.campaign_id,
            type__in=("campaign.cost_added", "campaign.cost_changed"),
            payload__cost_line=line.pk,
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:50]
    )
    history = []
    for event in events:
        changes = event.payload.get("changes") or {}
        history.append(
            {
                "at": event.occurred_at,
                "who": event.actor or "the system",
                "added": event.type == "campaign.cost_added",
                "changes": [
                    {
                        "what": name.replace("_", " ").capitalize(),
                        "before": pair[0] or "—",
                        "after": pair[1] or "—",
                    }
                    for name, pair in changes.items()
                ],
            }
        )
    return history


@login_required
def cost_line_edit_page(request: HttpRequest, campaign_id: int, line_id: int) -> HttpResponse:
    campaign = _campaign_to_change(request, campaign_id)
    line = CostLine.objects.filter(pk=line_id, campaign=campaign).first()
    if line is None:
        raise Http404("No such cost line.")
    form = CostLineForm(
        request.POST or None,
        initial={
            "amount": line.amount,
            "period_start": line.period_start,
            "period_end": line.period_end,
            "note": line.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cost_line_update(
                cost_line=line,
                actor=signed_in_user(request),
                amount=data["amount"],
                period_start=data["period_start"],
                period_end=data["period_end"] or data["period_start"],
                note=data["note"],
            )
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Cost saved; the change is in its history.")
            return redirect(reverse("campaigns:cost_edit", args=[campaign.pk, line.pk]))
    return render(
        request,
        "campaigns/cost_edit.html",
        {"form": form, "campaign": campaign, "line": line, "history": _cost_history(line)},
    )


urlpatterns = [
    path("campaigns/<int:campaign_id>/edit/", campaign_edit_page, name="edit"),
    path("campaigns/<int:campaign_id>/costs/<int:line_id>/edit/", cost_line_edit_page, name="cost_edit"),
]
