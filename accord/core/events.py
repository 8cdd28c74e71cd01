"""Appending to the event log. Everything that matters to a lead goes through here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from django.db import models, transaction
from django.utils import timezone

from accord.core.actors import Actor
from accord.core.models import Channel, Event
from accord.core.rows import row_insert

log = logging.getLogger(__name__)


def subject_type_of(subject: models.Model) -> str:
    return subject._meta.model_name or type(subject).__name__.lower()


def event_record(
    *,
    type: str,
    subject: models.Model,
    channel: str = Channel.SYSTEM,
    actor: Actor | None = None,
    payload: dict[str, Any] | None = None,
    stage: str = "",
    occurred_at: datetime | None = None,
) -> Event:
    """Append one event about ``subject``."""
    # The actor is the user model (settings.AUTH_USER_MODEL), which core may not name: the cast is the
    # one place its Actor protocol meets the foreign key's concrete type.
    signed_in = cast(Any, actor) if getattr(actor, "is_authenticated", False) else None
    # One prepared INSERT (accord.core.rows): every intake appends at least one event.
    event = row_insert(
        Event(
            type=type,
            subject_type=subject_type_of(subject),
            subject_id=subject.pk,
            channel=channel,
            actor=signed_in,
            payload=payload or {},
            stage=stage,
            occurred_at=occurred_at or timezone.now(),
        )
    )
    events_hand_to_webhooks([event])
    return event


def events_for(subject: models.Model) -> models.QuerySet[Event]:
    return Event.objects.filter(subject_type=subject_type_of(subject), subject_id=subject.pk).order_by(
        "occurred_at", "id"
    )


def events_bulk_append(events: Iterable[Event], *, batch_size: int = 5000) -> None:
    """Append many prepared events at once (imports, bulk re-scoring)."""
    created = Event.objects.bulk_create(events, batch_size=batch_size)
    # Both SQLite (3.35+) and PostgreSQL return the new ids from bulk_create.
    events_hand_to_webhooks([event for event in created if event.pk is not None])


EventSubscriber = Callable[..., Any]
# Who hears of committed events: (deliver(*, event_ids, event_types), listening() -> bool). The webhooks
# app registers its delivery in its AppConfig.ready; core never imports it.
_subscribers: list[tuple[EventSubscriber, Callable[[], bool]]] = []


def register_event_subscriber(deliver: EventSubscriber, *, listening: Callable[[], bool]) -> None:
    """``deliver(*, event_ids, event_types)`` runs after the events' transaction commits;
    ``listening()`` says cheaply whether it would do anything (a bulk writer may skip the events then)."""
    if all(existing is not deliver for existing, _ in _subscribers):
        _subscribers.append((deliver, listening))


def events_have_listeners() -> bool:
    """Whether any subscriber (an active outgoing webhook) would hear of new events now."""
    return any(listening() for _, listening in _subscribers)


def events_hand_to_webhooks(events: list[Event]) -> None:
    """Outgoing webhooks hear of events once their transaction commits: a rolled-back intake sends nothing.

    An explicit call rather than a signal, so the path from the event log to the webhooks is visible:
    the webhooks app is the subscriber registered above. Inside ``events_handed_over_together`` the
    events wait for the end of that block and go over with the others.
    """
    if not events or not _subscribers:
        return
    gathered = getattr(transaction.get_connection(), "accord_events_gathered", None)
    if gathered is not None:
        gathered.add(events)
        return
    transaction.on_commit(_Handover(events))


@contextmanager
def events_handed_over_together() -> Iterator[None]:
    """Hand the events appended in this block to the subscribers together, once the transaction
    commits: a drained batch of a hundred leads asks them once, not a hundred times.

    Events of a savepoint that rolled back inside the block go over too; a subscriber reads the events
    it is given from the log, where those are not. A nested block leaves its events to the outer one.
    """
    connection = transaction.get_connection()
    if getattr(connection, "accord_events_gathered", None) is not None:
        yield
        return
    gathered = _Handover([])
    connection.accord_events_gathered = gathered
    try:
        yield
    finally:
        connection.accord_events_gathered = None
        if gathered.event_ids:
            transaction.on_commit(gathered)


class _Handover:
    """Events handed to every subscriber once their transaction commits."""

    def __init__(self, events: list[Event]) -> None:
        self.event_ids: list[int] = []
        self.event_types: set[str] = set()
        self.add(events)

    def add(self, events: list[Event]) -> None:
        self.event_ids.extend(event.pk for event in events)
        self.event_types.update(event.type for event in events)

    def __call__(self) -> None:
        event_ids = sorted(set(self.event_ids))
        for deliver, _ in list(_subscribers):
            try:
                deliver(event_ids=event_ids, event_types=set(self.event_types))
            except Exception:
                # One subscriber's failure is logged and never turns a committed request into an
                # error, nor keeps the others from hearing of the events.
                log.exception("an event subscriber failed after commit (events %s)", event_ids[:20])
