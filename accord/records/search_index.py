"""Rebuilding the search index of accounts, deals and campaigns (after a bulk load or an import that
wrote rows without saving them one by one)."""

from __future__ import annotations

from accord.core import fulltext

SEARCH_TYPES = ("account", "deal", "campaign")


def search_reindex_all() -> dict[str, int]:
    """Index every account, deal and campaign again; returns how many of each were indexed."""
    return {name: fulltext.reindex(name) for name in SEARCH_TYPES}
