"""Pages for criteria: the list, one version, the draft editor, sign-off, the diff and the glossary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError, NotFound
from accord.people.access import signed_in_user
from accord.qualification import services
from accord.qualification.engine import rule_describe
from accord.qualification.forms import (
    CriteriaDraftForm,
    blank_row,
    editor_choices,
    rule_rows_from_post,
    rule_rows_from_rules,
)
from accord.qualification.impact import criteria_impact
from accord.qualification.models import CriteriaSet, CriteriaStatus, SignOffRole
from accord.qualification.selectors import (
    criteria_active,
    criteria_diff,
    criteria_get,
    criteria_list,
    criteria_previous,
    glossary_entries,
    rule_spec_of,
    user_can_edit_criteria,
    user_sign_off_roles,
)
from accord.qualification.wording import points_words, rule_in_words


def _get(criteria_id: int) -> CriteriaSet:
    try:
        return criteria_get(criteria_id=criteria_id)
    except NotFound:
        raise Http404("No such criteria version") from None


def _require_editor(request: HttpRequest) -> None:
    if not user_can_edit_criteria(signed_in_user(request)):
        raise DjangoPermissionDenied("Only marketing, the heads or an admin may edit criteria.")


@login_required
def criteria_list_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "qualification/list.html",
        {
            "versions": criteria_list(),
            "can_edit": user_can_edit_criteria(signed_in_user(request)),
            "active": criteria_active(),
        },
    )


@login_required
@require_POST
def criteria_new(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    based_on = None
    choice = request.POST.get("based_on", "")
    if choice == "blank":
        based_on = None
    elif choice:
        try:
            based_on = _get(int(choice))
        except ValueError:
            raise Http404("No such criteria version") from None
    else:
        # "New draft" starts from the rules in force: changing them is what a new version is for.
        based_on = criteria_active()
    try:
        draft = services.criteria_draft_create(user=signed_in_user(request), based_on=based_on)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("qualification:list")
    messages.success(request, f"Draft v{draft.version} started.")
    return redirect("qualification:edit", criteria_id=draft.pk)


@login_required
def criteria_detail_page(request: HttpRequest, criteria_id: int) -> HttpResponse:
    user = signed_in_user(request)
    criteria_set = _get(criteria_id)
    signed = {s.role: s for s in criteria_set.sign_offs.all()}
    held = user_sign_off_roles(user)
    already_signed = any(s.user_id == request.user.pk for s in signed.values())
    sign_off_slots = [
        {
            "role": role,
            "label": label,
            "dom_id": f"sign-off-{role.replace('_', '-')}",
            "sign_off": signed.get(role),
            "enabled": criteria_set.status == CriteriaStatus.DRAFT
            and role in held
            and role not in signed
            and not already_signed,
        }
        for role, label in SignOffRole.choices
    ]
    rules = []
    for rule in criteria_set.rules.all():
        spec = rule_spec_of(rule)
        rules.append(
            {
                "rule": rule,
                "text": rule_describe(spec),
                "words": rule_in_words(spec),
                "effect": points_words(spec),
            }
        )
    is_draft = criteria_set.status == CriteriaStatus.DRAFT
    return render(
        request,
        "qualification/detail.html",
        {
            "criteria": criteria_set,
            "rules": rules,
            "slots": sign_off_slots,
            "can_sign": any(s["enabled"] for s in sign_off_slots),
            "can_edit": user_can_edit_criteria(user) and criteria_set.status == CriteriaStatus.DRAFT,
            "can_draft": user_can_edit_criteria(user),
            "previous": criteria_previous(criteria_set),
            "is_draft": is_draft,
            "active": criteria_active() if is_draft else None,
            # Without JavaScript the preview is asked for with ?impact=1 and worked out here.
            "impact": criteria_impact(criteria_set=criteria_set, user=user)
            if is_draft and request.GET.get("impact")
            else None,
        },
    )


@login_required
def criteria_impact_partial(request: HttpRequest, criteria_id: int) -> HttpResponse:
    """The impact preview of a draft: how many open leads would change stage if it were signed now."""
    criteria_set = _get(criteria_id)
    if criteria_set.status != CriteriaStatus.DRAFT:
        return render(request, "qualification/_impact.html", {"criteria": criteria_set, "impact": None})
    impact = criteria_impact(criteria_set=criteria_set, user=signed_in_user(request))
    return render(request, "qualification/_impact.html", {"criteria": criteria_set, "impact": impact})


@login_required
def criteria_edit_page(request: HttpRequest, criteria_id: int) -> HttpResponse:
    _require_editor(request)
    criteria_set = _get(criteria_id)
    if criteria_set.status != CriteriaStatus.DRAFT:
        messages.error(
            request, f"Version {criteria_set.version} is {criteria_set.status}; start a new draft from it."
        )
        return redirect("qualification:detail", criteria_id=criteria_set.pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = CriteriaDraftForm(request.POST)
        rows, rules = rule_rows_from_post(request.POST)
        if request.POST.get("action") == "add-rule":
            rows.append(blank_row())
        elif form.is_valid():
            try:
                services.criteria_draft_update(
                    criteria_set=criteria_set,
                    user=signed_in_user(request),
                    name=form.cleaned_data["name"],
                    mql_threshold=form.cleaned_data["mql_threshold"],
                    notes=form.cleaned_data["notes"],
                    rules=rules,
                )
            except ApplicationError as exc:
                errors = {str(k): str(v) for k, v in exc.detail.items()}
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Draft v{criteria_set.version} saved.")
                return redirect("qualification:detail", criteria_id=criteria_set.pk)
    else:
        form = CriteriaDraftForm(
            initial={
                "name": criteria_set.name,
                "mql_threshold": criteria_set.mql_threshold,
                "notes": criteria_set.notes,
            }
        )
        rows = rule_rows_from_rules(criteria_set.rules.all()) or [blank_row()]
    row_errors = [
        [msg for key, msg in errors.items() if key.startswith(f"rules[{i}]")] for i in range(len(rows))
    ]
    return render(
        request,
        "qualification/edit.html",
        {
            "criteria": criteria_set,
            "form": form,
            "rows": list(zip(range(len(rows)), rows, row_errors, strict=True)),
            "total": len(rows),
            "choices": editor_choices(),
            "has_sign_offs": criteria_set.sign_offs.exists(),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def criteria_sign_off_page(request: HttpRequest, criteria_id: int) -> HttpResponse:
    criteria_set = _get(criteria_id)
    role = request.POST.get("role") or None
    user = signed_in_user(request)
    if not user_sign_off_roles(user) or (role and role not in user_sign_off_roles(user)):
        raise DjangoPermissionDenied("Only the marketing head or the sales head may sign off criteria.")
    try:
        services.criteria_sign_off(
            criteria_set=criteria_set,
            user=user,
            comment=request.POST.get("comment", ""),
            role=role,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        criteria_set.refresh_from_db()
        if criteria_set.status == CriteriaStatus.ACTIVE:
            messages.success(request, f"Signed off. Version {criteria_set.version} is now active.")
        else:
            messages.success(request, "Signed off. The other head's sign-off will activate this version.")
    return redirect("qualification:detail", criteria_id=criteria_set.pk)


@login_required
def criteria_diff_page(request: HttpRequest, criteria_id: int) -> HttpResponse:
    new = _get(criteria_id)
    against = request.GET.get("against")
    if against:
        try:
            old: CriteriaSet | None = _get(int(against))
        except ValueError:
            raise Http404("No such criteria version") from None
    else:
        old = criteria_previous(new)
    diff = criteria_diff(old, new) if old is not None else None
    return render(request, "qualification/diff.html", {"criteria": new, "old": old, "diff": diff})


@login_required
def glossary_page(request: HttpRequest) -> HttpResponse:
    return render(
        request, "qualification/glossary.html", {"entries": glossary_entries(), "active": criteria_active()}
    )
