"""The research questions inside the inbox's "Log…" form: drawn from the active questions, read back
from the posted form, stored with the touch (registered with ``accord.sla.touch_answers`` in ready())."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from accord.intelligence.selectors import active_questions
from accord.people import access

FIELD_PREFIX = "rq-"


def form_part(*, user: Any) -> SafeString:
    if not access.may_answer_research_questions(user):
        return mark_safe("")
    questions = active_questions(user)
    if not questions:
        return mark_safe("")
    return mark_safe(render_to_string("intelligence/_touch_questions.html", {"questions": questions}))


def read_form(data: QueryDict) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for name, value in data.items():
        if not name.startswith(FIELD_PREFIX) or not value:
            continue
        suffix = name[len(FIELD_PREFIX) :]
        if suffix.isdigit():
            answers.append({"question": int(suffix), "option": value})
    return answers
