"""Privacy pages: the admin's privacy desk (export, erase, erasure log), the trash, and the public
unsubscribe page that marketing emails link to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accord.audit.services import export_record
from accord.core.errors import ApplicationError
from accord.core.models import Channel
from accord.leads.selectors import lead_get
from accord.people.access import signed_in_user
from accord.privacy.forms import EraseForm, ExportForm, TrashForm
from accord.privacy.models import LeadTrash
from accord.privacy.selectors import (
    PRIVACY_ROLES,
    TRASH_ROLES,
    email_hash,
    erasure_records,
    export_filename,
    export_json,
    lead_from_unsubscribe_token,
    privacy_export,
    trash_list,
)
from accord.privacy.services import lead_delete, lead_restore, lead_unsubscribe, privacy_erase


def _require(request: HttpRequest, roles: tuple[str, ...]) -> None:
    if not signed_in_user(request).has_role(*roles):
        raise DjangoPermissionDenied


@login_required
def privacy_desk(request: HttpRequest) -> HttpResponse:
    """Export everything about a person, erase a person, and the log of past erasures (admins)."""
    _require(request, PRIVACY_ROLES)
    erase_form = EraseForm(request.POST or None) if request.method == "POST" else EraseForm()
    if request.method == "POST" and erase_form.is_valid():
        data = erase_form.cleaned_data
        try:
            record = privacy_erase(
                email=data.get("email") or "",
                lead_id=data.get("lead_id"),
                actor=signed_in_user(request),
                reason=data["reason"],
                channel=Channel.PAGE,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            total = sum(n for n in record.counts.values())
            messages.success(
                request, f"Erased: {total} rows and files removed or redacted (erasure {record.pk})."
            )
            return redirect("privacy:desk")
    return render(
        request,
        "privacy/desk.html",
        {
            "export_form": ExportForm(),
            "erase_form": erase_form,
            "records": erasure_records()[:50],
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def privacy_export_download(request: HttpRequest) -> HttpResponse:
    """The subject access export as a JSON download."""
    _require(request, PRIVACY_ROLES)
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Give a valid email address to export.")
        return redirect("privacy:desk")
    email = form.cleaned_data["email"]
    # Logged like every export, by a hash of the address: the log must not keep what erasure removes.
    export_record(
        user=signed_in_user(request),
        what="privacy.subject_access",
        filename=export_filename(email),
        filters={"email_hash": email_hash(email)},
    )
    response = HttpResponse(export_json(privacy_export(email=email)), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(email)}"'
    return response


@login_required
def trash_page(request: HttpRequest) -> HttpResponse:
    """Leads deleted the normal way, with who deleted them and a restore button."""
    _require(request, TRASH_ROLES)
    return render(request, "privacy/trash.html", {"items": trash_list(user=signed_in_user(request))[:200]})


@login_required
@require_POST
def lead_delete_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = signed_in_user(request)
    _require(request, TRASH_ROLES)
    try:
        lead = lead_get(user=user, lead_id=lead_id)
    except ApplicationError:
        raise Http404("No such lead.") from None
    form = TrashForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    lead_delete(lead=lead, actor=user, reason=reason)
    messages.success(request, f"{lead} is in the trash; restore it from there.")
    return redirect("privacy:trash")


@login_required
@require_POST
def lead_restore_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    _require(request, TRASH_ROLES)
    item = LeadTrash.objects.select_related("lead").filter(lead_id=lead_id).first()
    if item is None:
        raise Http404("This lead is not in the trash.")
    try:
        lead_restore(lead=item.lead, actor=signed_in_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("privacy:trash")
    messages.success(request, f"{item.lead} is back.")
    return redirect(f"/leads/{lead_id}/")


# Public: no sign-in. The signed token is the authority. CSRF-exempt because mail clients send the
# RFC 8058 one-click POST ("List-Unsubscribe=One-Click") without a cookie or form token.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (link scanners prefetch GETs); POST unsubscribes."""
    lead = lead_from_unsubscribe_token(token)
    if lead is None and request.method != "POST":
        # A forged token and an erased person look the same: nothing is disclosed either way.
        return render(request, "privacy/unsubscribe.html", {"done": False, "invalid": True}, status=404)
    if request.method == "POST":
        if lead is not None:
            lead_unsubscribe(lead=lead, source="unsubscribe link", channel=Channel.EMAIL)
        return render(request, "privacy/unsubscribe.html", {"done": True})
    return render(request, "privacy/unsubscribe.html", {"done": False, "token": token})


urlpatterns = [
    path("privacy/", privacy_desk, name="desk"),
    path("privacy/export", privacy_export_download, name="export"),
    path("privacy/trash/", trash_page, name="trash"),
    path("privacy/leads/<int:lead_id>/delete", lead_delete_page, name="lead_delete"),
    path("privacy/trash/<int:lead_id>/restore", lead_restore_page, name="lead_restore"),
    path("u/<str:token>", unsubscribe, name="unsubscribe"),
]
