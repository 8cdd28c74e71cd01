"""Planning's figures on the "how marketing and sales work together" panel (registered with
``accord.core.collaboration`` in ``PlanningConfig.ready``): plan previews commented, disagreements open
and the median days to resolve them, and promises kept on time. Each has a trace table whose rows link
to the planning pages of the records behind it.

Teams: a preview belongs to the sales team it was sent to; a disagreement counts for the team of the
person who raised it; a promise counts for its team, and a promise made to every team (no team) counts
for each team, which its note says.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone

from accord.core.collaboration import (
    CollaborationFigure,
    FigureValue,
    PanelScope,
    TraceTable,
    register_collaboration_figure,
)
from accord.planning.models import (
    Disagreement,
    DisagreementStatus,
    ItemComment,
    Preview,
    Promise,
)

TRACE_LIMIT = 200
DAY_SECONDS = 86400


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


# --- plan previews commented --------------------------------------------------------------------------


def _previews(scope: PanelScope) -> Any:
    rows = Preview.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.team_id is not None:
        rows = rows.filter(team_id=scope.team_id)
    return rows.annotate(
        commented=Exists(ItemComment.objects.filter(preview_id=OuterRef("pk"))),
    )


def previews_compute(scope: PanelScope) -> FigureValue:
    counts = _previews(scope).aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=Q(commented=True) | Q(done_at__isnull=False)),
        done=Count("pk", filter=Q(done_at__isnull=False)),
    )
    total, answered = counts["total"], counts["answered"]
    return FigureValue(
        answered / total if total else None,
        "percent",
        total,
        [("Commented or marked done", str(answered)), ("Marked done by the team lead", str(counts["done"]))],
    )


def previews_trace(scope: PanelScope) -> TraceTable:
    rows = (
        _previews(scope)
        .select_related("plan", "team")
        .annotate(comment_count=Count("comments"))
        .order_by("-created_at", "-id")[:TRACE_LIMIT]
    )
    return TraceTable(
        ["Sent", "Plan", "Team", "Comments", "Marked done"],
        (
            (
                [
                    _day(p.created_at),
                    p.plan.name,
                    p.team.name,
                    str(p.comment_count),
                    _day(p.done_at) if p.done_at else "No",
                ],
                reverse("planning:preview", args=[p.pk]),
            )
            for p in rows
        ),
    )


# --- disagreements ------------------------------------------------------------------------------------

DISAGREEMENT_NOTE = "Disagreements count for the team of the person who raised them."


def _open_at_end(scope: PanelScope) -> Any:
    rows = Disagreement.objects.filter(created_at__lt=scope.end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=scope.end)
    )
    if scope.team_id is not None:
        rows = rows.filter(raised_by__team_id=scope.team_id)
    return rows


def _resolved_in(scope: PanelScope) -> Any:
    rows = Disagreement.objects.filter(
        status=DisagreementStatus.RESOLVED, resolved_at__gte=scope.start, resolved_at__lt=scope.end
    )
    if scope.team_id is not None:
        rows = rows.filter(raised_by__team_id=scope.team_id)
    return rows


def _disagreement_trace(rows: Any, scope: PanelScope) -> TraceTable:
    rows = rows.select_related("item", "plan", "raised_by", "assignee").order_by("-created_at", "-id")
    return TraceTable(
        ["Raised", "Item", "Plan", "Raised by", "Waiting on", "Resolved"],
        (
            (
                [
                    _day(d.created_at),
                    d.item.title,
                    d.plan.name,
                    str(d.raised_by),
                    str(d.assignee or "—") if d.resolved_at is None or d.resolved_at >= scope.end else "—",
                    _day(d.resolved_at) if d.resolved_at else "Open",
                ],
                reverse("planning:disagreement", args=[d.pk]),
            )
            for d in rows[:TRACE_LIMIT]
        ),
    )


def disagreements_open_compute(scope: PanelScope) -> FigureValue:
    count = _open_at_end(scope).count()
    note = DISAGREEMENT_NOTE if scope.team_id is not None else ""
    return FigureValue(float(count), "count", count, note=note)


def disagreements_open_trace(scope: PanelScope) -> TraceTable:
    return _disagreement_trace(_open_at_end(scope), scope)


def resolve_days_compute(scope: PanelScope) -> FigureValue:
    spans = [
        (resolved - raised).total_seconds() / DAY_SECONDS
        for raised, resolved in _resolved_in(scope).values_list("created_at", "resolved_at").iterator()
    ]
    note = DISAGREEMENT_NOTE if scope.team_id is not None else ""
    details = [("Longest", f"{max(spans):.1f} days")] if spans else []
    return FigureValue(median(spans) if spans else None, "days", len(spans), details, note=note)


def resolve_days_trace(scope: PanelScope) -> TraceTable:
    return _disagreement_trace(_resolved_in(scope), scope)


# --- promises kept on time ----------------------------------------------------------------------------


def _promises_due(scope: PanelScope) -> Any:
    # The window's days in the company's time zone (the panel's bounds are midnights).
    first = timezone.localtime(scope.start).date()
    last = timezone.localtime(scope.end - timedelta(microseconds=1)).date()
    rows = Promise.objects.filter(due_on__gte=first, due_on__lte=last)
    if scope.team_id is not None:
        rows = rows.filter(Q(team_id=scope.team_id) | Q(team__isnull=True))
    return rows


def _kept_on_time(promise: Promise) -> bool:
    return promise.kept_at is not None and timezone.localtime(promise.kept_at).date() <= promise.due_on


def promises_compute(scope: PanelScope) -> FigureValue:
    rows = list(_promises_due(scope).only("due_on", "kept_at", "team_id"))
    kept = sum(1 for p in rows if _kept_on_time(p))
    late = sum(1 for p in rows if p.kept_at is not None and not _kept_on_time(p))
    note = (
        "Promises made to every sales team count for each team."
        if scope.team_id is not None and any(p.team_id is None for p in rows)
        else ""
    )
    return FigureValue(
        kept / len(rows) if rows else None,
        "percent",
        len(rows),
        [("Kept on time", str(kept)), ("Kept late", str(late)), ("Not kept", str(len(rows) - kept - late))],
        note=note,
    )


def promises_trace(scope: PanelScope) -> TraceTable:
    rows = _promises_due(scope).select_related("owner", "team").order_by("-due_on", "-id")[:TRACE_LIMIT]
    url = reverse("planning:promises")
    return TraceTable(
        ["Due", "Promise", "Owner", "Team", "Kept"],
        (
            (
                [
                    formats.date_format(p.due_on, "SHORT_DATE_FORMAT"),
                    p.title,
                    str(p.owner),
                    p.team.name if p.team else "Every team",
                    ("On time" if _kept_on_time(p) else f"Late ({_day(p.kept_at)})") if p.kept_at else "No",
                ],
                f"{url}#promise-{p.pk}",
            )
            for p in rows
        ),
    )


def register_planning_figures() -> None:
    register_collaboration_figure(
        CollaborationFigure(
            "plan_previews_commented",
            "Plan previews commented",
            previews_compute,
            previews_trace,
            order=40,
            explanation="Previews sent to sales teams in the quarter that got at least one comment or "
            "were marked done by the team lead.",
        )
    )
    register_collaboration_figure(
        CollaborationFigure(
            "disagreements_open",
            "Disagreements open",
            disagreements_open_compute,
            disagreements_open_trace,
            order=50,
            higher_is_better=False,
            explanation="Disagreements on plan items still open at the quarter's end.",
        )
    )
    register_collaboration_figure(
        CollaborationFigure(
            "disagreement_resolve_days",
            "Median days to resolve a disagreement",
            resolve_days_compute,
            resolve_days_trace,
            order=51,
            higher_is_better=False,
            explanation="From raised to resolved, for disagreements resolved in the quarter.",
        )
    )
    register_collaboration_figure(
        CollaborationFigure(
            "promises_kept",
            "Promises kept on time",
            promises_compute,
            promises_trace,
            order=60,
            explanation="Promises to sales due in the quarter that were marked kept by their due day.",
        )
    )
