"""What apps above leads add to a lead as the API shows it, registered in their ``AppConfig.ready``.

The lead's API answer lists its running SLA clocks, which are the SLA app's; leads sit below it, so
SLA registers the prefetch that loads them (into ``lead.open_clocks``)::

    from accord.leads.registry import register_lead_prefetch
    register_lead_prefetch(open_clocks_prefetch)
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch

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
