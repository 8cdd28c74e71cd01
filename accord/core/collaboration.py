"""The figures of the "how well marketing and sales work together" panel, provided by the apps that own them.

The panel (in ``accord.intelligence``) shows, per fiscal quarter and team, one figure per registered
provider, its trend against the previous quarter, and a link to the records behind it. Each app adds its
own figures in its ``AppConfig.ready()`` with ``register_collaboration_figure``: SLA compliance and lead
acceptance come from intelligence (reading sla and leads), committee reviews from enablement, plan
previews, disagreements and promises from planning. The registry lives in core because those apps are
siblings of intelligence and may not import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PanelScope:
    """The window and team a figure is computed for (``team_id`` None: every team)."""

    start: datetime
    end: datetime
    team_id: int | None
    label: str


@dataclass(frozen=True)
class FigureValue:
    """One computed figure. ``value`` None means no data in the window.

    ``unit`` is "percent" (value 0..1), "days", "count" or "score" (1..5); ``sample`` says how many
    records it was computed from; ``details`` are extra lines (e.g. rejection reasons with counts)."""

    value: float | None
    unit: str
    sample: int
    details: Sequence[tuple[str, str]] = ()
    note: str = ""


@dataclass(frozen=True)
class TraceTable:
    """The records behind a figure: column headings and rows of plain text (and an optional link each)."""

    columns: Sequence[str]
    rows: Iterable[tuple[Sequence[str], str]]  # (cells, url or "")


@dataclass(frozen=True)
class CollaborationFigure:
    key: str
    label: str
    compute: Callable[[PanelScope], FigureValue]
    trace: Callable[[PanelScope], TraceTable]
    order: int = 100
    higher_is_better: bool = True
    explanation: str = ""
    roles: frozenset[str] | None = field(default=None)  # None: everyone who sees the panel


_figures: dict[str, CollaborationFigure] = {}


def register_collaboration_figure(figure: CollaborationFigure) -> CollaborationFigure:
    """Add a figure to the panel; registering a key again replaces it (``ready`` may run twice in tests)."""
    if not figure.key or len(figure.key) > 40 or not figure.key.replace("_", "").isalnum():
        raise ImproperlyConfigured(
            f"A panel figure key is up to 40 letters, digits or '_', not {figure.key!r}."
        )
    _figures[figure.key] = figure
    return figure


def collaboration_figures() -> list[CollaborationFigure]:
    return sorted(_figures.values(), key=lambda f: (f.order, f.key))


def collaboration_figure(key: str) -> CollaborationFigure | None:
    return _figures.get(key)
