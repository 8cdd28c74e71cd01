"""Account matching for a whole file: ``AccountIndex`` with its fuzzy search made fit for many
new companies at once, with the same answers."""

from __future__ import annotations

from accord.leads.matching import AccountIndex


class FileAccountIndex(AccountIndex):
    """``AccountIndex`` with the fuzzy name search made fit for a whole file, same answers.

    The per-record index rebuilds its {id: name} choices and re-tokenises every name on each
    fuzzy search; over a file that is quadratic in the number of new companies. Here the names are
    kept once, pre-sorted by token (token_sort_ratio is ratio over sorted tokens) and bucketed by
    length, because ratio >= cutoff is impossible when the lengths differ by more than
    (1 - cutoff/100) * (sum of lengths). The best score wins; on a tie the name the per-record
    index would meet first (insertion order) wins, as in ``rapidfuzz.process.extractOne``.
    """

    def preload(self) -> FileAccountIndex:
        super().preload()
        self._buckets: dict[int, tuple[list[str], list[tuple[int, int]]]] = {}
        self._order = 0
        for key, account_id in (self._names or {}).items():
            self._add_choice(key, account_id)
        return self

    def _add_choice(self, key: str, account_id: int) -> None:
        if not key:
            return
        tokens = " ".join(sorted(key.split()))
        names, meta = self._buckets.setdefault(len(tokens), ([], []))
        names.append(tokens)
        meta.append((self._order, account_id))
        self._order += 1

    def remember(self, account_id: int, *, name_key: str, domain: str = "") -> None:
        new = self._names is not None and bool(name_key) and name_key not in self._names
        super().remember(account_id, name_key=name_key, domain=domain)
        if new:
            self._add_choice(name_key, account_id)

    def _fuzzy(self, key: str) -> tuple[int, int] | None:
        from rapidfuzz import fuzz, process

        if self._names is None:
            return super()._fuzzy(key)
        query = " ".join(sorted(key.split()))
        size = len(query)
        slack = 1 - self.threshold / 100
        best: tuple[float, int, int] | None = None  # (score, -order, account_id)
        for length, (names, meta) in self._buckets.items():
            if abs(size - length) > slack * (size + length) + 1:
                continue
            found = process.extractOne(
                query, names, scorer=fuzz.ratio, score_cutoff=self.threshold, processor=None
            )
            if found is None:
                continue
            _, score, position = found
            order, account_id = meta[position]
            candidate = (score, -order, account_id)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        if best is None:
            return None
        return best[2], int(best[0])
