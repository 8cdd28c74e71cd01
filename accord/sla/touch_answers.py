"""One-click answers given with a logged touch, taken by an app above sla (intelligence's research questions).

sla logs the touch; what a rep answered alongside it belongs to a higher app, which sla may not import
(DESIGN.md, layers). That app registers here, in its ``AppConfig.ready()``, three functions: one that
stores the answers for a touch (inside the touch's transaction, so a refused answer logs no touch), one
that draws the questions inside the inbox's "Log…" form, and one that reads them back from that form.
Without a registered taker, a touch with answers is refused with a clear message, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

from accord.core.errors import ApplicationError

# One answer: {"question": <id>, "option": "<the option chosen>"}.
TouchAnswer = Mapping[str, Any]


@dataclass(frozen=True)
class TouchAnswerTaker:
    """What an app above sla provides to take answers with a touch."""

    record: Callable[..., None]  # record(*, touch, user, answers: Sequence[TouchAnswer]) -> None
    form_part: Callable[..., SafeString]  # form_part(*, user, kind) -> HTML for the Log form
    read_form: Callable[[QueryDict], list[dict[str, Any]]]


_taker: TouchAnswerTaker | None = None


def register_touch_answer_taker(taker: TouchAnswerTaker) -> None:
    global _taker
    if _taker is not None and _taker != taker:
        raise ImproperlyConfigured("Answers with a touch are already taken by another app.")
    _taker = taker


def touch_answers_record(*, touch: Any, user: Any, answers: Sequence[TouchAnswer]) -> None:
    """Hand the answers to the app that takes them; refuse them when no app does."""
    if not answers:
        return
    if _taker is None:
        raise ApplicationError(
            "Answers cannot be given with a touch here: no research questions are installed.",
            detail={"answers": "leave out"},
        )
    _taker.record(touch=touch, user=user, answers=list(answers))


def touch_answers_form_part(*, user: Any) -> SafeString:
    """The questions to show in the Log form (empty when none are active or no app takes answers)."""
    if _taker is None:
        return mark_safe("")
    return _taker.form_part(user=user)


def touch_answers_from_form(data: QueryDict) -> list[dict[str, Any]]:
    return [] if _taker is None else _taker.read_form(data)
