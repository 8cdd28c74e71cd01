"""Routing pages: the versions and queues, a version's rules with the editor for drafts, the
overlap/gap check, the dry run and activation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import ApplicationError
from accord.people.access import access_lead_by_id, signed_in_user
from accord.routing import lead_page, selectors, services
from accord.routing.forms import RuleForm, conditions_format
from accord.routing.models import RoutingRule, RoutingRuleSet


def routing_access(*, edit: bool = False) -> Callable:
    """Signed-in people with a routing role; ``edit`` needs a role that may change rules."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            allowed = selectors.routing_can_edit if edit else selectors.routing_can_view
            if not allowed(request.user):
                raise PermissionDenied(
                    "Routing is for admins, sales heads and managers, and marketing's head."
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _rule_set_or_404(version: int) -> RoutingRuleSet:
    rule_set = selectors.rule_set_get(version)
    if rule_set is None:
        raise Http404(f"There is no routing version {version}.")
    return rule_set


@require_GET
@routing_access()
def routing_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "routing/home.html",
        {
            "rule_sets": selectors.rule_sets_for_page(),
            "retired": selectors.rule_sets_retired(),
            "queues": selectors.queues_with_counts(),
            "can_edit": selectors.routing_can_edit(request.user),
        },
    )


@require_POST
@routing_access(edit=True)
def rule_set_new(request: HttpRequest) -> HttpResponse:
    source = None
    if request.POST.get("copy_from"):
        source = _rule_set_or_404(int(request.POST["copy_from"]))
    draft = services.rule_set_create(
        actor=signed_in_user(request), notes=request.POST.get("notes", ""), copy_from=source
    )
    messages.success(request, f"Draft version {draft.version} created.")
    return redirect("routing:rule_set", version=draft.version)


@routing_access()
def rule_set_detail(request: HttpRequest, version: int) -> HttpResponse:
    rule_set = _rule_set_or_404(version)
    can_edit = selectors.routing_can_edit(request.user) and rule_set.is_draft
    form = RuleForm()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only drafts can be edited, by admins, sales heads and managers.")
        form = RuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rule_add(
                    rule_set=rule_set,
                    actor=signed_in_user(request),
                    name=data["name"],
                    conditions=data["conditions"],
                    target_kind=data["target_kind"],
                    target_user=data["target_user"],
                    target_team=data["target_team"],
                    target_queue=data["target_queue"],
                    weighted=data["weighted"],
                    position=data["position"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Rule '{data['name']}' added.")
                return redirect("routing:rule_set", version=version)
        rule_set = _rule_set_or_404(version)
    elif request.method != "GET":
        return HttpResponse(status=405)
    rules = selectors.rule_set_rules(rule_set)
    return render(
        request,
        "routing/rule_set.html",
        {
            "rule_set": rule_set,
            "rows": [
                (rule, view, conditions_format(rule.conditions))
                for rule, view in zip(rules, selectors.rule_set_views(rule_set), strict=True)
            ],
            "check": selectors.rule_set_check(rule_set),
            "form": form,
            "can_edit": can_edit,
            "can_activate": selectors.routing_can_edit(request.user) and rule_set.status != "active",
        },
    )


@require_POST
@routing_access(edit=True)
def rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule.objects.select_related("rule_set"), pk=rule_id)
    try:
        services.rule_remove(rule=rule, actor=signed_in_user(request))
        messages.success(request, f"Rule '{rule.name}' removed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("routing:rule_set", version=rule.rule_set.version)


@require_POST
@routing_access(edit=True)
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule.objects.select_related("rule_set"), pk=rule_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.rule_move(rule=rule, actor=signed_in_user(request), offset=offset)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("routing:rule_set", version=rule.rule_set.version)


@require_POST
@routing_access(edit=True)
def rule_set_activate(request: HttpRequest, version: int) -> HttpResponse:
    rule_set = _rule_set_or_404(version)
    try:
        services.rule_set_activate(rule_set=rule_set, actor=signed_in_user(request))
        messages.success(request, f"Version {version} is now active: new leads are routed by it.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("routing:rule_set", version=version)


@require_GET
@routing_access()
def dry_run(request: HttpRequest, version: int) -> HttpResponse:
    rule_set = _rule_set_or_404(version)
    context = {
        "rule_set": rule_set,
        "rows": services.routing_dry_run(rule_set, limit=100, user=signed_in_user(request)),
    }
    template = "routing/_dry_run.html" if getattr(request, "htmx", False) else "routing/dry_run.html"
    return render(request, template, context)


@login_required
@require_POST
def lead_reassign_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Reassign from the lead page through ``lead_reassign`` (which checks "may reassign": 404 unseen,
    403 seen but not theirs to reassign); back to the lead page with what happened."""
    user = signed_in_user(request)
    lead = access_lead_by_id(user, lead_id, action="reassign")
    raw = request.POST.get("to", "")
    to_user = lead_page.reassign_candidates(user).filter(pk=int(raw)).first() if raw.isdigit() else None
    if to_user is None:
        messages.error(request, "Choose a rep you may hand this lead to.")
    else:
        try:
            services.lead_reassign(
                lead=lead, to_user=to_user, reason=request.POST.get("reason", ""), actor=user
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Reassigned to {to_user.get_full_name() or to_user.username}; they have been told."
            )
    return redirect(reverse("leads:detail", args=[lead_id]))
