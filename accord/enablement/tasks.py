"""Background work for enablement: previews, the committee's deadline, reminders, positioning rounds.

Each task takes ids, loads, calls a service; each is idempotent (it may run twice)."""

from __future__ import annotations

from django_tasks import task


@task()
def material_preview_task(version_id: int) -> str:
    """Make a version's preview (first page of a PDF, an image's thumbnail) or record why there is none."""
    from accord.enablement.services import material_preview_generate

    return material_preview_generate(version_id=version_id)


@task()
def review_close_task(review_id: int) -> str:
    """At the committee's deadline: close the review (no comments: it proceeds, recorded)."""
    from accord.enablement.services import review_close_due

    return review_close_due(review_id=review_id)


@task()
def reviews_remind_task() -> dict[str, int]:
    """Periodic: remind reviewers before the deadline; close reviews whose deadline passed."""
    from accord.enablement.services import positioning_rounds_close_due, reviews_remind_and_close

    done = reviews_remind_and_close()
    done["rounds_closed"] = positioning_rounds_close_due()
    return done


@task()
def positioning_round_close_task(round_id: int) -> str:
    from accord.enablement.services import positioning_round_close_due

    return positioning_round_close_due(round_id=round_id)


@task()
def sales_team_notice_task(notice_id: int) -> int:
    """Tell the whole sales team (a publication, a positioning round); once, however often it runs."""
    from accord.enablement.services import sales_team_notice_send

    return sales_team_notice_send(notice_id=notice_id)
