"""Matching a submission to the person and the account Accord already knows.

People match on the lower-cased email (unique). Accounts match on the email's domain (free-mail
domains excluded), then the website's domain, then the company name: exactly after normalisation,
else fuzzily (rapidfuzz) at or above ``ACCORD_COMPANY_MATCH_THRESHOLD`` among the names that share a
blocking key with it (``normalize.company_block_keys``: the first or last four letters of its
sorted words), so a match costs the same with ten accounts or a million. The per-record
pipeline and the bulk import use the same ``AccountIndex``, so both doors match the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models.functions import Lower
from rapidfuzz import fuzz, process

from accord.core.lookups import in_values_sql, pg_array
from accord.core.rows import row_values
from accord.leads.models import Account, AccountDomain, Lead
from accord.leads.normalize import (
    company_block_keys,
    company_key,
    email_domain,
    free_mail_domains,
    normalize_domain,
)

# At most this many candidate names are compared for one fuzzy lookup in the database (the names
# sharing a blocking key with it, oldest accounts first); a key so common that it reaches the cap is
# a word like "global", and the other words of the name still bring their own candidates.
FUZZY_CANDIDATES = 5000


@dataclass(frozen=True)
class AccountMatch:
    account_id: int | None
    how: str  # "domain", "website", "name", "fuzzy:<score>", "" when none
    domain: str = ""  # the corporate domain the submission carried, if any

    def describe(self, name: str = "") -> str:
        if self.account_id is None:
            return "no matching account"
        return {
            "domain": f"account {name} by email domain {self.domain}",
            "website": f"account {name} by website domain {self.domain}",
            "name": f"account {name} by company name",
        }.get(self.how, f"account {name} by similar company name ({self.how.split(':')[-1]}%)")


class AccountIndex:
    """Looks accounts up by domain and name. ``preload()`` turns it into an in-memory index."""

    def __init__(self) -> None:
        self._domains: dict[str, int] | None = None
        self._names: dict[str, int] | None = None
        # blocking key -> (name keys, the same names' words sorted), in the order they were learnt
        self._blocks: dict[str, tuple[list[str], list[str]]] = {}
        self._order: dict[str, int] = {}  # name key -> when it was learnt (ties go to the earliest)
        self._free = free_mail_domains()
        self.threshold = settings.ACCORD_COMPANY_MATCH_THRESHOLD

    def preload(self) -> AccountIndex:
        self._domains = dict(AccountDomain.objects.values_list("domain", "account_id"))
        self._names = {}
        for account_id, key in Account.objects.order_by("id").values_list("id", "name_key"):
            self._learn(key, account_id)
        return self

    def _learn(self, key: str, account_id: int) -> None:
        if self._names is None or not key or key in self._names:
            return
        self._names[key] = account_id
        self._order[key] = len(self._order)
        text = _sorted_words(key)
        for block in company_block_keys(key):
            keys, texts = self._blocks.setdefault(block, ([], []))
            keys.append(key)
            texts.append(text)

    def remember(self, account_id: int, *, name_key: str, domain: str = "") -> None:
        """Teach a preloaded index about an account created during the run."""
        self._learn(name_key, account_id)
        if self._domains is not None and domain:
            self._domains.setdefault(domain, account_id)

    def corporate_domain(self, email: str, website: str = "") -> tuple[str, str]:
        domain = email_domain(email)
        if domain and domain not in self._free:
            return domain, "domain"
        site = normalize_domain(website) if website else ""
        if site and site not in self._free and "." in site:
            return site, "website"
        return "", ""

    def _by_domain(self, domain: str) -> int | None:
        if self._domains is not None:
            return self._domains.get(domain)
        # Asked for every lead with a company email: a prepared statement, not a compiled queryset.
        row = row_values(AccountDomain, "account_id", "domain = %s", [domain])
        return row[0] if row else None

    def _by_name(self, key: str) -> int | None:
        if self._names is not None:
            return self._names.get(key)
        return Account.objects.filter(name_key=key).order_by("id").values_list("id", flat=True).first()

    def _candidates(self, key: str) -> dict[int, str]:
        """{account id: name key} of the names sharing a blocking key with ``key``, oldest first
        (from the database; a preloaded index compares its blocks' lists in ``_fuzzy_preloaded``)."""
        blocks = company_block_keys(key)
        rows = (
            Account.objects.filter(name_keys__key__in=blocks)
            .exclude(name_key="")
            .order_by("id")
            .values_list("id", "name_key")
            .distinct()[:FUZZY_CANDIDATES]
        )
        return dict(rows)

    def _fuzzy(self, key: str) -> tuple[int, int] | None:
        if self._names is not None:
            return self._fuzzy_preloaded(key)
        choices = self._candidates(key)
        if not choices:
            return None
        best = process.extractOne(key, choices, scorer=fuzz.token_sort_ratio, score_cutoff=self.threshold)
        if best is None:
            return None
        _, score, account_id = best
        return account_id, int(score)

    def _fuzzy_preloaded(self, key: str) -> tuple[int, int] | None:
        """``_fuzzy`` over the in-memory blocks: the same answer (the best token-sort score at or above
        the threshold; on a tie the name learnt first), with each block's list compared by rapidfuzz
        as it is. token_sort_ratio is the plain ratio of the two names' sorted words, and each name's
        sorted words are kept with it, so no per-lookup set, sort or dict of the candidates grows with
        the block (a 1M-row import asks this for every new company)."""
        assert self._names is not None
        text = _sorted_words(key)
        best_score, best_order, best_name = -1.0, 0, ""
        for block in company_block_keys(key):
            found = self._blocks.get(block)
            if not found:
                continue
            keys, texts = found
            hit = process.extractOne(
                text, texts, scorer=fuzz.ratio, processor=None, score_cutoff=self.threshold
            )
            if hit is None:
                continue
            name = keys[hit[2]]
            order = self._order[name]
            if hit[1] > best_score or (hit[1] == best_score and order < best_order):
                best_score, best_order, best_name = hit[1], order, name
        if best_score < 0:
            return None
        return self._names[best_name], int(best_score)

    def match(self, *, email: str, company: str = "", website: str = "") -> AccountMatch:
        domain, how = self.corporate_domain(email, website)
        if domain:
            found = self._by_domain(domain)
            if found is not None:
                return AccountMatch(found, how, domain)
        key = company_key(company) if company else ""
        if key:
            found = self._by_name(key)
            if found is not None:
                return AccountMatch(found, "name", domain)
            fuzzy = self._fuzzy(key)
            if fuzzy is not None:
                return AccountMatch(fuzzy[0], f"fuzzy:{fuzzy[1]}", domain)
        return AccountMatch(None, "", domain)


def _sorted_words(name_key: str) -> str:
    """The name's words in sorted order: what token_sort_ratio compares."""
    return " ".join(sorted(name_key.split()))


# At most this many other leads are flagged for one lead and one reason (a shared switchboard number
# would otherwise flag thousands of pairs).
DUPLICATES_PER_REASON = 20
_ID_BATCH = 5000


@dataclass(frozen=True)
class DuplicateCandidate:
    """Two leads that may be the same person; ``lead_id`` < ``other_id``."""

    lead_id: int
    other_id: int
    reason: str
    similarity: int


def _batches(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _ID_BATCH):
        yield values[start : start + _ID_BATCH]


def _id_gaps(ids: list[int], runs: int = 3, top: int | None = None) -> list[tuple[int | None, int | None]]:
    """The id ranges, as exclusive (above, below) bounds (None: open), that leave out the ``runs``
    longest runs of consecutive ids among ``ids`` (sorted, unique); with ``top``, the table's highest
    id, none above it.

    A look-up for the *other* leads sharing a key asks each range: the (key, id) index then skips the
    leads themselves without reading their rows. Those hits were most of the look-up when an import's
    chunk is checked (its new leads are one run of ids), and each cost a read of a row just written,
    which a lead table larger than PostgreSQL's buffers had to fetch again. Each range is a seek per
    key, so an empty one is dropped: above the highest id (an import's chunk is the newest leads). A
    lead outside the runs left out comes back from the look-up and is told apart by its id, as
    before."""
    found: list[tuple[int, int]] = []  # (first, last) of each run
    # Consecutive ids share their distance from their place in the list.
    for _, group in groupby(enumerate(ids), lambda pair: pair[1] - pair[0]):
        run = [pk for _, pk in group]
        found.append((run[0], run[-1]))
    kept = sorted(sorted(found, key=lambda run: (run[0] - run[1], run[0]))[:runs])
    gaps: list[tuple[int | None, int | None]] = []
    above: int | None = None
    for first_id, last_id in kept:
        gaps.append((above, first_id))
        above = last_id
    if top is None or above is None or above < top:
        gaps.append((above, None))
    return gaps


def _in_gap(column: str, gap: tuple[int | None, int | None]) -> tuple[str, list[Any]]:
    """``column`` inside ``gap`` (exclusive bounds), as conditions to append (each " AND …"; "" for
    no bound at all) and their parameters."""
    sql, params = "", []
    if gap[0] is not None:
        sql, params = f" AND {column} > %s", [gap[0]]
    if gap[1] is not None:
        sql, params = f"{sql} AND {column} < %s", [*params, gap[1]]
    return sql, params


def _leads_phoned(keys: list[str], gaps: list[tuple[int | None, int | None]]) -> list[tuple[int, str]]:
    """(id, phone key) of every lead in ``gaps`` (``_id_gaps``) whose phone key is one of ``keys``.

    One statement per batch of keys (none empty), a branch per gap, each a seek per key in the
    (phone key, id) index of the leads with a number. Not sorted here: asked for an order, SQLite
    walks the whole table in it instead of seeking each number in the index."""
    quote = connection.ops.quote_name
    table = quote(Lead._meta.db_table)
    if connection.vendor == "sqlite":
        # Without statistics SQLite would walk a range of ids between two runs instead.
        table = f"{table} INDEXED BY {quote('lead_phone_id')}"
    found: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        for batch in _batches(keys):
            keyed, key_params = in_values_sql("phone_key", batch, connection)
            # The index holds only leads with a number: its own condition, word for word, so that
            # SQLite sees the index answers the query.
            keyed = f"{keyed} AND NOT (phone_key = '')"
            branches: list[str] = []
            params: list[Any] = []
            for gap in gaps:
                bounds, bound_params = _in_gap("id", gap)
                branches.append(f"SELECT id, phone_key FROM {table} WHERE {keyed}{bounds}")
                params += [*key_params, *bound_params]
            cursor.execute(" UNION ALL ".join(branches), params)
            found.extend(cursor.fetchall())
    return found


def _leads_named(
    keys: list[tuple[int, str, str]], gaps: list[tuple[int | None, int | None]]
) -> Iterator[tuple[int, int, str, str]]:
    """(id, account, lower-cased first name, lower-cased last name) of every lead in ``gaps``
    (``_id_gaps``) whose account and names are exactly one of ``keys``.

    The keys go to the database as one list per batch and are joined to the leads on the account's
    index, so each key reads only its account's leads. (Filtering on the accounts and on the last
    names separately would read every lead of every account in the batch: a chunk of an import
    touches most accounts, and that read grew with the table.) A branch per gap, each a seek per key
    in the (account, last name, first name, id) index."""
    lead = connection.ops.quote_name(Lead._meta.db_table)
    columns = "l.id, l.account_id, LOWER(l.first_name), LOWER(l.last_name)"
    for batch in _batches(keys):
        branches: list[str] = []
        params: list[Any] = []
        for gap in gaps:
            bounds, bound_params = _in_gap("l.id", gap)
            if connection.vendor == "postgresql":
                branches.append(
                    f"SELECT {columns} FROM unnest(%s::bigint[], %s::text[], %s::text[]) "
                    f"AS k(account, fname, lname) JOIN {lead} l ON l.account_id = k.account "
                    f"AND LOWER(l.last_name) = k.lname AND LOWER(l.first_name) = k.fname{bounds}"
                )
                params += [
                    pg_array([k[0] for k in batch]),
                    pg_array([k[1] for k in batch]),
                    pg_array([k[2] for k in batch]),
                ]
            elif connection.vendor == "sqlite":
                branches.append(
                    f"SELECT {columns} FROM json_each(%s) AS k "
                    f"JOIN {lead} l ON l.account_id = json_extract(k.value, '$[0]') "
                    "AND LOWER(l.last_name) = json_extract(k.value, '$[2]') "
                    f"AND LOWER(l.first_name) = json_extract(k.value, '$[1]'){bounds}"
                )
                params.append(json.dumps(batch))
            else:  # any other database: the same rows through the ORM, one key at a time
                low, high = gap
                for account_id, first_key, last_key in batch:
                    found = Lead.objects.annotate(first_key=Lower("first_name"), last_key=Lower("last_name"))
                    found = found.filter(account_id=account_id, first_key=first_key, last_key=last_key)
                    if low is not None:
                        found = found.filter(pk__gt=low)
                    if high is not None:
                        found = found.filter(pk__lt=high)
                    yield from found.values_list("pk", "account_id", "first_key", "last_key")
                continue
            params += bound_params
        if not branches:
            continue
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(branches), params)
            yield from cursor.fetchall()


# A checked lead's keys, and the table's highest id ("top", the same on every row).
_KEYED = ("pk", "phone", "phone_key", "account_id", "first_name", "last_name", "first_key", "last_key", "top")


def _leads_keyed(ids: list[int]) -> list[dict[str, Any]]:
    """The matching keys of the leads ``ids`` (sorted), in id order, and the table's highest id
    (``top``, for ``_id_gaps``): plain SQL, the same for a batch of one (each lead a door takes in) or
    of thousands; the ORM compiled this query on every call."""
    quote = connection.ops.quote_name
    names = ("id", "phone", "phone_key", "account", "first_name", "last_name")
    fields = {f.name: f for f in Lead._meta.concrete_fields}
    columns = [quote(fields[name].column) for name in names]
    first, last = columns[4], columns[5]
    table = quote(Lead._meta.db_table)
    top = f"(SELECT MAX({columns[0]}) FROM {table})"
    select = f"SELECT {', '.join(columns)}, LOWER({first}), LOWER({last}), {top} FROM {table}"
    found: list[dict[str, Any]] = []
    with connection.cursor() as cursor:
        for batch in _batches(ids):
            where, params = in_values_sql(columns[0], batch, connection)  # one array on PostgreSQL
            cursor.execute(f"{select} WHERE {where} ORDER BY {columns[0]}", params)
            found.extend(dict(zip(_KEYED, row, strict=True)) for row in cursor.fetchall())
    return found


def possible_duplicates_among(lead_ids: Iterable[int]) -> list[DuplicateCandidate]:
    """Other leads that may be the same person as each of ``lead_ids``: the same phone number, or the
    same name (case-insensitive) at the same account. Per lead and in bulk alike: a few queries per
    5,000 leads through indexed keys (``phone_key``; the account with the lower-cased names),
    never one query per lead. Pairs come back once each, the smaller id first, phone before name."""
    ids = sorted(set(lead_ids))
    if not ids:
        return []
    mine = _leads_keyed(ids)
    # The leads themselves are known: the look-ups ask only for the others (``_id_gaps``).
    gaps = _id_gaps([m["pk"] for m in mine], top=mine[0]["top"] if mine else None)
    phones = {(m["pk"], m["phone_key"]) for m in mine if m["phone_key"]}
    phones.update(_leads_phoned(sorted({key for _, key in phones}), gaps))
    by_phone: dict[str, list[int]] = {}
    for pk, key in sorted(phones):
        by_phone.setdefault(key, []).append(pk)
    named = {
        (m["pk"], m["account_id"], m["first_key"], m["last_key"])
        for m in mine
        if m["account_id"] and m["first_name"] and m["last_name"]
    }
    # In the index's order (account, last name, first name): each batch reads its part of the index.
    named.update(_leads_named(sorted({row[1:] for row in named}, key=lambda k: (k[0], k[2], k[1])), gaps))
    by_name: dict[tuple[int, str, str], list[int]] = {}
    for pk, account_id, first_key, last_key in sorted(named):
        by_name.setdefault((account_id, first_key, last_key), []).append(pk)
    found: dict[tuple[int, int], DuplicateCandidate] = {}
    # Newest first: when both leads of a pair are in the batch, the later one names the pair (its
    # phone as written, its name), as it would have found the earlier one arriving one by one.
    for m in reversed(mine):
        pk = m["pk"]
        if m["phone_key"]:
            others = [o for o in by_phone.get(m["phone_key"], ()) if o != pk][:DUPLICATES_PER_REASON]
            for other in others:
                pair = (min(pk, other), max(pk, other))
                found.setdefault(pair, DuplicateCandidate(*pair, f"same phone number {m['phone']}", 90))
        if m["account_id"] and m["first_name"] and m["last_name"]:
            key = (m["account_id"], m["first_key"], m["last_key"])
            full_name = f"{m['first_name']} {m['last_name']}".strip()
            others = [o for o in by_name.get(key, ()) if o != pk and (min(pk, o), max(pk, o)) not in found]
            for other in others[:DUPLICATES_PER_REASON]:
                pair = (min(pk, other), max(pk, other))
                found[pair] = DuplicateCandidate(*pair, f"same name {full_name} at the same account", 80)
    return list(found.values())
