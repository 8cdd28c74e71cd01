"""The collaboration panel: per fiscal quarter and team, the figures registered with
``accord.core.collaboration`` (this app's own below; planning and enablement add theirs), each with its
previous quarter and the records behind it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone

from accord.core.calendar import fiscal_calendar
from accord.core.collaboration import (
    CollaborationFigure,
    FigureValue,
    PanelScope,
    TraceTable,
    collaboration_figures,
    register_collaboration_figure,
)
from accord.core.models import Event
from accord.intelligence.models import (
    MARKETING_SCORE_KEY,
    MIN_ANONYMOUS_RESULTS,
    AnonymousSurveyResponse,
    PulseSurvey,
    ResearchAnswer,
    ResearchQuestion,
    SurveyResponse,
    SurveyStatus,
)
from accord.sla.models import RejectionReason, SlaClock, Touch

TRACE_LIMIT = 200


def quarter_scope(day: date, team_id: int | None) -> PanelScope:
    calendar = fiscal_calendar()
    first, last = calendar.quarter_bounds(day)
    return PanelScope(
        start=datetime.combine(first, time.min, UTC),
        end=datetime.combine(last + timedelta(days=1), time.min, UTC),
        team_id=team_id,
        label=calendar.label(day),
    )


def previous_scope(scope: PanelScope) -> PanelScope:
    return quarter_scope((scope.start - timedelta(days=1)).date(), scope.team_id)


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def _lead_url(lead_id: int) -> str:
    return reverse("leads:detail", args=[lead_id])


# --- acceptance of marketing leads -----------------------------------------------------------------


def _verdicts(scope: PanelScope) -> Any:
    rows = Event.objects.filter(
        type__in=["lead.accepted", "lead.rejected"], occurred_at__gte=scope.start, occurred_at__lt=scope.end
    )
    if scope.team_id is not None:
        rows = rows.filter(actor__team_id=scope.team_id)
    return rows


def acceptance_compute(scope: PanelScope) -> FigureValue:
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for type_, payload in _verdicts(scope).values_list("type", "payload").iterator():
        counts[type_] += 1
        if type_ == "lead.rejected":
            reasons[str((payload or {}).get("reason") or "other")] += 1
    total = counts["lead.accepted"] + counts["lead.rejected"]
    labels = dict(RejectionReason.choices)
    details = [(f"Rejected: {labels.get(r, r)}", str(n)) for r, n in reasons.most_common()]
    return FigureValue(counts["lead.accepted"] / total if total else None, "percent", total, details)


def acceptance_trace(scope: PanelScope) -> TraceTable:
    rows = _verdicts(scope).select_related("actor").order_by("-occurred_at")[:TRACE_LIMIT]
    return TraceTable(
        ["When", "Lead", "Verdict", "Reason", "By"],
        (
            (
                [
                    _when(e.occurred_at),
                    f"Lead {e.subject_id}",
                    "Accepted" if e.type == "lead.accepted" else "Rejected",
                    str((e.payload or {}).get("reason", "")),
                    str(e.actor or ""),
                ],
                _lead_url(e.subject_id),
            )
            for e in rows
        ),
    )


# --- SLA compliance ----------------------------------------------------------------------------------


def _clocks(scope: PanelScope) -> Any:
    rows = SlaClock.objects.filter(due_at__gte=scope.start, due_at__lt=scope.end).filter(
        Q(met_at__isnull=False) | Q(breached_at__isnull=False)
    )
    if scope.team_id is not None:
        rows = rows.filter(owner__team_id=scope.team_id)
    return rows


def sla_compute(scope: PanelScope) -> FigureValue:
    rows = _clocks(scope)
    total = rows.count()
    on_time = rows.filter(breached_at__isnull=True).count()
    return FigureValue(
        on_time / total if total else None, "percent", total, [("Missed", str(total - on_time))]
    )


def sla_trace(scope: PanelScope) -> TraceTable:
    rows = _clocks(scope).select_related("owner").order_by("-due_at")[:TRACE_LIMIT]
    return TraceTable(
        ["Due", "Lead", "Clock", "Owner", "Kept"],
        (
            (
                [
                    _when(c.due_at),
                    f"Lead {c.lead_id}",
                    c.get_kind_display(),
                    str(c.owner or ""),
                    "No" if c.breached_at else "Yes",
                ],
                _lead_url(c.lead_id),
            )
            for c in rows
        ),
    )


# --- reps' pulse score of marketing ----------------------------------------------------------------


def _surveys(scope: PanelScope) -> Any:
    rows = PulseSurvey.objects.filter(
        status=SurveyStatus.CLOSED, closes_at__gte=scope.start, closes_at__lt=scope.end
    )
    if scope.team_id is not None:
        # An anonymous survey of every rep cannot be split by team without telling who answered what.
        rows = rows.filter(Q(team_id=scope.team_id) | Q(team=None, anonymous=False))
    return rows


def _scores(survey: PulseSurvey, team_id: int | None) -> list[int]:
    answers: list[dict[str, Any]]
    if survey.anonymous:
        answers = list(
            AnonymousSurveyResponse.objects.filter(survey=survey).values_list("answers", flat=True)
        )
    else:
        named = SurveyResponse.objects.filter(survey=survey)
        if team_id is not None:
            named = named.filter(respondent__team_id=team_id)
        answers = list(named.values_list("answers", flat=True))
    scores = [int(a[MARKETING_SCORE_KEY]) for a in answers if MARKETING_SCORE_KEY in a]
    if survey.anonymous and len(scores) < MIN_ANONYMOUS_RESULTS:
        return []
    return scores


def pulse_compute(scope: PanelScope) -> FigureValue:
    scores = [s for survey in _surveys(scope) for s in _scores(survey, scope.team_id)]
    note = "Anonymous surveys of every rep count only for all teams." if scope.team_id else ""
    return FigureValue(sum(scores) / len(scores) if scores else None, "score", len(scores), note=note)


def pulse_trace(scope: PanelScope) -> TraceTable:
    rows = []
    for survey in _surveys(scope).order_by("-closes_at"):
        scores = _scores(survey, scope.team_id)
        mean = f"{sum(scores) / len(scores):.2f}" if scores else "—"
        rows.append(
            (
                [
                    survey.title,
                    _day(survey.closes_at),
                    "Yes" if survey.anonymous else "No",
                    str(len(scores)),
                    mean,
                ],
                reverse("intelligence:survey_detail", args=[survey.pk]),
            )
        )
    return TraceTable(["Survey", "Closed", "Anonymous", "Scores", "Mean (1–5)"], rows)


# --- research-question response rate ----------------------------------------------------------------


def _asked_touches(scope: PanelScope) -> Any:
    rows = Touch.objects.filter(
        kind__in=["call", "meeting"], occurred_at__gte=scope.start, occurred_at__lt=scope.end
    )
    # Only calls and meetings logged while a question was being asked count.
    first_active = (
        ResearchQuestion.objects.filter(activated_at__isnull=False)
        .order_by("activated_at")
        .values_list("activated_at", flat=True)
        .first()
    )
    if first_active is None:
        return rows.none()
    rows = rows.filter(occurred_at__gte=first_active)
    if scope.team_id is not None:
        rows = rows.filter(user__team_id=scope.team_id)
    return rows


def response_rate_compute(scope: PanelScope) -> FigureValue:
    touches = _asked_touches(scope)
    total = touches.count()
    answered = touches.filter(
        pk__in=ResearchAnswer.objects.filter(touch__isnull=False).values("touch_id")
    ).count()
    return FigureValue(answered / total if total else None, "percent", total, [("Answered", str(answered))])


def response_rate_trace(scope: PanelScope) -> TraceTable:
    answered = set(
        ResearchAnswer.objects.filter(
            answered_at__gte=scope.start, answered_at__lt=scope.end, touch__isnull=False
        ).values_list("touch_id", flat=True)
    )
    rows = _asked_touches(scope).select_related("user").order_by("-occurred_at")[:TRACE_LIMIT]
    return TraceTable(
        ["When", "Lead", "What", "Rep", "Answered"],
        (
            (
                [
                    _when(t.occurred_at),
                    f"Lead {t.lead_id}",
                    t.get_kind_display(),
                    str(t.user or ""),
                    "Yes" if t.pk in answered else "No",
                ],
                _lead_url(t.lead_id),
            )
            for t in rows
        ),
    )


def register_own_figures() -> None:
    register_collaboration_figure(
        CollaborationFigure(
            "lead_acceptance",
            "Marketing leads accepted by sales",
            acceptance_compute,
            acceptance_trace,
            order=10,
            explanation="Accepted / (accepted + rejected) verdicts in the quarter, with the rejection reasons.",
        )
    )
    register_collaboration_figure(
        CollaborationFigure(
            "sla_compliance",
            "SLA deadlines kept",
            sla_compute,
            sla_trace,
            order=20,
            explanation="Clocks due in the quarter that were met, out of those met or missed.",
        )
    )
    register_collaboration_figure(
        CollaborationFigure(
            "pulse_score",
            "Reps' score of marketing (1–5)",
            pulse_compute,
            pulse_trace,
            order=70,
            explanation="Mean answer to “How well is marketing helping you sell?” in surveys closed in the quarter.",
        )
    )
    register_collaboration_figure(
        CollaborationFigure(
            "research_response_rate",
            "Calls and meetings with research answers",
            response_rate_compute,
            response_rate_trace,
            order=80,
            explanation="Calls and meetings logged while a research question was asked that carry an answer.",
        )
    )


@dataclass(frozen=True)
class PanelRow:
    figure: CollaborationFigure
    current: FigureValue
    previous: FigureValue

    @property
    def change(self) -> float | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or abs(change) < 1e-9:
            return None
        return (change > 0) == self.figure.higher_is_better


def panel_rows(scope: PanelScope, roles: frozenset[str]) -> list[PanelRow]:
    before = previous_scope(scope)
    return [
        PanelRow(figure, figure.compute(scope), figure.compute(before))
        for figure in collaboration_figures()
        if figure.roles is None or figure.roles & roles
    ]
