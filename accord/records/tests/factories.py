"""Records for the list, bulk, account and search tests, made directly (the intake pipeline is tested
elsewhere; these tests are about reading and working rows in bulk)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accord.deals.models import Deal
from accord.leads.models import Account, Lead, Stage
from accord.leads.normalize import company_key


def account_make(name: str, **fields: Any) -> Account:
    return Account.objects.create(name=name, name_key=company_key(name), **fields)


def person_make(email: str, **fields: Any) -> Lead:
    fields.setdefault("stage", Stage.MQL)
    return Lead.objects.create(email=email, email_key=email.lower(), **fields)


def deal_make(name: str, *, account: Account, contact: Lead, owner: Any, **fields: Any) -> Deal:
    fields.setdefault("amount", Decimal("1000.00"))
    return Deal.objects.create(name=name, account=account, contact=contact, owner=owner, **fields)
