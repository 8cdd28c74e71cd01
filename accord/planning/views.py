"""Planning pages. Each page reads through ``accord.planning.selectors`` and writes through
``accord.planning.services``, both asking ``accord.people.access`` who may see and act; a write refused by
the rules shows its sentence, a record one may not see is a 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.audit.exports import csv_response
from accord.core.calendar import fiscal_calendar, fiscal_quarter_current
from accord.core.calendar_feed import calendar_entries
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.people import access
from accord.people.access import signed_in_user
from accord.people.models import User
from accord.planning import figures, forms, services
from accord.planning import selectors as sel
from accord.planning.models import Goal, MeetingKind, Side, VersionKind

PAGE_SIZE = 50


def _reader(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not access.may_read_planning(user):
        raise PermissionDenied("Your account has no role: ask an admin for one to read the plans.")
    return user


def _found(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except NotFound:
        raise Http404("Not found.") from None


def _run(request: HttpRequest, call: Callable[[], Any], success: str) -> bool:
    """Run a write; a refusal by role is a 403 page, a broken rule a message on the page it came from."""
    try:
        call()
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    except NotFound:
        raise Http404("Not found.") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    """First and last day of fiscal year ``year`` (named by the calendar year in which it ends)."""
    month = fiscal_calendar().start_month
    if month == 1:
        return date(year, 1, 1), date(year, 12, 31)
    return date(year - 1, month, 1), date(year, month, 1) - timedelta(days=1)


def _quarter_or(form: forms.PeriodForm) -> tuple[date, date]:
    quarter = fiscal_quarter_current()
    data = form.cleaned_data if form.is_valid() else {}
    start, end = data.get("start") or quarter.first, data.get("end") or quarter.last
    return (start, end) if end >= start else (end, start)


# --- home and goals ------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    plans = sel.plans_visible_to(user).order_by("-fiscal_year", "name", "id")[:PAGE_SIZE]
    return render(
        request,
        "planning/home.html",
        {
            "plans": plans,
            "can_edit": access.may_edit_plans(user),
            "waiting": sel.disagreements_waiting_on(user)[:20],
        },
    )


@login_required
def goals_page(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = forms.GoalForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data

            def create() -> None:
                services.goal_create(
                    actor=user,
                    side=data["side"],
                    title=data["title"],
                    metric=data["metric"] or None,
                    unit=data["unit"],
                    target=data["target"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    owner=data["owner"],
                    team=data["team"],
                    serves=list(data["serves"] or []),
                )

            if _run(request, create, "Goal set."):
                return redirect("planning:goals")
        else:
            messages.error(request, "Check the goal's fields.")
    period = forms.PeriodForm(request.GET or None)
    start, end = _quarter_or(period)
    goals = list(sel.goal_list(user=user, start=start, end=end)[:200])
    sales = [g for g in goals if g.side == Side.SALES]
    marketing = [g for g in goals if g.side == Side.MARKETING]
    rows = []
    for goal in sales:
        rows.append(
            {
                "sales": goal,
                "sales_progress": figures.goal_progress(goal),
                "marketing": [(m, figures.goal_progress(m)) for m in marketing if goal in m.serves.all()],
            }
        )
    unlinked = [(m, figures.goal_progress(m)) for m in marketing if not m.serves.all()]
    return render(
        request,
        "planning/goals.html",
        {
            "rows": rows,
            "unlinked": unlinked,
            "form": form,
            "period": period,
            "start": start,
            "end": end,
            "can_set": access.may_set_goal(user, Side.SALES) or access.may_set_goal(user, Side.MARKETING),
        },
    )


@login_required
@require_POST
def goal_progress_page(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _reader(request)
    goal: Goal = _found(lambda: sel.goal_get(user=user, goal_id=goal_id))
    form = forms.GoalProgressForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Progress must be a number, zero or more.")
    else:
        _run(
            request,
            lambda: services.goal_progress_report(goal=goal, actor=user, value=form.cleaned_data["value"]),
            "Progress recorded.",
        )
    return redirect("planning:goals")


# --- plans ---------------------------------------------------------------------------------------------


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    if not access.may_edit_plans(user):
        raise PermissionDenied("Only marketing and admins create plans.")
    form = forms.PlanForm(request.POST or None, initial={"fiscal_year": timezone.localdate().year + 1})
    if request.method == "POST" and form.is_valid():
        created: dict[str, Any] = {}

        def create() -> None:
            created["plan"] = services.plan_create(actor=user, **form.cleaned_data)

        if _run(request, create, "Plan created: add the pre-plan's and the plan's items."):
            return redirect("planning:plan", created["plan"].pk)
    return render(request, "planning/plan_new.html", {"form": form})


@login_required
def plan_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _reader(request)
    plan = _found(lambda: sel.plan_get(user=user, plan_id=plan_id))
    start, end = fiscal_year_bounds(plan.fiscal_year)
    quarter = fiscal_quarter_current()
    period = forms.PeriodForm(request.GET or None)
    if period.is_valid() and period.cleaned_data.get("start"):
        start, end = _quarter_or(period)
    elif plan.goals.exists():
        bounds = plan.goals.order_by("period_start").values_list("period_start", flat=True)
        start = bounds.first() or start
        end = plan.goals.order_by("-period_end").values_list("period_end", flat=True).first() or end
    show_revenue = access.may_read_planning_revenue(user)
    promises = plan.promises.all()
    context = {
        "plan": plan,
        "pre_plan": sel.version_items(plan, VersionKind.PRE_PLAN),
        "items": sel.version_items(plan, VersionKind.PLAN),
        "blockers": sel.publish_blockers(plan),
        "previews": plan.previews.select_related("team", "done_by"),
        "disagreements": plan.disagreements.select_related("item", "assignee", "raised_by")[:50],
        "goals": [(g, figures.goal_progress(g)) for g in plan.goals.select_related("owner")],
        "can_edit": access.may_edit_plans(user) and plan.status == "draft",
        "item_form": forms.ItemForm(),
        "previews_form": forms.PreviewsForm(),
        "start": start,
        "end": end,
        "quarter": quarter,
        "show_revenue": show_revenue,
        "roi": figures.roi(start, end, plan.attribution_model, plan) if show_revenue else None,
        "ltv": figures.lifetime_value(end) if show_revenue else None,
        "promise_scores": figures.promises_kept_per_quarter(promises),
        "currency": figures.CURRENCY,
        "period": period,
    }
    return render(request, "planning/plan.html", context)


@login_required
@require_POST
def plan_item_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _reader(request)
    plan = _found(lambda: sel.plan_get(user=user, plan_id=plan_id))
    form = forms.ItemForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Check the item: "
            + "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
        )
        return redirect("planning:plan", plan.pk)
    data = form.cleaned_data
    spec = services.ItemSpec(
        kind=data["kind"],
        title=data["title"],
        key=data["key"],
        amount=data["amount"],
        involves_sales=data["involves_sales"],
        benefit_for_sales=data["benefit_for_sales"],
        campaign_ids=tuple(c.pk for c in data["campaigns"]),
    )
    _run(
        request,
        lambda: services.plan_item_add(plan=plan, actor=user, kind=data["version"], spec=spec),
        "Item added.",
    )
    return redirect("planning:plan", plan.pk)


@login_required
@require_POST
def previews_send(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _reader(request)
    plan = _found(lambda: sel.plan_get(user=user, plan_id=plan_id))
    form = forms.PreviewsForm(request.POST)
    teams = list(form.cleaned_data["teams"]) if form.is_valid() else []
    _run(
        request,
        lambda: services.previews_send(plan=plan, actor=user, teams=teams),
        "Plan submitted to the sales teams.",
    )
    return redirect("planning:plan", plan.pk)


@login_required
@require_POST
def plan_publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _reader(request)
    plan = _found(lambda: sel.plan_get(user=user, plan_id=plan_id))
    _run(request, lambda: services.plan_publish(plan=plan, actor=user), "Plan published.")
    return redirect("planning:plan", plan.pk)


@login_required
def plan_diff(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _reader(request)
    plan = _found(lambda: sel.plan_get(user=user, plan_id=plan_id))
    before = {i.key: i for i in sel.version_items(plan, VersionKind.PRE_PLAN)}
    after = {i.key: i for i in sel.version_items(plan, VersionKind.PLAN)}
    changes = {c.key: c for c in plan.drastic_changes.select_related("explained_by", "acknowledged_by")}
    rows = []
    for key in sorted(set(before) | set(after), key=lambda k: ((after.get(k) or before[k]).kind, k)):
        old, new = before.get(key), after.get(key)
        state = (
            "added"
            if old is None
            else "dropped"
            if new is None
            else "changed"
            if (old.amount != new.amount or old.title != new.title)
            else "same"
        )
        rows.append({"key": key, "old": old, "new": new, "state": state, "change": changes.get(key)})
    return render(
        request,
        "planning/diff.html",
        {
            "plan": plan,
            "rows": rows,
            "changes": list(changes.values()),
            "can_explain": access.may_edit_plans(user) and plan.status == "draft",
            "can_acknowledge": access.may_acknowledge_plan_changes(user) and plan.status == "draft",
        },
    )


@login_required
@require_POST
def change_explain(request: HttpRequest, change_id: int) -> HttpResponse:
    user = _reader(request)
    change = _found(lambda: sel.drastic_change_get(user=user, change_id=change_id))
    text = request.POST.get("text", "")
    _run(
        request,
        lambda: services.drastic_change_explain(change=change, actor=user, explanation=text),
        "Explanation saved; sales is asked to acknowledge it.",
    )
    return redirect("planning:diff", change.plan_id)


@login_required
@require_POST
def change_acknowledge(request: HttpRequest, change_id: int) -> HttpResponse:
    user = _reader(request)
    change = _found(lambda: sel.drastic_change_get(user=user, change_id=change_id))
    _run(
        request,
        lambda: services.drastic_change_acknowledge(change=change, actor=user),
        "Explanation acknowledged.",
    )
    return redirect("planning:diff", change.plan_id)


# --- previews and disagreements ------------------------------------------------------------------------


@login_required
def preview_page(request: HttpRequest, preview_id: int) -> HttpResponse:
    user = _reader(request)
    preview = _found(lambda: sel.preview_get(user=user, preview_id=preview_id))
    items = sel.version_items(preview.plan, VersionKind.PLAN)
    comments = preview.comments.select_related("author")
    by_item: dict[int, list[Any]] = {}
    for comment in comments:
        by_item.setdefault(comment.item_id, []).append(comment)
    open_by_item: dict[int, list[Any]] = {}
    for d in preview.plan.disagreements.select_related("assignee", "raised_by"):
        open_by_item.setdefault(d.item_id, []).append(d)
    rows = [
        {"item": i, "comments": by_item.get(i.pk, []), "disagreements": open_by_item.get(i.pk, [])}
        for i in items
    ]
    return render(
        request,
        "planning/preview.html",
        {
            "preview": preview,
            "plan": preview.plan,
            "rows": rows,
            "can_comment": access.may_act(user, preview, "comment") and preview.plan.status == "draft",
            "can_mark_done": access.may_act(user, preview, "done") and preview.done_at is None,
        },
    )


@login_required
@require_POST
def preview_comment(request: HttpRequest, preview_id: int) -> HttpResponse:
    user = _reader(request)
    preview = _found(lambda: sel.preview_get(user=user, preview_id=preview_id))
    item = _found(lambda: sel.plan_item_get(user=user, item_id=int(request.POST.get("item") or 0)))
    _run(
        request,
        lambda: services.item_comment_add(
            preview=preview, item=item, actor=user, body=request.POST.get("body", "")
        ),
        "Comment added.",
    )
    return redirect("planning:preview", preview.pk)


@login_required
@require_POST
def preview_disagree(request: HttpRequest, preview_id: int) -> HttpResponse:
    user = _reader(request)
    preview = _found(lambda: sel.preview_get(user=user, preview_id=preview_id))
    item = _found(lambda: sel.plan_item_get(user=user, item_id=int(request.POST.get("item") or 0)))
    _run(
        request,
        lambda: services.disagreement_raise(
            item=item, actor=user, body=request.POST.get("body", ""), preview=preview
        ),
        "Disagreement raised: it goes up the chain of command until someone decides.",
    )
    return redirect("planning:preview", preview.pk)


@login_required
@require_POST
def preview_done(request: HttpRequest, preview_id: int) -> HttpResponse:
    user = _reader(request)
    preview = _found(lambda: sel.preview_get(user=user, preview_id=preview_id))
    _run(request, lambda: services.preview_mark_done(preview=preview, actor=user), "Preview marked done.")
    return redirect("planning:preview", preview.pk)


@login_required
def disagreement_page(request: HttpRequest, disagreement_id: int) -> HttpResponse:
    user = _reader(request)
    d = _found(lambda: sel.disagreement_get(user=user, disagreement_id=disagreement_id))
    return render(
        request,
        "planning/disagreement.html",
        {
            "d": d,
            "steps": d.steps.select_related("actor", "assignee"),
            "can_resolve": d.status == "open" and access.may_act(user, d, "resolve"),
        },
    )


@login_required
@require_POST
def disagreement_resolve(request: HttpRequest, disagreement_id: int) -> HttpResponse:
    user = _reader(request)
    d = _found(lambda: sel.disagreement_get(user=user, disagreement_id=disagreement_id))
    _run(
        request,
        lambda: services.disagreement_resolve(
            disagreement=d, actor=user, resolution=request.POST.get("text", "")
        ),
        "Disagreement resolved.",
    )
    return redirect("planning:disagreement", d.pk)


# --- meetings and promises -----------------------------------------------------------------------------


@login_required
def meetings_page(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    page = Paginator(sel.meetings_visible_to(user).order_by("-starts_at", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "planning/meetings.html", {"page": page, "can_call": access.may_call_meetings(user)}
    )


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    if not access.may_call_meetings(user):
        raise PermissionDenied("Only marketing, sales managers, the heads and admins call planning meetings.")
    form = forms.MeetingForm(
        request.POST or None, initial={"kind": request.GET.get("kind", MeetingKind.PRE_PLANNING)}
    )
    if request.method == "POST" and form.is_valid():
        data, created = form.cleaned_data, {}
        plan = data["plan"]
        items = (
            [i for i in sel.version_items(plan, VersionKind.PLAN) if i.involves_sales]
            if plan and data["team"]
            else []
        )

        def create() -> None:
            created["m"] = services.meeting_create(
                actor=user,
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                plan=plan,
                team=data["team"],
                attendees=list(data["attendees"]),
                items=items,
            )

        if _run(request, create, "Meeting created with its agenda."):
            return redirect("planning:meeting", created["m"].pk)
    return render(request, "planning/meeting_new.html", {"form": form})


@login_required
def meeting_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = _reader(request)
    meeting = _found(lambda: sel.meeting_get(user=user, meeting_id=meeting_id))
    return render(
        request,
        "planning/meeting.html",
        {
            "meeting": meeting,
            "attendance": meeting.attendance.select_related("user"),
            "decisions": meeting.decisions.all(),
            "actions": meeting.action_items.select_related("owner"),
            "promises": meeting.promises.select_related("owner"),
            "items": meeting.items.all(),
            "can_run": access.may_act(user, meeting, "run"),
            "action_form": forms.ActionForm(),
            "promise_form": forms.PromiseForm(),
            "user": user,
        },
    )


@login_required
@require_POST
def meeting_record(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """One form per part of the record: attendance, a decision, an action item or a promise."""
    user = _reader(request)
    meeting = _found(lambda: sel.meeting_get(user=user, meeting_id=meeting_id))
    what = request.POST.get("what", "")
    if what == "attendance":
        ids = [int(v) for v in request.POST.getlist("present") if v.isdigit()]
        present = list(User.objects.filter(pk__in=ids))
        _run(
            request,
            lambda: services.attendance_record(meeting=meeting, actor=user, present=present),
            "Attendance saved.",
        )
    elif what == "decision":
        _run(
            request,
            lambda: services.decision_add(meeting=meeting, actor=user, text=request.POST.get("text", "")),
            "Decision recorded.",
        )
    elif what == "action":
        form = forms.ActionForm(request.POST)
        data = form.cleaned_data if form.is_valid() else {}
        _run(
            request,
            lambda: services.action_item_add(
                meeting=meeting,
                actor=user,
                title=data.get("title", ""),
                owner=data.get("owner"),
                due_on=data.get("due_on"),
            ),
            "Action item added.",
        )
    elif what == "promise":
        promise_form = forms.PromiseForm(request.POST)
        data = promise_form.cleaned_data if promise_form.is_valid() else {}
        _run(
            request,
            lambda: services.promise_make(
                actor=user,
                title=data.get("title", ""),
                owner=data.get("owner"),
                due_on=data.get("due_on"),
                made_in=data.get("made_in", "meeting"),
                meeting=meeting,
                team=data.get("team"),
            ),
            "Promise recorded.",
        )
    else:
        messages.error(request, "Choose what to record: attendance, a decision, an action item or a promise.")
    return redirect("planning:meeting", meeting.pk)


@login_required
@require_POST
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    user = _reader(request)
    action = _found(lambda: sel.action_item_get(user=user, action_id=action_id))
    _run(request, lambda: services.action_item_done(action=action, actor=user), "Action item done.")
    return redirect("planning:meeting", action.meeting_id)


@login_required
def promises_page(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = forms.PromiseForm(request.POST or None)
    if request.method == "POST":
        data = form.cleaned_data if form.is_valid() else {}
        if _run(
            request,
            lambda: services.promise_make(
                actor=user,
                title=data.get("title", ""),
                owner=data.get("owner"),
                due_on=data.get("due_on"),
                made_in=data.get("made_in", "other"),
                team=data.get("team"),
            ),
            "Promise recorded.",
        ):
            return redirect("planning:promises")
    promises = sel.promises_visible_to(user)
    page = Paginator(promises.order_by("kept_at", "due_on", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "planning/promises.html",
        {
            "page": page,
            "form": form,
            "can_make": access.may_edit_plans(user),
            "scores": figures.promises_kept_per_quarter(promises),
            "today": timezone.localdate(),
            "user": user,
        },
    )


@login_required
@require_POST
def promise_keep(request: HttpRequest, promise_id: int) -> HttpResponse:
    user = _reader(request)
    promise = _found(lambda: sel.promise_get(user=user, promise_id=promise_id))
    _run(request, lambda: services.promise_keep(promise=promise, actor=user), "Promise marked kept.")
    return redirect("planning:promises")


# --- prospect profiles ---------------------------------------------------------------------------------


@login_required
def profiles_page(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = forms.ProfileForm(request.POST or None)
    if request.method == "POST":
        created: dict[str, Any] = {}
        if form.is_valid():

            def create() -> None:
                created["p"] = services.profile_create(actor=user, **form.cleaned_data)

            if _run(request, create, "Prospect profile saved."):
                return redirect("planning:profile", created["p"].pk)
        else:
            messages.error(request, "Check the profile's fields.")
    return render(
        request,
        "planning/profiles.html",
        {
            "profiles": sel.profiles_visible_to(user)[:100],
            "form": form,
            "can_edit": access.may_edit_plans(user),
        },
    )


@login_required
def profile_page(request: HttpRequest, profile_id: int) -> HttpResponse:
    user = _reader(request)
    profile = _found(lambda: sel.profile_get(user=user, profile_id=profile_id))
    return render(
        request, "planning/profile.html", {"profile": profile, "match": figures.profile_match(profile)}
    )


# --- calendar, statement, shareable export -------------------------------------------------------------


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=7), time.min))
    end = start + timedelta(days=120)
    return render(
        request,
        "planning/calendar.html",
        {"entries": calendar_entries(user, start, end)[:300], "start": start, "end": end},
    )


def _statement_for(request: HttpRequest) -> tuple[figures.Statement, forms.PeriodForm]:
    user = _reader(request)
    form = forms.PeriodForm(request.GET or None)
    person = (form.cleaned_data.get("person") if form.is_valid() else None) or user
    if not access.may_read_statement_of(user, person):
        raise PermissionDenied("You read your own statement and those of the people you manage.")
    start, end = _quarter_or(form)
    return figures.performance_statement(person, start, end), form


@login_required
def statement_page(request: HttpRequest) -> HttpResponse:
    statement, form = _statement_for(request)
    return render(
        request, "planning/statement.html", {"s": statement, "form": form, "query": request.GET.urlencode()}
    )


@login_required
def statement_csv(request: HttpRequest) -> HttpResponseBase:
    statement, _ = _statement_for(request)
    site = request.build_absolute_uri("/").rstrip("/")
    rows: list[list[Any]] = []
    for figure in statement.figures:
        base = [
            statement.person.username,
            statement.start,
            statement.end,
            figure.label,
            figure.value,
            "internal" if figure.internal else "",
        ]
        if not figure.records:
            rows.append([*base, "", ""])
        rows.extend([*base, record.label, site + record.url] for record in figure.records)
    filename = f"statement-{statement.person.username}-{statement.start}-{statement.end}.csv"
    header = ["person", "from", "to", "figure", "value", "internal", "record", "link"]
    return csv_response(
        filename,
        header,
        rows,
        user=_reader(request),
        what="joint performance statement",
        filters={"person": statement.person.pk, "start": str(statement.start), "end": str(statement.end)},
    )


@login_required
def shareable_csv(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    user = _reader(request)
    plan = _found(lambda: sel.plan_get(user=user, plan_id=plan_id))
    quarter = fiscal_quarter_current()
    form = forms.PeriodForm(request.GET or None)
    start, end = (
        _quarter_or(form)
        if form.is_valid() and form.cleaned_data.get("start")
        else (quarter.first, quarter.last)
    )
    rows: list[list[Any]] = [[label, value] for label, value in figures.shareable_results(plan, start, end)]
    rows.append(["Note", "Activity measures only: revenue results are reported by sales."])
    return csv_response(
        f"plan-{plan.pk}-results.csv",
        ["measure", "value"],
        rows,
        user=user,
        what="shareable plan results",
        filters={"plan": plan.pk},
    )


urlpatterns = [
    path("planning/", home, name="home"),
    path("planning/goals/", goals_page, name="goals"),
    path("planning/goals/<int:goal_id>/progress/", goal_progress_page, name="goal_progress"),
    path("planning/plans/new/", plan_new, name="plan_new"),
    path("planning/plans/<int:plan_id>/", plan_page, name="plan"),
    path("planning/plans/<int:plan_id>/items/", plan_item_add, name="item_add"),
    path("planning/plans/<int:plan_id>/previews/", previews_send, name="previews_send"),
    path("planning/plans/<int:plan_id>/publish/", plan_publish, name="publish"),
    path("planning/plans/<int:plan_id>/diff/", plan_diff, name="diff"),
    path("planning/plans/<int:plan_id>/shareable.csv", shareable_csv, name="shareable_csv"),
    path("planning/changes/<int:change_id>/explain/", change_explain, name="change_explain"),
    path("planning/changes/<int:change_id>/acknowledge/", change_acknowledge, name="change_acknowledge"),
    path("planning/previews/<int:preview_id>/", preview_page, name="preview"),
    path("planning/previews/<int:preview_id>/comment/", preview_comment, name="preview_comment"),
    path("planning/previews/<int:preview_id>/disagree/", preview_disagree, name="preview_disagree"),
    path("planning/previews/<int:preview_id>/done/", preview_done, name="preview_done"),
    path("planning/disagreements/<int:disagreement_id>/", disagreement_page, name="disagreement"),
    path("planning/disagreements/<int:disagreement_id>/resolve/", disagreement_resolve, name="resolve"),
    path("planning/meetings/", meetings_page, name="meetings"),
    path("planning/meetings/new/", meeting_new, name="meeting_new"),
    path("planning/meetings/<int:meeting_id>/", meeting_page, name="meeting"),
    path("planning/meetings/<int:meeting_id>/record/", meeting_record, name="meeting_record"),
    path("planning/actions/<int:action_id>/done/", action_done, name="action_done"),
    path("planning/promises/", promises_page, name="promises"),
    path("planning/promises/<int:promise_id>/keep/", promise_keep, name="promise_keep"),
    path("planning/profiles/", profiles_page, name="profiles"),
    path("planning/profiles/<int:profile_id>/", profile_page, name="profile"),
    path("planning/calendar/", calendar_page, name="calendar"),
    path("planning/statement/", statement_page, name="statement"),
    path("planning/statement.csv", statement_csv, name="statement_csv"),
]
