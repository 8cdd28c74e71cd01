"""Reading a file ahead of the work on it: one thread runs an iterator one item ahead of its consumer.

An import spends a good part of its time waiting on PostgreSQL (the chunk's ``COPY``s, its look-ups,
the commit with its deferred checks); Python is idle then. ``ReadAhead`` reads and validates the
next chunk in those waits: a thread waiting on a socket lets go of the GIL, so the other thread's
Python runs meanwhile, and the database's core and the client's are both kept busy. (SQLite runs
in the same process, and its module lets go of the GIL for every row it steps; a thread computing
beside it would make each of those steps wait for its turn, so an import there reads inline.)

The thread makes an item only when the consumer lets it: the first at once, each next one when the
consumer calls ``allow()`` (at the point from which its own work mostly waits) or asks for it. So it
is never more than one item ahead (memory stays flat in the file's size), and its Python runs in the
consumer's waits rather than beside the consumer's own Python. Items arrive in order; an exception
raised while making one is raised to the consumer where that item would have come, after every item
before it. ``close()`` stops the thread and waits for it; the consumer calls it before it closes
anything the iterator reads (the file).

Only for work that needs no database connection: the thread has none of its own, and Django's
connections belong to the thread that opened them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_ITEM, _END, _ERROR = "item", "end", "error"


class ReadAhead(Generic[T]):
    """``items`` made in a thread, one ahead of the consumer (see the module docstring)."""

    def __init__(self, items: Iterator[T], *, name: str = "accord-read-ahead") -> None:
        self._items = items
        self._queue: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._turn = threading.Condition()
        self._allowed = 1  # items the thread may have made so far
        self._made = 0
        self._taken = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)
        self._thread.start()

    def _produce(self) -> None:
        try:
            while True:
                with self._turn:
                    while self._made >= self._allowed and not self._stopped:
                        self._turn.wait()
                    if self._stopped:
                        return
                try:
                    item = next(self._items)
                except StopIteration:
                    self._queue.put((_END, None))
                    return
                self._made += 1
                self._queue.put((_ITEM, item))
        except BaseException as exc:  # handed to the consumer, raised there
            self._queue.put((_ERROR, exc))

    def allow(self) -> None:
        """Let the thread make the item after the one the consumer holds."""
        with self._turn:
            if self._allowed < self._taken + 1:
                self._allowed = self._taken + 1
                self._turn.notify()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._stopped:
            raise StopIteration
        self.allow()
        kind, value = self._queue.get()
        if kind == _ITEM:
            self._taken += 1
            return value  # type: ignore[return-value]
        self._stopped = True
        if kind == _ERROR:
            assert isinstance(value, BaseException)
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop making items and wait for the thread (it finishes the item it is on)."""
        with self._turn:
            self._stopped = True
            self._turn.notify()
        self._thread.join()
