"""SLA pages of the working day: the SLA policies (read by managers, changed by the sales head and
admins), and follow-up tasks set and marked done from a lead's page or the inbox."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import ApplicationError
from accord.people.access import signed_in_user
from accord.sla.follow_ups import follow_up_create, follow_up_done
from accord.sla.models import SlaPolicy
from accord.sla.policies import SlaPolicyForm, sla_policies_can_edit, sla_policies_can_read, sla_policy_save

# --- SLA policies ---------------------------------------------------------------------------------------


@require_GET
@login_required
def policies_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not sla_policies_can_read(user):
        raise PermissionDenied("SLA policies are for the sales managers, the heads, executives and admins.")
    policies = SlaPolicy.objects.select_related("source").order_by("priority", "name")
    return render(
        request, "sla/policies.html", {"policies": policies, "can_edit": sla_policies_can_edit(user)}
    )


@require_http_methods(["GET", "POST"])
@login_required
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    user = signed_in_user(request)
    if not sla_policies_can_edit(user):
        raise PermissionDenied("Only the sales head and admins change SLA policies.")
    policy = None
    if policy_id is not None:
        policy = SlaPolicy.objects.filter(pk=policy_id).first()
        if policy is None:
            raise Http404("There is no such SLA policy.")
    form = SlaPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            saved = sla_policy_save(actor=user, form=form)
        except ApplicationError as exc:
            field = next(iter(exc.detail), None) if exc.detail else None
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"SLA policy {saved} saved; it applies to deadlines started from now on."
            )
            return redirect("sla:policies")
    return render(request, "sla/policy_form.html", {"form": form, "policy": policy})


# --- follow-up tasks ------------------------------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return default


@require_POST
@login_required
def task_new(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Set a follow-up task from the form on a lead's page (``sla/_follow_up_form.html``)."""
    user = signed_in_user(request)
    back = _back(request, f"/leads/{lead_id}/")
    raw = (request.POST.get("due_at") or "").strip()
    try:
        due_at = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, "Give the due date and time, e.g. 2026-03-03 10:00.")
        return redirect(back)
    if due_at is None:
        messages.error(request, "Give the due date and time of the task.")
        return redirect(back)
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at, timezone.get_current_timezone())
    try:
        task = follow_up_create(
            lead_id=lead_id,
            user=user,
            title=request.POST.get("title", ""),
            due_at=due_at,
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        if exc.status_code in (403, 404):  # not theirs to act on: the error page says who may
            raise
        messages.error(request, exc.message)
    else:
        when = timezone.localtime(task.due_at).strftime("%a %d %b %H:%M")
        messages.success(request, f"Task set: {task.title}, due {when}. You will be reminded.")
    return redirect(back)


@require_POST
@login_required
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    user = signed_in_user(request)
    back = _back(request, "/inbox/")
    try:
        task = follow_up_done(task_id=task_id, user=user)
    except ApplicationError as exc:
        if exc.status_code in (403, 404):  # not theirs to act on: the error page says who may
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Done: {task.title}.")
    return redirect(back)


urlpatterns = [
    path("sla/policies/", policies_page, name="policies"),
    path("sla/policies/new/", policy_edit, name="policy_new"),
    path("sla/policies/<int:policy_id>/", policy_edit, name="policy"),
    path("tasks/leads/<int:lead_id>/", task_new, name="task_new"),
    path("tasks/<int:task_id>/done/", task_done, name="task_done"),
]
