"""Background work for reporting. Periodic work (registered in ReportingConfig.ready):
``rollups_refresh_task`` every minute, ``rollups_rebuild_task`` nightly at 02:00,
``executive_summary_email_task`` weekly on Monday at 07:00."""

from __future__ import annotations

from django_tasks import task


@task()
def rollups_refresh_task() -> dict[str, int]:
    """Advance the rollups to the newest event (a rebuild when the batch is large). Idempotent: with
    nothing new it does nothing."""
    from accord.reporting.rollups import rollups_refresh

    done = rollups_refresh()
    return {
        "events": done.events,
        "leads": done.leads,
        "rebuilt": int(done.rebuilt),
        "rows_written": done.rows_written,
    }


@task()
def rollups_rebuild_task() -> dict[str, int]:
    """Recompute the rollups from the whole log (picks up lead edits that left no event)."""
    from accord.reporting.rollups import rollups_rebuild

    return {"watermark": rollups_rebuild()}


@task()
def executive_summary_email_task() -> dict[str, int]:
    """Email the executive summary of the current fiscal quarter to every executive."""
    from accord.reporting.services import executive_summary_send

    return {"sent": executive_summary_send()}
