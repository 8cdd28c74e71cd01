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
