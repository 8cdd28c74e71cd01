"""Demo data for the record lists and the search: shared saved views, and the search index filled for
the records the demo wrote in bulk (rows saved one by one are indexed as they are saved)."""

from __future__ import annotations

from accord.core.models import SavedView
from accord.people.models import User
from accord.records.search_index import search_reindex_all
from accord.records.services import saved_view_save

DEMO_VIEWS = (
    (
        "lena",
        "leads",
        "My MQLs older than 2 days",
        "ff=owner&fo=is&fv=me&ff=stage&fo=is&fv=mql&ff=stage_since&fo=older_than_days&fv=2",
        False,
    ),
    (
        "lena",
        "leads",
        "MQLs waiting more than 2 days",
        "sort=stage_since&ff=stage&fo=is&fv=mql&ff=stage_since&fo=older_than_days&fv=2",
        True,
    ),
    ("lena", "leads", "Unassigned, best score first", "sort=-score&ff=owner&fo=is&fv=none", True),
    ("samuel", "accounts", "Healthcare accounts", "ff=industry&fo=contains&fv=health", True),
)


def records_demo_create(users: dict[str, User]) -> list[SavedView]:
    """A few saved views (shared and personal) and the search index of accounts, deals and campaigns."""
    views = [
        saved_view_save(owner=users[owner], list_name=list_name, name=name, query=query, shared=shared)
        for owner, list_name, name, query, shared in DEMO_VIEWS
        if owner in users
    ]
    search_reindex_all()
    return views
