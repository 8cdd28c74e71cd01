"""Background work for knowledge: a question's answer deadline, and the daily review of stale answers."""

from __future__ import annotations

from django_tasks import task


@task()
def question_deadline_task(question_id: int) -> bool:
    from accord.knowledge.services import question_deadline

    return question_deadline(question_id=question_id)


@task()
def answers_flag_stale_task() -> int:
    from accord.knowledge.services import answers_flag_stale

    return answers_flag_stale()
