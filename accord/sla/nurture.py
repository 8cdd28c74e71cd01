"""Nurture and recycle (C2): leads that are not ready wait in nurture with a re-check date.

A lead enters nurture through ``nurture_enter`` (criteria below the threshold, a sales rejection
'not ready', an external 'not ready' verdict, or by hand). Once a day ``nurture_recheck_due``
re-evaluates the leads whose re-check date has come with the criteria in force: those that now
qualify become MQLs and are handed to routing (or to the external review when it is on); the others
get their next re-check date. New engagement that crosses the threshold before then is handled by
the intake pipeline, which moves the lead to MQL itself; the track is closed at the next re-check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from accord.core.env import env_int
from accord.core.events import event_record
from accord.core.lookups import pg_array
from accord.core.models import Channel
from accord.core.rows import rows_write
from accord.leads.models import Lead, Stage
from accord.leads.services import lead_stage_set
from accord.people.models import User
from accord.sla.models import NurtureSource, NurtureTrack

# The default re-check interval; settings.ACCORD_NURTURE_RECHECK_DAYS wins when it is set.
NURTURE_RECHECK_DAYS = env_int("ACCORD_NURTURE_RECHECK_DAYS", 90, minimum=1, maximum=3650)
# How many due tracks one run handles; the next daily run takes the rest.
RECHECK_BATCH = 1000
# Lead ids per query or executemany batch in the bulk backfill.
_ID_BATCH = 5000
_BACKFILL_REASON = "score below the MQL threshold"
_TRACK_COLUMNS = (
    "lead_id", "source", "reason", "entered_at", "recheck_on", "recheck_count", "exit_reason",
    "created_at", "updated_at",
)  # fmt: skip


def nurture_recheck_days() -> int:
    return int(getattr(settings, "ACCORD_NURTURE_RECHECK_DAYS", NURTURE_RECHECK_DAYS))


def nurture_next_recheck(*, after: date | None = None) -> date:
    """The default next re-check date: N days after ``after`` (today by default)."""
    return (after or timezone.localdate()) + timedelta(days=nurture_recheck_days())


@transaction.atomic
def nurture_enter(
    *,
    lead: Lead,
    reason: str,
    recheck_on: date | None = None,
    source: str = NurtureSource.MANUAL,
    actor: User | None = None,
    channel: str = Channel.SYSTEM,
) -> NurtureTrack:
    """Put a lead in nurture (moving its stage there if it is not already) and set its re-check date.

    Calling it for a lead already in nurture restarts its track with the new reason and date.
    """
    if source not in NurtureSource.values:
        raise ValueError(f"Unknown nurture source {source!r}")
    now = timezone.now()
    recheck_on = recheck_on or nurture_next_recheck()
    lead = lead_stage_set(
        lead=lead, stage=Stage.NURTURE, actor=actor, reason=f"nurture: {reason}"[:200], channel=channel
    )
    track, _ = NurtureTrack.objects.update_or_create(
        lead=lead,
        defaults={
            "source": source,
            "reason": (reason or "")[:500],
            "entered_at": now,
            "recheck_on": recheck_on,
            "exited_at": None,
            "exit_reason": "",
        },
    )
    event_record(
        type="lead.nurture_entered",
        subject=lead,
        actor=actor,
        channel=channel,
        occurred_at=now,
        payload={"source": source, "reason": track.reason, "recheck_on": recheck_on.isoformat()},
    )
    return track


def nurture_tracks_backfill(*, lead_ids: Sequence[int] | None = None) -> int:
    """Give every nurture lead without an open track one (source 'criteria', re-check in N days).

    Leads reach nurture through code paths that do not call ``nurture_enter`` (intake, imports,
    bulk re-scoring); this keeps them from waiting forever. A lead back in nurture whose earlier
    track was closed gets that track reopened (one track per lead). ``lead_ids`` limits the look to
    those leads (the ones a bulk step just moved); without it every nurture lead is looked at.
    Returns how many tracks it made or reopened. New rows are written as plain tuples (SQLite) or by
    one ``INSERT … SELECT`` (PostgreSQL), with ``ON CONFLICT DO NOTHING``: a bulk re-score can send
    tens of thousands of leads here at once, and a model instance per row cost more than the rest of
    the re-score.
    """
    now = timezone.now()
    if lead_ids is not None and not lead_ids:
        return 0
    ids = sorted(set(lead_ids)) if lead_ids is not None else None
    if connection.vendor == "postgresql":
        return _nurture_tracks_backfill_sql(ids, now)
    return _nurture_tracks_backfill_rows(ids, now) + _nurture_tracks_reopen(ids, now)


def nurture_tracks_open(*, reasons: dict[int, str], entered_at: Any, new: bool = False) -> int:
    """The nurture step of the hand-off, per lead and in bulk: each lead the criteria have just sent to
    nurture (``reasons``: lead id -> the explanation) gets its track, source 'criteria', entered at
    ``entered_at`` with the next re-check date; a lead whose earlier track was closed gets it
    reopened with the new reason and date (one track per lead). ``INSERT … ON CONFLICT (lead_id) DO
    UPDATE``: one ``executemany`` on SQLite, one statement over ``unnest`` on PostgreSQL; no model
    instance and no query per lead. ``new``: the leads were created in this transaction, so none has a
    track yet: the rows are written as they are (``rows_write``, a ``COPY`` on PostgreSQL), without
    the upsert, which first looks for each row's key (about 40% more per row). Returns how many leads
    it was given."""
    if not reasons:
        return 0
    ops, q = connection.ops, connection.ops.quote_name
    stamp = ops.adapt_datetimefield_value(timezone.now())
    entered = ops.adapt_datetimefield_value(entered_at)
    recheck = ops.adapt_datefield_value(nurture_next_recheck(after=timezone.localdate(entered_at)))
    source = NurtureSource.CRITERIA.value
    ids = sorted(reasons)
    texts = [(reasons[pk] or "")[:500] for pk in ids]
    if new:
        rows_write(
            NurtureTrack._meta.db_table,
            _TRACK_COLUMNS,
            [
                (pk, source, text, entered, recheck, 0, "", stamp, stamp)
                for pk, text in zip(ids, texts, strict=True)
            ],
        )
        return len(ids)
    table = q(NurtureTrack._meta.db_table)
    columns = ", ".join(q(c) for c in _TRACK_COLUMNS)
    refreshed = ("source", "reason", "entered_at", "recheck_on", "exit_reason", "updated_at")
    upsert = (
        f"ON CONFLICT ({q('lead_id')}) DO UPDATE SET "
        + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in refreshed)
        + f", {q('exited_at')} = NULL"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for the whole batch: the ids and reasons as two arrays.
            cursor.execute(
                f"INSERT INTO {table} ({columns}, {q('exited_at')}) "
                "SELECT u.id, %s, u.reason, %s, %s, 0, '', %s, %s, NULL "
                f"FROM unnest(%s::bigint[], %s::text[]) AS u(id, reason) {upsert}",
                [source, entered, recheck, stamp, stamp, pg_array(ids), pg_array(texts)],
            )
        else:
            marks = ", ".join(["%s"] * len(_TRACK_COLUMNS))
            sql = f"INSERT INTO {table} ({columns}, {q('exited_at')}) VALUES ({marks}, NULL) {upsert}"
            rows = [
                (pk, source, text, entered, recheck, 0, "", stamp, stamp)
                for pk, text in zip(ids, texts, strict=True)
            ]
            for start in range(0, len(rows), _ID_BATCH):
                cursor.executemany(sql, rows[start : start + _ID_BATCH])
    return len(ids)


def _in_batches(qs: Any, ids: list[int] | None, *fields: str, key: str = "pk") -> list[tuple[Any, ...]]:
    if ids is None:
        return list(qs.values_list(*fields))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), _ID_BATCH):
        batch = ids[start : start + _ID_BATCH]
        found.extend(
            qs.filter(**{f"{key}__range": (batch[0], batch[-1]), f"{key}__in_array": batch}).values_list(
                *fields
            )
        )
    return found


def _nurture_tracks_backfill_rows(ids: list[int] | None, now: Any) -> int:
    missing = Lead.objects.live().filter(stage=Stage.NURTURE, nurture_track__isnull=True)
    found = _in_batches(missing, ids, "pk", "stage_changed_at")
    if not found:
        return 0
    ops = connection.ops
    table = ops.quote_name(NurtureTrack._meta.db_table)
    columns = _TRACK_COLUMNS
    sql = (
        f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT ({ops.quote_name('lead_id')}) DO NOTHING"
    )
    stamp = ops.adapt_datetimefield_value(now)
    # Leads moved by one bulk step share their stage_changed_at: convert each moment once.
    by_moment: dict[Any, tuple[Any, Any]] = {}
    rows = []
    for pk, changed in found:
        entered = changed or now
        known = by_moment.get(entered)
        if known is None:
            recheck = ops.adapt_datefield_value(nurture_next_recheck(after=timezone.localdate(entered)))
            known = by_moment[entered] = (ops.adapt_datetimefield_value(entered), recheck)
        entered_db, recheck = known
        rows.append(
            (pk, NurtureSource.CRITERIA.value, _BACKFILL_REASON, entered_db, recheck, 0, "", stamp, stamp)
        )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ID_BATCH):
            cursor.executemany(sql, rows[start : start + _ID_BATCH])
    return len(rows)


def _nurture_tracks_reopen(ids: list[int] | None, now: Any) -> int:
    """Closed tracks of leads that are in nurture again start over (rare: one UPDATE per moment)."""
    closed = NurtureTrack.objects.filter(
        exited_at__isnull=False, lead__stage=Stage.NURTURE, lead__merged_into__isnull=True
    )
    found = _in_batches(closed, ids, "pk", "lead__stage_changed_at", key="lead__pk")
    by_moment: dict[Any, list[int]] = {}
    for pk, changed in found:
        by_moment.setdefault(changed or now, []).append(pk)
    for entered, pks in by_moment.items():
        NurtureTrack.objects.filter(pk__in=pks).update(
            source=NurtureSource.CRITERIA,
            reason=_BACKFILL_REASON,
            entered_at=entered,
            recheck_on=nurture_next_recheck(after=timezone.localdate(entered)),
            exited_at=None,
            exit_reason="",
            updated_at=now,
        )
    return len(found)


def _nurture_tracks_backfill_sql(ids: list[int] | None, now: Any) -> int:
    """``nurture_tracks_backfill`` on PostgreSQL: one ``INSERT … SELECT`` for the leads without a
    track and one ``UPDATE … FROM`` for closed tracks, the re-check date computed in the database in
    the site's time zone (the same date as ``nurture_next_recheck(after=localdate(stage_changed_at))``).
    Given ids are joined from ``unnest`` so each is one primary-key probe, whatever the planner
    believes about a lead table an import has just filled in the same transaction."""
    q = connection.ops.quote_name
    track, lead = q(NurtureTrack._meta.db_table), q(Lead._meta.db_table)
    columns = ", ".join(q(c) for c in _TRACK_COLUMNS)
    if ids is None:
        leads, id_params = f"{lead} l", []
    else:
        leads, id_params = f"unnest(%s::bigint[]) AS u(id) JOIN {lead} l ON l.id = u.id", [pg_array(ids)]
    entered = "COALESCE(l.stage_changed_at, %s)"
    recheck = f"({entered} AT TIME ZONE %s)::date + %s"
    recheck_params = [now, settings.TIME_ZONE, nurture_recheck_days()]
    insert = f"""
        INSERT INTO {track} ({columns})
        SELECT l.id, %s, %s, {entered}, {recheck}, 0, '', %s, %s
        FROM {leads}
        WHERE l.stage = %s AND l.merged_into_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM {track} t WHERE t.lead_id = l.id)
        ON CONFLICT (lead_id) DO NOTHING
    """
    reopen = f"""
        UPDATE {track} t
        SET source = %s, reason = %s, entered_at = {entered}, recheck_on = {recheck},
            exited_at = NULL, exit_reason = '', updated_at = %s
        FROM {leads}
        WHERE t.lead_id = l.id AND t.exited_at IS NOT NULL AND l.stage = %s AND l.merged_into_id IS NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(
            insert,
            [
                NurtureSource.CRITERIA.value,
                _BACKFILL_REASON,
                now,
                *recheck_params,
                now,
                now,
                *id_params,
                Stage.NURTURE.value,
            ],
        )
        made = cursor.rowcount
        cursor.execute(
            reopen,
            [
                NurtureSource.CRITERIA.value,
                _BACKFILL_REASON,
                now,
                *recheck_params,
                now,
                *id_params,
                Stage.NURTURE.value,
            ],
        )
        return made + cursor.rowcount


def _track_close(track: NurtureTrack, *, why: str, at: Any) -> None:
    track.exited_at = at
    track.exit_reason = why[:200]
    track.save(update_fields=["exited_at", "exit_reason", "updated_at"])


@transaction.atomic
def nurture_recheck(*, track_id: int, today: date | None = None) -> str:
    """Re-evaluate one due nurture lead with the current criteria. Returns what happened:

    'requalified' (now an MQL, handed off), 'disqualified', 'kept' (next re-check set), 'left'
    (the lead had already left nurture; the track is closed) or 'skipped' (not due, or locked by a
    concurrent run).
    """
    from accord.qualification.selectors import evaluate_lead, next_stage
    from accord.sla.external import mql_hand_off

    today = today or timezone.localdate()
    track = (
        NurtureTrack.objects.select_for_update(skip_locked=True)
        .filter(pk=track_id, exited_at__isnull=True, recheck_on__lte=today)
        .first()
    )
    if track is None:
        return "skipped"
    now = timezone.now()
    lead = Lead.objects.select_for_update().get(pk=track.lead_id)
    if lead.stage != Stage.NURTURE or lead.merged_into_id is not None:
        why = "merged" if lead.merged_into_id else f"left nurture for {lead.stage}"
        _track_close(track, why=why, at=now)
        return "left"
    track.rechecked_at = now
    track.recheck_count += 1
    evaluation = evaluate_lead(lead, as_of=now)
    if evaluation is None:
        track.recheck_on = nurture_next_recheck(after=today)
        track.save(update_fields=["rechecked_at", "recheck_count", "recheck_on", "updated_at"])
        event_record(
            type="lead.nurture_rechecked",
            subject=lead,
            channel=Channel.TASK,
            occurred_at=now,
            payload={
                "decision": "",
                "why": "no active criteria",
                "next_recheck_on": track.recheck_on.isoformat(),
            },
        )
        return "kept"
    previous_score = lead.score
    lead.score, lead.fit_score, lead.engagement_score = (
        evaluation.score,
        evaluation.fit,
        evaluation.engagement,
    )
    lead.criteria_version_id = evaluation.criteria_id
    lead.explanation = evaluation.explanation
    lead.scored_at = now
    lead.save(
        update_fields=[
            "score",
            "fit_score",
            "engagement_score",
            "criteria_version",
            "explanation",
            "scored_at",
            "updated_at",
        ]
    )
    target = next_stage(Stage.NURTURE, evaluation)
    payload = {
        "version": evaluation.version,
        "score": evaluation.score,
        "previous_score": previous_score,
        "decision": evaluation.decision,
        "explanation": evaluation.explanation,
        "track": track.pk,
    }
    if target == Stage.NURTURE:
        track.recheck_on = nurture_next_recheck(after=today)
        track.save(update_fields=["rechecked_at", "recheck_count", "recheck_on", "updated_at"])
        event_record(
            type="lead.nurture_rechecked",
            subject=lead,
            channel=Channel.TASK,
            occurred_at=now,
            payload={**payload, "next_recheck_on": track.recheck_on.isoformat()},
        )
        return "kept"
    track.save(update_fields=["rechecked_at", "recheck_count", "updated_at"])
    _track_close(track, why=f"re-check: {evaluation.decision}", at=now)
    reason = f"nurture re-check: {evaluation.explanation}"[:200]
    lead = lead_stage_set(lead=lead, stage=target, actor=None, reason=reason, channel=Channel.TASK)
    if target == Stage.MQL:
        event_record(
            type="lead.requalified", subject=lead, channel=Channel.TASK, occurred_at=now, payload=payload
        )
        if lead.owner_id is None:
            payload["hand_off"] = mql_hand_off(lead=lead)
        return "requalified"
    event_record(
        type="lead.nurture_rechecked", subject=lead, channel=Channel.TASK, occurred_at=now, payload=payload
    )
    return "disqualified"


def nurture_recheck_due(*, today: date | None = None, limit: int = RECHECK_BATCH) -> dict[str, int]:
    """Re-check every nurture lead whose date has come (idempotent: a re-checked lead's date moves on).

    Each lead is re-checked in its own transaction, so one failure does not undo the others.
    """
    today = today or timezone.localdate()
    counts: dict[str, int] = {"backfilled": nurture_tracks_backfill()}
    due = list(
        NurtureTrack.objects.filter(exited_at__isnull=True, recheck_on__lte=today)
        .order_by("recheck_on", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for track_id in due:
        outcome = nurture_recheck(track_id=track_id, today=today)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@task()
def nurture_recheck_due_task() -> dict[str, int]:
    """Daily periodic work: re-check the nurture leads that are due."""
    return nurture_recheck_due()
