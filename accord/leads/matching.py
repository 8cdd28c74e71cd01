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
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models.functions import Lower
from rapidfuzz import fuzz, process

from accord.core.lookups import in_values_sql
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


def _leads_named(keys: list[tuple[int, str, str]]) -> Iterator[tuple[int, int, str, str]]:
    """(id, account, lower-cased first name, lower-cased last name) of every lead whose account and
    names are exactly one of ``keys``, in id order per key.

    The keys go to the database as one list per batch and are joined to the leads on the account's
    index, so each key reads only its account's leads. (Filtering on the accounts and on the last
    names separately would read every lead of every account in the batch: a chunk of an import
    touches most accounts, and that read grew with the table.)"""
    lead = connection.ops.quote_name(Lead._meta.db_table)
    columns = "l.id, l.account_id, LOWER(l.first_name), LOWER(l.last_name)"
    for batch in _batches(keys):
        if connection.vendor == "postgresql":
            sql = (
                f"SELECT {columns} FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS k(account, fname, lname) "
                f"JOIN {lead} l ON l.account_id = k.account AND LOWER(l.last_name) = k.lname "
                "AND LOWER(l.first_name) = k.fname ORDER BY l.id"
            )
            params: list[Any] = [[k[0] for k in batch], [k[1] for k in batch], [k[2] for k in batch]]
        elif connection.vendor == "sqlite":
            sql = (
                f"SELECT {columns} FROM json_each(%s) AS k "
                f"JOIN {lead} l ON l.account_id = json_extract(k.value, '$[0]') "
                "AND LOWER(l.last_name) = json_extract(k.value, '$[2]') "
                "AND LOWER(l.first_name) = json_extract(k.value, '$[1]') ORDER BY l.id"
            )
            params = [json.dumps(batch)]
        else:  # any other database: the same rows through the ORM, one key at a time
            for account_id, first_key, last_key in batch:
                yield from (
                    Lead.objects.annotate(first_key=Lower("first_name"), last_key=Lower("last_name"))
                    .filter(account_id=account_id, first_key=first_key, last_key=last_key)
                    .order_by("pk")
                    .values_list("pk", "account_id", "first_key", "last_key")
                )
            continue
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            yield from cursor.fetchall()


_KEYED = ("pk", "phone", "phone_key", "account_id", "first_name", "last_name", "first_key", "last_key")


def _leads_keyed(ids: list[int]) -> list[dict[str, Any]]:
    """The matching keys of the leads ``ids`` (sorted), in id order: plain SQL, the same for a batch of
    one (each lead a door takes in) or of thousands; the ORM compiled this query on every call."""
    quote = connection.ops.quote_name
    names = ("id", "phone", "phone_key", "account", "first_name", "last_name")
    fields = {f.name: f for f in Lead._meta.concrete_fields}
    columns = [quote(fields[name].column) for name in names]
    first, last = columns[4], columns[5]
    select = f"SELECT {', '.join(columns)}, LOWER({first}), LOWER({last}) FROM {quote(Lead._meta.db_table)}"
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
    by_phone: dict[str, list[int]] = {}
    phones: list[tuple[int, str]] = []
    for batch in _batches(sorted({m["phone_key"] for m in mine if m["phone_key"]})):
        # Sorted here, not in SQL: asked for the id order, SQLite walks the whole table in that
        # order instead of seeking each number in the phone_key index.
        phones.extend(
            Lead.objects.filter(phone_key__in_array=batch).order_by().values_list("pk", "phone_key")
        )
    for pk, key in sorted(phones):
        by_phone.setdefault(key, []).append(pk)
    named = [m for m in mine if m["account_id"] and m["first_name"] and m["last_name"]]
    by_name: dict[tuple[int, str, str], list[int]] = {}
    for pk, account_id, first_key, last_key in _leads_named(
        sorted({(m["account_id"], m["first_key"], m["last_key"]) for m in named})
    ):
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
