"""What waits for a person's decision, told by the apps that own it: a seam for the heads' start page.

The start page (``accord.workday``) sits above every app, so it reads criteria, routing and SLA itself. Apps
added later (planning's items to approve, enablement's reviews) register a source in their
``AppConfig.ready`` instead of the start page importing them::

    from accord.core.waiting import WaitingItem, register_waiting_source
    register_waiting_source("Plan items to approve", plan_items_waiting_for)

``fn(user)`` returns at most a handful of ``WaitingItem`` (the page shows 10 per source) and must read
through the access layer, like any page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WaitingItem:
    """One thing waiting for a decision: what it is, where to decide, and an optional detail line."""

    title: str
    url: str
    detail: str = ""


WaitingSource = Callable[[Any], Iterable[WaitingItem]]

_sources: dict[str, WaitingSource] = {}


def register_waiting_source(title: str, fn: WaitingSource) -> WaitingSource:
    """Show ``fn(user)``'s items under ``title`` on the decisions page. Registering a title again replaces it."""
    _sources[title] = fn
    return fn


def waiting_for(user: Any, *, limit: int = 10) -> list[tuple[str, list[WaitingItem]]]:
    """Each registered source's items for ``user`` (sources with nothing waiting included, empty)."""
    return [(title, list(fn(user))[:limit]) for title, fn in _sources.items()]
