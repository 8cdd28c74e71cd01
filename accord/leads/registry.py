"""What apps above leads tell about leads, registered in their ``AppConfig.ready``.

- The lead's API answer lists its running SLA clocks, which are the SLA app's; leads sit below it, so
  SLA registers the prefetch that loads them (into ``lead.open_clocks``)::

      from accord.leads.registry import register_lead_prefetch
      register_lead_prefetch(open_clocks_prefetch)

- Revenue attribution (campaigns) credits the deals won from leads, which are the deals app's, a
  sibling campaigns may not import; deals register the query with ``register_won_deals``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch, QuerySet

PrefetchFactory = Callable[[], Prefetch]

_lead_prefetches: list[PrefetchFactory] = []


def register_lead_prefetch(factory: PrefetchFactory) -> PrefetchFactory:
    """``factory()`` returns a fresh ``Prefetch`` on leads (a queryset is evaluated once per use)."""
    if factory not in _lead_prefetches:
        _lead_prefetches.append(factory)
    return factory


def lead_prefetches() -> list[Prefetch]:
    """Every registered prefetch, for the lead list and the one-lead answer."""
    return [factory() for factory in _lead_prefetches]


WonDealsQuery = Callable[..., QuerySet[Any]]

_won_deals: list[WonDealsQuery] = []


def register_won_deals(query: WonDealsQuery) -> WonDealsQuery:
    """``query(*, since, until)``: the deals won from leads and closed in ``[since, until)``, with
    ``pk``, ``amount``, ``currency``, ``created_at`` and ``contact_id`` (the lead). One query: registering
    again replaces it."""
    _won_deals[:] = [query]
    return query


def won_deals(*, since: datetime, until: datetime) -> QuerySet[Any]:
    """Deals won from leads and closed in ``[since, until)`` (see ``register_won_deals``)."""
    if not _won_deals:
        raise ImproperlyConfigured(
            "Revenue attribution needs the won deals, which the deals app registers in its AppConfig.ready "
            "(accord.leads.registry.register_won_deals); add 'accord.deals' to INSTALLED_APPS."
        )
    return _won_deals[0](since=since, until=until)


# --- what the lead list page offers from apps above leads ---------------------------------------------

ListExtension = Callable[[Any], dict[str, Any]]

_lead_list_extensions: list[ListExtension] = []


def register_lead_list_extension(extension: ListExtension) -> ListExtension:
    """``extension(user)`` returns context for the lead list page from an app above leads (the bulk
    actions: assign, add to campaign, move to trash, export, which are routing's, campaigns' and
    privacy's services). Registering the same function twice keeps one."""
    if extension not in _lead_list_extensions:
        _lead_list_extensions.append(extension)
    return extension


def lead_list_extras(user: Any) -> dict[str, Any]:
    """The registered extensions' context for the lead list page, merged."""
    extras: dict[str, Any] = {}
    for extension in _lead_list_extensions:
        extras.update(extension(user))
    return extras


# --- the lead page: what apps above leads add to it ---------------------------------------------------
#
# The lead page is the place of work, but accepting, logging a touch, notes (SLA) or reassigning
# (routing) belong to apps above leads. They add a panel to the page and tell the timeline how to say
# their events in plain words, in their AppConfig.ready:
#
#     register_lead_panel(LeadPanel("sla/_lead_work.html", lead_work_context, order=10))
#     register_timeline_story(TimelineStory(frozenset({"lead.touched"}), describe, prepare))


@dataclass(frozen=True)
class LeadPanel:
    """A part of the lead page: ``context(user, lead)`` gives the template's ``panel`` variables, or None
    when the panel has nothing for this person on this lead."""

    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 50


_lead_panels: dict[str, LeadPanel] = {}


def register_lead_panel(panel: LeadPanel) -> LeadPanel:
    _lead_panels[panel.template] = panel
    return panel


def lead_panels(user: Any, lead: Any) -> list[dict[str, Any]]:
    """The panels to show ``user`` on ``lead``, in order, each a dict with its ``template``."""
    shown = []
    for panel in sorted(_lead_panels.values(), key=lambda p: (p.order, p.template)):
        context = panel.context(user, lead)
        if context is not None:
            shown.append({**context, "template": panel.template})
    return shown


Story = tuple[str, list[str]]


@dataclass(frozen=True)
class TimelineStory:
    """How the timeline tells events of ``types``: ``describe(event, prepared)`` returns a headline and
    detail lines in plain words (names, not ids; labels, not codes). ``prepare(events)`` runs once per page
    with every event of those types, to load what they name (people, touches) in a fixed number of queries."""

    types: frozenset[str]
    describe: Callable[[Any, dict[str, Any]], Story]
    prepare: Callable[[list[Any]], dict[str, Any]] | None = None


_stories: dict[str, TimelineStory] = {}


def register_timeline_story(story: TimelineStory) -> TimelineStory:
    for event_type in story.types:
        _stories[event_type] = story
    return story


def timeline_stories_for(events: list[Any]) -> dict[str, tuple[TimelineStory, dict[str, Any]]]:
    """For each event type among ``events`` that an app tells: its story and what it prepared."""
    found: dict[str, tuple[TimelineStory, dict[str, Any]]] = {}
    prepared: dict[int, dict[str, Any]] = {}
    for story in {id(s): s for s in _stories.values()}.values():
        mine = [e for e in events if e.type in story.types]
        if not mine:
            continue
        prepared[id(story)] = story.prepare(mine) if story.prepare else {}
        for event_type in story.types:
            found[event_type] = (story, prepared[id(story)])
    return found
