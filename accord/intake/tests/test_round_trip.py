"""Every main record out and in: leads, accounts and deals exported as CSV import into an empty
instance as the same records, and importing them again updates rather than duplicates."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from accord.audit.models import ExportRecord
from accord.campaigns.models import Touchpoint
from accord.core.models import Event
from accord.deals.models import Deal
from accord.intake.importing.engine import leads_import
from accord.intake.importing.records import records_import
from accord.intake.services import lead_intake
from accord.leads.models import Account, AccountDomain, Lead, PossibleDuplicate

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def lead_snapshot() -> list[tuple]:
    return sorted(
        (
            lead.email, lead.salutation, lead.first_name, lead.last_name, lead.title, lead.company,
            lead.phone, lead.mobile, lead.fax, lead.website, lead.industry, lead.company_size,
            lead.annual_revenue, lead.street, lead.city, lead.postal_code, lead.country, lead.message,
            lead.utm_campaign, lead.consent, lead.consent_text, tuple(sorted(lead.custom.items())),
            lead.account.name if lead.account_id else None,
        )
        for lead in Lead.objects.select_related("account")
    )  # fmt: skip


def account_snapshot() -> list[tuple]:
    return sorted(
        (a.name, a.industry, a.size, a.country, a.owner.username if a.owner else None,
         tuple(sorted(a.domains.values_list("domain", flat=True))))
        for a in Account.objects.select_related("owner")
    )  # fmt: skip


def deal_snapshot() -> list[tuple]:
    return sorted(
        (d.name, d.contact.email, d.account.name, d.amount, d.currency, d.stage, d.expected_close,
         d.owner.username if d.owner else None)
        for d in Deal.objects.select_related("contact", "account", "owner")
    )  # fmt: skip


def download(client, url: str, tmp_path: Path, name: str) -> Path:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    path = tmp_path / name
    path.write_bytes(body)
    return path


@time_machine.travel(NOW, tick=False)
def test_leads_accounts_and_deals_exported_import_into_an_empty_instance_as_the_same_records(
    personas, client_for, tmp_path
):
    acme = Account.objects.create(name="Acme Health", name_key="acme health", industry="Healthcare", size=450,
                                  country="UK", owner=personas.bob)  # fmt: skip
    AccountDomain.objects.create(account=acme, domain="acme.example")
    AccountDomain.objects.create(account=acme, domain="acmehealth.example")
    for data in (
        {"email": "ana@acme.example", "salutation": "Dr.", "first_name": "Ana", "last_name": "Ruiz",
         "title": "CMO", "company": "Acme Health", "phone": "+44 20 7946 0000", "mobile": "+44 7700 900123",
         "company_size": "450", "annual_revenue": "12M", "street": "1 Main St", "city": "Leeds",
         "postal_code": "LS1 1AA", "country": "UK", "message": "Call me, please.\nMornings.",
         "utm_campaign": "spring", "consent": "yes", "consent_text": "I agree to hear from Acme.",
         "custom.plan": "gold", "00N5e00000ABCDE": "=1+2"},
        {"email": "ben@acme.example", "first_name": "Ben", "company": "Acme Health", "emailOptOut": "1"},
        {"email": "cy@gamma.example", "first_name": "Cy", "company": "Gamma Labs", "website": "gamma.example",
         "industry": "Biotech", "custom.lifecyclestage": "lead"},
    ):  # fmt: skip
        lead_intake(data=data, channel="form")
    ana, cy = Lead.objects.get(email="ana@acme.example"), Lead.objects.get(email="cy@gamma.example")
    Deal.objects.create(name="Acme pilot", account=acme, contact=ana, owner=personas.bob, amount=Decimal("25000"),
                        currency="GBP", stage="proposal", expected_close=datetime(2026, 6, 30).date())  # fmt: skip
    Deal.objects.create(name="Gamma study", account=cy.account, contact=cy, owner=personas.carol,
                        amount=Decimal("9900.50"), currency="USD")  # fmt: skip
    before = (lead_snapshot(), account_snapshot(), deal_snapshot())

    client = client_for(personas.root)
    leads_file = download(client, "/leads/export.csv", tmp_path, "leads.csv")
    accounts_file = download(client, "/exports/accounts.csv", tmp_path, "accounts.csv")
    deals_file = download(client, "/exports/deals.csv", tmp_path, "deals.csv")
    assert set(ExportRecord.objects.values_list("what", flat=True)) == {"leads", "accounts", "deals"}
    rows = list(csv.DictReader(io.StringIO(leads_file.read_text(encoding="utf-8"))))
    ana_row = next(r for r in rows if r["email"] == "ana@acme.example")
    assert (
        ana_row["custom_fields"] == '{"00N5e00000ABCDE": "=1+2", "plan": "gold"}'
    )  # a JSON cell, not a formula
    # Formula-escaped for spreadsheets; the import reads Accord's own files unescaped.
    assert ana_row["mobile"] == "'+44 7700 900123" and ana_row["accord_owner"] == ""

    # An empty instance: no deals, leads or accounts (nor what hangs off them).
    Deal.objects.all().delete()
    Touchpoint.objects.all().delete()
    PossibleDuplicate.objects.all().delete()
    Lead.objects.all().delete()
    Account.objects.all().delete()
    Event.objects.all().delete()

    accounts = records_import(kind="accounts", path=accounts_file)
    leads = leads_import(path=leads_file, source=None, now=NOW)
    deals = records_import(kind="deals", path=deals_file)

    assert (accounts["created"], accounts["rejected"]) == (2, 0)
    assert (leads["created"], leads["rejected"], leads["kept_with_warnings"]) == (3, 0, 0)
    assert sorted(leads["ignored_columns"]) == sorted(
        ["accord_id", "accord_stage", "accord_score", "accord_owner", "accord_source", "accord_account",
         "accord_created_at"]
    )  # fmt: skip
    assert (deals["created"], deals["rejected"]) == (2, 0)
    assert (lead_snapshot(), account_snapshot(), deal_snapshot()) == before

    # Again: everything is found, nothing duplicated.
    again = [
        records_import(kind="accounts", path=accounts_file),
        leads_import(path=leads_file, source=None, now=NOW),
        records_import(kind="deals", path=deals_file),
    ]
    assert [s["created"] for s in again] == [0, 0, 0]
    assert (Account.objects.count(), Lead.objects.count(), Deal.objects.count()) == (2, 3, 2)
    assert (lead_snapshot(), account_snapshot(), deal_snapshot()) == before
