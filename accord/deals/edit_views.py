"""Deal pages that change a deal's fields: opening a deal directly for a contact, and editing a deal
(amount, close date, stage, owner, products). Both call ``accord.deals.edit_services``, which asks the
access layer whether the user may act."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.deals.edit_services import deal_create, deal_update
from accord.deals.forms import DealEditForm, DealNewForm, LineItemFormSet
from accord.deals.pipeline_selectors import deal_owner_choices
from accord.deals.selectors import CONVERT_ROLES
from accord.people.access import access_deal_by_id, access_lead_by_id, signed_in_user
from accord.people.models import User


def _items(formset: BaseFormSet) -> list[dict[str, Any]]:
    return [form.cleaned_data for form in formset.forms if form.cleaned_data.get("product")]


@login_required
def deal_new_page(request: HttpRequest) -> HttpResponse:
    """Open a deal for a contact (``?contact=<lead id>``): a deal that did not come from converting."""
    user = signed_in_user(request)
    if not user.has_role(*CONVERT_ROLES):
        raise PermissionDenied("Only sales may open deals.")
    raw = request.POST.get("contact") or request.GET.get("contact") or ""
    if not raw.isdigit():
        raise Http404("Open a deal from a contact's page.")
    try:
        contact = access_lead_by_id(user, int(raw), action="convert")
    except NotFound:
        raise Http404("No such contact.") from None
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    owners = deal_owner_choices(user)
    form = DealNewForm(request.POST or None, owners=owners, initial={"contact": contact.pk, "owner": user.pk})
    formset = LineItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            deal = deal_create(
                user=user,
                contact=contact,
                name=data["name"],
                amount=data["amount"],
                currency=data["currency"],
                stage=data["stage"],
                expected_close=data["expected_close"],
                owner=data["owner"],
                line_items=_items(formset),
            )
        except AccessDenied as exc:
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Deal {deal.name} opened.")
            return redirect("deals:detail", deal.pk)
    return render(
        request, "deals/edit.html", {"form": form, "formset": formset, "contact": contact, "deal": None}
    )


@login_required
def deal_edit_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Correct an open deal; the change is kept in the audit trail and the deal's events."""
    user = signed_in_user(request)
    try:
        deal = access_deal_by_id(user, deal_id, action="act")
    except NotFound:
        raise Http404("No such deal.") from None
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    if not deal.is_open:
        messages.error(request, "Closed deals are not edited: their revenue is on the books.")
        return redirect("deals:detail", deal.pk)
    # The current owner stays listed even when the editor could not give them the deal.
    owners = User.objects.filter(Q(pk__in=deal_owner_choices(user).values("pk")) | Q(pk=deal.owner_id))
    lines = list(deal.line_items.all())
    initial = {
        "name": deal.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "stage": deal.stage,
        "expected_close": deal.expected_close,
        "owner": deal.owner_id,
    }
    form = DealEditForm(request.POST or None, owners=owners, initial=initial)
    formset = LineItemFormSet(
        request.POST or None,
        prefix="items",
        initial=[{"product": i.product, "quantity": i.quantity, "unit_price": i.unit_price} for i in lines],
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        items = _items(formset)
        try:
            deal_update(
                deal=deal,
                user=user,
                name=data["name"],
                amount=None if items else data["amount"],
                currency=data["currency"],
                stage=data["stage"],
                expected_close=data["expected_close"],
                owner=data["owner"],
                line_items=items,
            )
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Deal saved.")
            return redirect("deals:detail", deal.pk)
    return render(
        request, "deals/edit.html", {"form": form, "formset": formset, "contact": deal.contact, "deal": deal}
    )


urlpatterns = [
    path("deals/new/", deal_new_page, name="new"),
    path("deals/<int:deal_id>/edit/", deal_edit_page, name="edit"),
]
