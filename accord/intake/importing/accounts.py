"""Account matching for a whole file: the preloaded ``AccountIndex``.

The index keeps every known name in memory with its blocking keys, so each fuzzy lookup compares
only the names that share the start or the end of its sorted words (``normalize.company_block_keys``): the
cost per row stays flat as the file and the accounts grow, and the answers are those of the
per-record door, which looks the same blocking keys up in the database (``AccountNameKey``).
"""

from __future__ import annotations

from accord.leads.matching import AccountIndex


class FileAccountIndex(AccountIndex):
    """The index an import preloads once and teaches each account it creates."""

    def preload(self) -> FileAccountIndex:
        super().preload()
        return self

    def renumber(
        self, ids: dict[int, int], *, names: list[tuple[int, str]], domains: list[tuple[str, int]]
    ) -> None:
        """Accounts learnt under provisional ids (``ids``' keys) under their real ones: ``names`` and
        ``domains`` are what they were learnt with, as (id, name key) and (domain, id)."""
        assert self._names is not None and self._domains is not None
        for old, key in names:
            if self._names.get(key) == old:
                self._names[key] = ids[old]
        for domain, old in domains:
            if self._domains.get(domain) == old:
                self._domains[domain] = ids[old]
