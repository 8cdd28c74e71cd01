"""Background work for intelligence: ride-along answer deadlines, survey opening, reminders and closing."""

from __future__ import annotations

from django_tasks import task


@task()
def ride_along_expire_task(ride_along_id: int) -> bool:
    """At a request's answer deadline: expire it if marketing has not answered. Idempotent."""
    from accord.intelligence.services import ride_along_expire

    return ride_along_expire(ride_along_id=ride_along_id)


@task()
def surveys_advance_task() -> dict[str, int]:
    """Open due surveys, send the one reminder, close surveys whose time is up. Idempotent."""
    from accord.intelligence.services import surveys_advance

    return surveys_advance()
