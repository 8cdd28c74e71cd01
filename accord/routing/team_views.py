"""Pages to work the queues (claim, assign, reassign; one lead or many) and to set up teams without
Django's admin: hours and working days, holidays, members' capacity and absences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import ApplicationError
from accord.people import access
from accord.people.access import signed_in_user
from accord.people.models import Absence, Team, User
from accord.people.services import (
    absence_create,
    absence_delete,
    team_holiday_add,
    team_holiday_remove,
    team_save,
)
from accord.routing import queues
from accord.routing.team_forms import AssignForm, CapacityForm, HolidayForm, MemberAbsenceForm, TeamForm


def _safe_next(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return default


def _require_queue_worker(request: HttpRequest) -> Any:
    user = signed_in_user(request)
    if not queues.queues_can_work(user):
        raise PermissionDenied("The queues are worked by sales managers, the sales head and admins.")
    return user


@require_GET
@login_required
def queue_page(request: HttpRequest) -> HttpResponse:
    user = _require_queue_worker(request)
    queue_id = request.GET.get("queue")
    queue_id_value = int(queue_id) if queue_id and queue_id.isdigit() else None
    page = request.GET.get("page", "1")
    number = max(int(page), 1) if page.isdigit() else 1
    rows, more = queues.queue_entries_for(
        user=user, queue_id=queue_id_value, offset=(number - 1) * queues.PAGE_SIZE
    )
    return render(
        request,
        "routing/queues.html",
        {
            "queues": queues.queues_for(user=user),
            "queue_id": queue_id_value,
            "rows": rows,
            "page": number,
            "more": more,
            "assignees": list(queues.assignees_for(user)),
            "me": user,
        },
    )


@require_POST
@login_required
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Claim (``to`` is yourself) or assign the ticked leads; back to where the form was."""
    user = _require_queue_worker(request)
    back = _safe_next(request, "/queues/")
    ids = [value for value in request.POST.getlist("leads") if value.isdigit()]
    data = request.POST.copy()
    if data.get("give"):  # the "Assign" button gives the leads to the person chosen beside it
        data["to"] = data.get("to_choice", "")
    form = AssignForm(data, assignees=list(queues.assignees_for(user)), lead_ids=[int(i) for i in ids])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    to_user = User.objects.get(pk=form.cleaned_data["to"])
    try:
        result = queues.leads_assign(
            actor=user,
            lead_ids=form.cleaned_data["leads"],
            to_user=to_user,
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if result.assigned:
        names = ", ".join(str(lead) for lead in result.assigned[:5])
        more = f" and {len(result.assigned) - 5} more" if len(result.assigned) > 5 else ""
        verb = "You took" if to_user.pk == user.pk else f"{to_user} now has"
        messages.success(request, f"{verb} {names}{more}.")
    for _lead_id, why in result.refused:
        messages.error(request, why)
    return redirect(back)


# --- teams ------------------------------------------------------------------------------------------


@require_GET
@login_required
def teams_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    teams = access.teams_actionable_by(user).select_related("manager").order_by("name")
    if not teams.exists() and not user.has_role(*access.TEAM_ADMIN_ROLES):
        raise PermissionDenied("Team settings are for the teams' managers, the sales head and admins.")
    return render(
        request,
        "routing/teams.html",
        {"teams": teams, "can_create": user.has_role(*access.TEAM_ADMIN_ROLES)},
    )


def _team_form_initial(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "kind": team.kind,
        "segment": team.segment,
        "manager": team.manager_id,
        "time_zone": team.time_zone,
        "work_start": team.work_start,
        "work_end": team.work_end,
        "workdays": list(team.workdays),
    }


def _team_save_from(form: TeamForm, user: User, team: Team | None) -> Team | None:
    data = form.cleaned_data
    try:
        return team_save(
            actor=user,
            team=team,
            name=data["name"],
            kind=data["kind"],
            segment=data["segment"],
            manager=data.get("manager", team.manager if team else None),
            time_zone=data["time_zone"].strip(),
            work_start=data["work_start"],
            work_end=data["work_end"],
            workdays="".join(data["workdays"]),
        )
    except ApplicationError as exc:
        field = next(iter(exc.detail), None) if exc.detail else None
        form.add_error(field if field in form.fields else None, exc.message)
        return None


@require_http_methods(["GET", "POST"])
@login_required
def team_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not user.has_role(*access.TEAM_ADMIN_ROLES):
        raise PermissionDenied("Only the sales head and admins create teams.")
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = _team_save_from(form, user, None)
        if team is not None:
            messages.success(request, f"Team {team} created.")
            return redirect("routing:team", team_id=team.pk)
    return render(request, "routing/team_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def team_page(request: HttpRequest, team_id: int) -> HttpResponse:
    user = signed_in_user(request)
    team = access.access_team_by_id(user, team_id)
    can_choose_manager = user.has_role(*access.TEAM_ADMIN_ROLES)
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        initial=_team_form_initial(team),
        can_choose_manager=can_choose_manager,
    )
    if request.method == "POST" and form.is_valid():
        saved = _team_save_from(form, user, team)
        if saved is not None:
            messages.success(request, f"{saved} saved.")
            return redirect("routing:team", team_id=team.pk)
    return _team_render(request, user, team, form=form)


def _team_render(request: HttpRequest, user: User, team: Team, **forms: Any) -> HttpResponse:
    members = queues.team_members_with_capacity(team)
    member_ids = [m.pk for m, _ in members]
    return render(
        request,
        "routing/team.html",
        {
            "team": team,
            "form": forms.get("form") or TeamForm(initial=_team_form_initial(team)),
            "members": [
                (
                    member,
                    capacity,
                    CapacityForm(
                        initial={
                            "daily_limit": capacity.daily_limit if capacity else None,
                            "weekly_limit": capacity.weekly_limit if capacity else None,
                            "weight": capacity.weight if capacity else 1,
                            "accepts_leads": capacity.accepts_leads if capacity else True,
                        },
                        prefix=f"m{member.pk}",
                    ),
                )
                for member, capacity in members
            ],
            "holidays": team.holidays.order_by("day"),
            "holiday_form": forms.get("holiday_form") or HolidayForm(),
            "absences": Absence.objects.filter(user_id__in=member_ids)
            .select_related("user")
            .order_by("start")[:100],
            "absence_form": forms.get("absence_form") or MemberAbsenceForm(people=[m for m, _ in members]),
        },
    )


@require_POST
@login_required
def team_capacity(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    user = signed_in_user(request)
    team = access.access_team_by_id(user, team_id)
    rep = User.objects.filter(pk=user_id, team=team).first()
    if rep is None:
        messages.error(request, "That person is not in this team.")
        return redirect("routing:team", team_id=team.pk)
    form = CapacityForm(request.POST, prefix=f"m{rep.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            queues.rep_capacity_set(
                actor=user,
                rep=rep,
                daily_limit=data["daily_limit"],
                weekly_limit=data["weekly_limit"],
                weight=data["weight"],
                accepts_leads=data["accepts_leads"],
            )
            messages.success(request, f"Capacity of {rep} saved.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(
                request, f"{rep}: {label + ': ' if label else ''}{' '.join(str(e) for e in errors)}"
            )
    return redirect("routing:team", team_id=team.pk)


@require_POST
@login_required
def team_holiday_new(request: HttpRequest, team_id: int) -> HttpResponse:
    user = signed_in_user(request)
    team = access.access_team_by_id(user, team_id)
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = team_holiday_add(
                actor=user, team=team, day=form.cleaned_data["day"], name=form.cleaned_data["name"]
            )
            messages.success(request, f"{holiday.day:%d %b %Y} is now a holiday of {team}.")
            return redirect("routing:team", team_id=team.pk)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return _team_render(request, user, team, holiday_form=form)


@require_POST
@login_required
def team_holiday_delete(request: HttpRequest, team_id: int, holiday_id: int) -> HttpResponse:
    user = signed_in_user(request)
    team = access.access_team_by_id(user, team_id)
    try:
        team_holiday_remove(actor=user, holiday_id=holiday_id)
        messages.success(request, "Holiday removed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("routing:team", team_id=team.pk)


@require_POST
@login_required
def team_absence_new(request: HttpRequest, team_id: int) -> HttpResponse:
    user = signed_in_user(request)
    team = access.access_team_by_id(user, team_id)
    members = [m for m, _ in queues.team_members_with_capacity(team)]
    form = MemberAbsenceForm(request.POST, people=members)
    if form.is_valid():
        person = next(m for m in members if m.pk == form.cleaned_data["person"])
        try:
            absence_create(
                actor=user,
                person=person,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"{person} is marked away; routing passes them over then.")
            return redirect("routing:team", team_id=team.pk)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return _team_render(request, user, team, absence_form=form)


@require_POST
@login_required
def team_absence_delete(request: HttpRequest, team_id: int, absence_id: int) -> HttpResponse:
    user = signed_in_user(request)
    team = access.access_team_by_id(user, team_id)
    try:
        absence_delete(actor=user, absence_id=absence_id)
        messages.success(request, "Absence removed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("routing:team", team_id=team.pk)
