"""The submission queue: take a submission now, make its lead in the worker, in batches.

A busy form (a webinar's sign-ups, a launch) or an API caller that does not need the lead back can
hand in submissions faster than the whole pipeline runs per request. ``submission_enqueue`` checks
the submission as ``lead_intake`` would (a bad email is refused at once, naming the field), stores it
as it arrived in ``QueuedSubmission`` and answers; the worker's ``submissions_drain`` then runs
``lead_intake`` on each, oldest first, many per transaction.

- **One task per batch, not per post.** After the post commits, ``drain_schedule`` turns the one-row
  flag ``SubmissionDrain.scheduled`` from false to true in a single statement; only the post that
  turned it enqueues the drain task, to run a second later (``GATHER``) so a trickle of posts makes
  one batch. The drain turns the flag back to false before it looks at the
  queue a last time, so a submission that committed while the flag was still true is always seen.
- **Nothing half-written, nothing lost.** Each submission runs in ``lead_intake``'s own savepoints
  inside the batch's transaction: one that fails (refused by a rule, or a fault) is marked ``failed`` with the
  reason and its data kept, and may be tried again (``submission_retry``); the others go on. A worker
  killed mid-batch rolls the batch back whole and the submissions stay queued; the periodic sweep
  (every minute) and the worker's start enqueue a drain whenever any wait.
- **Time is the arrival's.** The lead's intake moment is the submission's ``received_at``, so SLA
  clocks and reports read when the person asked, not when the worker got to it.
- **Privacy.** A done submission keeps only which lead it made: its data is emptied when the lead is
  made, and done submissions are deleted after ``KEEP_DONE``.
- Two workers drain side by side on PostgreSQL (``FOR UPDATE SKIP LOCKED``, batches of ``BATCH``); on
  SQLite writes take turns anyway, and a batch is ``SQLITE_BATCH`` so the posts waiting for the write
  lock wait for a few leads, not a hundred. Two batches holding the same people in opposite orders
  can deadlock: PostgreSQL aborts one, which is rolled back whole and taken again.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from accord.core.errors import ApplicationError, Conflict
from accord.core.events import events_handed_over_together
from accord.core.models import Channel
from accord.core.rows import row_insert
from accord.leads.hand_off import HandOff
from accord.leads.models import QueuedSubmission, Source, SubmissionDrain, SubmissionState
from accord.leads.submissions import submission_validate
from accord.people.models import User

log = logging.getLogger(__name__)

BATCH = 100
# On SQLite a batch's transaction holds the database's one write lock, which every post waits for:
# smaller batches there keep a post's wait short.
SQLITE_BATCH = 3
SQLITE_PAUSE_LONGEST = 0.25
SQLITE_YIELD = 10
GATHER = timedelta(seconds=1)
# A drain gives the worker back after this long, with a follow-up queued, so routing and the other
# tasks of the leads it made are not kept waiting behind a long burst.
DRAIN_SECONDS = 10.0
KEEP_DONE = timedelta(days=7)
# A batch aborted by a deadlock with another drain is taken again, at most this many times a drain.
DEADLOCK_RETRIES = 5
FLAG_ID = 1


def submission_enqueue(
    *, data: dict[str, Any], channel: str, source: Source | None, actor: User | None = None
) -> QueuedSubmission:
    """Check ``data`` as ``lead_intake`` would (ApplicationError naming each bad field) and store it for
    the worker. The drain is scheduled once the caller's transaction commits."""
    submission_validate(data, lenient=channel != Channel.API)
    # One prepared INSERT: ``create()`` would compile it on every post (accord.core.rows).
    queued = row_insert(
        QueuedSubmission(received_at=timezone.now(), channel=channel, source=source, actor=actor, data=data)
    )
    transaction.on_commit(drain_schedule)
    return queued


def drain_schedule() -> bool:
    """Enqueue the drain task unless one is already queued; True when this call enqueued it."""
    table = SubmissionDrain._meta.db_table
    with connection.cursor() as cursor:
        # Under a burst a drain is nearly always scheduled already: a read tells so without a write
        # (on SQLite, without queueing for the database's one write lock again after the post's own
        # commit; on PostgreSQL, without every post locking the same row). The read comes after the
        # post committed, so a drain that clears the flag later still finds this submission.
        cursor.execute(f"SELECT scheduled FROM {table} WHERE id = %s", [FLAG_ID])
        flag = cursor.fetchone()
        if flag is not None and flag[0]:
            return False
        # Inserts the flag row the first time, turns it from false to true afterwards; changes no row
        # (rowcount 0) when a drain got scheduled since the read.
        cursor.execute(
            f"INSERT INTO {table} (id, scheduled) VALUES (%s, %s) "
            f"ON CONFLICT (id) DO UPDATE SET scheduled = %s WHERE {table}.scheduled = %s",
            [FLAG_ID, True, True, False],
        )
        turned = cursor.rowcount == 1
    if turned:
        from accord.intake.tasks import submissions_drain_task

        # A moment's wait gathers the posts of a trickle into one batch (one task, one transaction)
        # instead of a task per post.
        submissions_drain_task.using(run_after=timezone.now() + GATHER).enqueue()
    return turned


def _flag_clear() -> None:
    SubmissionDrain.objects.filter(pk=FLAG_ID).update(scheduled=False)


def _queued() -> Any:
    return QueuedSubmission.objects.filter(state=SubmissionState.QUEUED)


def submissions_drain(*, batch: int | None = None, seconds: float = DRAIN_SECONDS) -> int:
    """Make the leads of queued submissions, oldest first; returns how many were worked (done or failed).

    Called by the drain task with the flag set. Before it stops it clears the flag and looks once more,
    so a submission stored meanwhile is never left without a drain."""
    batch = batch or (SQLITE_BATCH if connection.vendor == "sqlite" else BATCH)
    began = time.monotonic()
    worked = 0
    sqlite = connection.vendor == "sqlite"
    newest = _newest_id() if sqlite else 0  # only SQLite's drain watches for arriving posts
    deadlocks = 0
    while True:
        batch_began = time.monotonic()
        try:
            count = _drain_batch(batch)
        except OperationalError as exc:
            # Two drains whose batches hold the same people in opposite orders: PostgreSQL aborts
            # one of them, whose batch rolled back whole; it takes its batch again once the other
            # has committed.
            if not _deadlock(exc) or deadlocks >= DEADLOCK_RETRIES:
                raise
            deadlocks += 1
            time.sleep(0.05 * deadlocks)
            continue
        worked += count
        if count and sqlite:
            time.sleep(
                _sqlite_pause(time.monotonic() - batch_began, arriving=newest != (newest := _newest_id()))
            )
        if count:
            if time.monotonic() - began > seconds:
                # Give the worker back; the rest goes on in a fresh task after the ones queued meanwhile.
                _flag_clear()
                drain_schedule()
                return worked
            continue
        _flag_clear()
        if not _queued().exists():
            return worked


def _deadlock(exc: BaseException) -> bool:
    """True when ``exc`` is PostgreSQL's "deadlock detected" (SQLSTATE 40P01)."""
    return getattr(exc.__cause__, "sqlstate", None) == "40P01"


def _newest_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {QueuedSubmission._meta.db_table}")
        return cursor.fetchone()[0] or 0


def _sqlite_pause(held: float, *, arriving: bool) -> float:
    """How long a drain on SQLite leaves the database's one write lock to the posts after a batch.

    A writer waiting for the lock polls for it, sleeping between tries: a drain that began its next
    batch at once would take the lock again before any waiting post woke up, and a burst's posts
    would wait for seconds. So the drain pauses as long as the batch held the lock; while posts keep
    arriving (a burst: the queue's newest id moved during the batch) it pauses ``SQLITE_YIELD`` times
    as long, and makes the burst's leads after it at full speed. Measured at 32 connections: the posts
    alone, 0.55 of the bare view's requests/s; beside a drain pausing as long as its batches, 0.32;
    pausing 4 times as long, 0.43; 10 times, 0.55 (benchmarks/README.md)."""
    return min(held * (SQLITE_YIELD if arriving else 1), SQLITE_PAUSE_LONGEST)


def _drain_batch(batch: int) -> int:
    from accord.intake.services import lead_intake, leads_hand_off

    hand_offs: list[HandOff] = []
    # The batch's events go to the outgoing webhooks together, once it commits.
    with transaction.atomic(), events_handed_over_together():
        waiting = _queued().select_related("source", "actor").order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True, of=("self",))
        rows = list(waiting[:batch])
        for row in rows:
            row.attempts += 1
            row.processed_at = timezone.now()
            mine: list[HandOff] = []
            try:
                # No savepoint here: lead_intake's own roll back whatever fails in them, so the batch's
                # transaction stays usable (two statements fewer per lead).
                result = lead_intake(
                    data=dict(row.data),
                    channel=row.channel,
                    source=row.source,
                    actor=row.actor,
                    occurred_at=row.received_at,
                    hand_off_into=mine,
                )
            except (OperationalError, InterfaceError):
                raise  # the database went away: the batch rolls back and stays queued
            except ApplicationError as exc:
                row.state, row.error = SubmissionState.FAILED, _error_text(exc)
            except Exception as exc:  # a fault in one submission must not hold up the rest
                log.exception("submission %s failed", row.pk)
                row.state, row.error = SubmissionState.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
            else:
                row.state, row.error = SubmissionState.DONE, ""
                row.lead_id, row.lead_created = result.lead.pk, result.created
                row.data = {}
                hand_offs.extend(mine[-1:])  # only a submission whose savepoint held
        if hand_offs:
            # The batch's leads handed off together: routed by one task, checked for possible
            # duplicates in one pass (a later lead of the batch may match an earlier one), each
            # entering nurture at its own submission's time.
            leads_hand_off(leads=hand_offs, at=timezone.now())
        if rows:
            _write_outcomes(rows)
    return len(rows)


def _write_outcomes(rows: list[QueuedSubmission]) -> None:
    """One prepared UPDATE for the batch (``bulk_update`` builds a CASE per column and row)."""
    meta = QueuedSubmission._meta
    names = ("state", "error", "attempts", "processed_at", "lead", "lead_created", "data")
    fields: list[Any] = [meta.get_field(name) for name in names]
    columns = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    values = [
        [*(f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields), row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {meta.db_table} SET {columns} WHERE id = %s", values)


def _error_text(exc: ApplicationError) -> str:
    if exc.detail and isinstance(exc.detail, dict):
        named = "; ".join(f"{name}: {problem}" for name, problem in exc.detail.items())
        return f"{exc.message} ({named})"[:2000]
    return exc.message[:2000]


def submission_retry(*, submission: QueuedSubmission) -> QueuedSubmission:
    """Put a failed submission back in the queue (after its cause was fixed: a rule, a source)."""
    if submission.state != SubmissionState.FAILED:
        raise Conflict(
            f"Submission {submission.pk} is {submission.state}; only a failed one can be tried again.",
            detail={"state": submission.state},
        )
    QueuedSubmission.objects.filter(pk=submission.pk).update(state=SubmissionState.QUEUED, error="")
    transaction.on_commit(drain_schedule)
    submission.refresh_from_db()
    return submission


def submissions_sweep(*, now: Any = None) -> int:
    """Periodic and at a worker's start: schedule a drain when submissions wait (a drain lost with a
    killed worker), and delete done submissions older than ``KEEP_DONE``. Returns how many wait."""
    now = now or timezone.now()
    QueuedSubmission.objects.filter(state=SubmissionState.DONE, processed_at__lt=now - KEEP_DONE).delete()
    waiting = _queued().count()
    if waiting:
        _flag_clear()
        drain_schedule()
    return waiting
