"""``manage.py search_reindex``: rebuild the top bar's search index of accounts, deals and campaigns."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accord.records.search_index import search_reindex_all


class Command(BaseCommand):
    help = "Rebuild the search index of accounts, deals and campaigns (after a bulk load)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = search_reindex_all()
        self.stdout.write(", ".join(f"{n} {name}s" for name, n in counts.items()) + " indexed.")
