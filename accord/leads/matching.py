"""Matching a submission to the person and the account Accord already knows.

People match on the lower-cased email (unique). Accounts match on the email's domain (free-mail
domains excluded), then the website's domain, then the company name: exactly after normalisation,
else fuzzily (rapidfuzz) at or above ``ACCORD_COMPANY_MATCH_THRESHOLD``. The per-record pipeline
and the bulk import use the same ``AccountIndex``, so both doors match the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from rapidfuzz import fuzz, process

from accord.leads.models import Account, AccountDomain, Lead
from accord.leads.normalize import company_key, email_domain, free_mail_domains, normalize_domain


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
        self._free = free_mail_domains()
        self.threshold = settings.ACCORD_COMPANY_MATCH_THRESHOLD

    def preload(self) -> AccountIndex:
        self._domains = dict(AccountDomain.objects.values_list("domain", "account_id"))
        self._names = {}
        for account_id, key in Account.objects.order_by("id").values_list("id", "name_key"):
            self._names.setdefault(key, account_id)
        return self

    def remember(self, account_id: int, *, name_key: str, domain: str = "") -> None:
        """Teach a preloaded index about an account created during the run."""
        if self._names is not None and name_key:
            self._names.setdefault(name_key, account_id)
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
        return AccountDomain.objects.filter(domain=domain).values_list("account_id", flat=True).first()

    def _by_name(self, key: str) -> int | None:
        if self._names is not None:
            return self._names.get(key)
        return Account.objects.filter(name_key=key).order_by("id").values_list("id", flat=True).first()

    def _fuzzy(self, key: str) -> tuple[int, int] | None:
        if self._names is not None:
            choices: dict[int, str] = {v: k for k, v in self._names.items()}
        else:
            choices = dict(Account.objects.exclude(name_key="").values_list("id", "name_key"))
        if not choices:
            return None
        best = process.extractOne(key, choices, scorer=fuzz.token_sort_ratio, score_cutoff=self.threshold)
        if best is None:
            return None
        _, score, account_id = best
        return account_id, int(score)

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


def possible_duplicates_of(lead: Lead) -> list[tuple[Lead, str, int]]:
    """Other leads that may be the same person: same phone, or same name at the same account."""
    found: dict[int, tuple[Lead, str, int]] = {}
    if lead.phone_key:
        for other in Lead.objects.filter(phone_key=lead.phone_key).exclude(pk=lead.pk)[:20]:
            found[other.pk] = (other, f"same phone number {lead.phone}", 90)
    if lead.account_id and lead.first_name and lead.last_name:
        same_name = (
            Lead.objects.filter(
                account_id=lead.account_id,
                first_name__iexact=lead.first_name,
                last_name__iexact=lead.last_name,
            )
            .exclude(pk=lead.pk)
            .exclude(pk__in=found)[:20]
        )
        for other in same_name:
            found[other.pk] = (other, f"same name {lead.full_name} at the same account", 80)
    return list(found.values())
