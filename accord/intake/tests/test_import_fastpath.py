"""The import's shortcuts give exactly what the per-record functions give (property tests)."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.intake.importing.engine import _record_column
from accord.intake.importing.rows import _created_changes_json, _created_prefixes, _iso_default, _json_scalar
from accord.leads.models import Stage
from accord.leads.normalize import (
    _CONTROL,
    _company_key,
    _resolve_field,
    clean_text,
    company_key,
    normalize_submission,
    resolve_field,
)
from accord.leads.submissions import UPDATABLE_FIELDS
from accord.qualification.fields import FIELDS, record_from_values

# Cells as files have them: ASCII, accents, other scripts, control characters, odd whitespace.
CELL = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=127), max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "  a@b.co ",
            "A@B.CO",
            "x\t",
            "\x00y",
            "e\u0301",
            "\u00a0x\u00a0",
            "\u2028",
            "250",
            " 1,200 ",
            "201-500",
            "10000001",
            "lots",
            "yes",
            "No",
            "opt-in",
            "\ufeffEmail",
            "Müller",
            "\x7f",
        ]
    ),
)
HEADERS = [
    "Email",
    "First Name",
    "Last Name",
    "Company",
    "Employees",
    "Consent",
    "Website",
    "Activity",
    "Favourite Product",
    "custom.Tier",
    "utm_source",
    "HS_Context",
    "E-Mail",
    "email_address",
]


def _clean_text_reference(value: str) -> str:
    return unicodedata.normalize("NFC", value.translate(_CONTROL)).strip()


@settings(max_examples=500, deadline=None)
@given(CELL)
def test_clean_texts_shortcut_gives_what_the_full_cleaning_gives(value):
    assert clean_text(value) == _clean_text_reference(value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from(HEADERS), st.text(max_size=20)))
def test_the_cached_field_resolution_gives_what_resolution_gives(name):
    assert resolve_field(name) == _resolve_field(name)
    assert resolve_field(name) == _resolve_field(name)  # a second, cached answer too


@settings(max_examples=300, deadline=None)
@given(st.one_of(CELL, st.sampled_from(["Acme, Inc.", "The Acme Group GmbH", "Zoë & Co", "ACME"])))
def test_the_cached_company_key_gives_what_company_key_gives(name):
    assert company_key(name) == _company_key(name) == company_key(name)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(HEADERS), CELL, max_size=len(HEADERS)))
def test_a_row_normalises_the_same_with_the_cache(row):
    resolve_field.__globals__["_resolve_field_cached"].cache_clear()
    first = normalize_submission(row)
    second = normalize_submission(row)  # every header now cached
    assert vars(first) == vars(second)


TEXT = st.one_of(st.just(""), st.text(max_size=8))
NAMESPACE = st.builds(
    lambda values, size, email, consent, custom, account: (
        SimpleNamespace(
            **dict(zip([n for n in UPDATABLE_FIELDS if n != "company_size"], values, strict=False)),
            company_size=size,
            email=email,
            consent=consent,
            custom=custom,
        ),
        account,
    ),
    st.lists(TEXT, min_size=len(UPDATABLE_FIELDS) - 1, max_size=len(UPDATABLE_FIELDS) - 1),
    st.one_of(st.none(), st.integers(0, 10_000_000)),
    st.sampled_from(["a@b.co", "x@corp.io", ""]),
    st.sampled_from(["unknown", "granted", "denied"]),
    st.dictionaries(st.sampled_from(["favourite_product", "tier", "n"]), st.one_of(TEXT, st.integers())),
    st.one_of(st.none(), st.tuples(TEXT, TEXT, st.one_of(st.none(), st.integers(0, 5000)), TEXT)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAMESPACE, min_size=1, max_size=5), st.sampled_from([None, "", "CSV import"]))
def test_record_columns_are_the_records_of_record_from_values(leads, source_name):
    namespaces = [ns for ns, _ in leads]
    accounts = [account for _, account in leads]
    names = [*FIELDS, "custom.favourite_product", "custom.tier", "custom.n", "custom.absent", "no_such"]
    for name in names:
        expected = []
        for ns, account in leads:
            values = {n: getattr(ns, n) for n in UPDATABLE_FIELDS}
            values.update(
                email=ns.email,
                consent=ns.consent,
                source__name=source_name,
                account__name=account[0] if account else None,
                account__industry=account[1] if account else None,
                account__size=account[2] if account else None,
                account__country=account[3] if account else None,
            )
            expected.append(record_from_values(values, ns.custom).get(name))
        assert _record_column(name, namespaces, accounts, source_name) == expected, name


def test_the_intake_event_payload_text_is_json_dumps_of_the_payload(db, tmp_path):
    from django.db import connection

    from accord.core.models import Event
    from accord.intake.importing.engine import leads_import

    path = tmp_path / "leads.csv"
    path.write_text('Email,Company,Activity\nada@acme.io,"Acme, Inc",demo_request\nbob@x.io,,\n', "utf-8")
    leads_import(path=path, source=None, error_path=tmp_path / "errors.csv")
    payloads = list(
        Event.objects.filter(type="lead.intake").order_by("subject_id").values_list("payload", flat=True)
    )
    assert [p["activity"] for p in payloads] == ["demo_request", "inquiry"]
    assert payloads[0]["changes"]["company"] == ["", "Acme, Inc"]
    assert payloads[0]["account_match"] == "created" and payloads[1]["account_match"] == ""
    keys = [
        "created",
        "channel",
        "source",
        "activity",
        "changes",
        "account_match",
        "ignored_fields",
        "import_job",
    ]
    assert sorted(payloads[0]) == sorted(keys)
    if connection.vendor == "sqlite":  # stored as the text itself: exactly json.dumps of the payload
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Event._meta.db_table)
            cursor.execute(f"SELECT payload FROM {table} WHERE type = 'lead.intake' ORDER BY subject_id")
            texts = [row[0] for row in cursor.fetchall()]
        assert texts == [json.dumps({k: p[k] for k in keys}) for p in payloads]


def test_accounts_created_in_bulk_are_the_rows_lead_link_account_makes(db, tmp_path):
    from accord.intake.importing.engine import leads_import
    from accord.leads.models import Account, AccountDomain, Lead
    from accord.leads.submissions import lead_link_account

    path = tmp_path / "leads.csv"
    path.write_text(
        "Email,Company,Industry,Employees,Country,Website\n"
        "ada@zorvenka.io,Zorvenka Tek GmbH,Software,250,DE,https://www.zorvenka.io/about\n"
        "bob@zorvenka.io,Other Name,,,,\n"
        "cy@gmail.com,zorvenka tek,,,,\n"
        "dee@gmail.com,Belqui Labs Ltd,Retail,12,FR,belqui.com\n",
        "utf-8",
    )
    summary = leads_import(path=path, source=None, error_path=tmp_path / "errors.csv")
    assert summary["accounts_created"] == 2
    imported = {
        a.name: (
            a.name_key,
            a.industry,
            a.size,
            a.country,
            a.website,
            sorted(a.domains.values_list("domain", flat=True)),
        )
        for a in Account.objects.all()
    }
    links = dict(Lead.objects.values_list("email", "account__name"))
    # The same leads, one by one through the per-record step, in a fresh set of accounts.
    AccountDomain.objects.all().delete()
    Lead.objects.update(account=None)
    Account.objects.all().delete()
    for lead in Lead.objects.order_by("id"):
        lead_link_account(lead)
        lead.save()
    per_record = {
        a.name: (
            a.name_key,
            a.industry,
            a.size,
            a.country,
            a.website,
            sorted(a.domains.values_list("domain", flat=True)),
        )
        for a in Account.objects.all()
    }
    assert imported == per_record
    assert links == dict(Lead.objects.values_list("email", "account__name"))
    assert links["bob@zorvenka.io"] == links["cy@gmail.com"] == "Zorvenka Tek GmbH"


SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.datetimes(timezones=st.sampled_from([UTC, None])),
    st.sampled_from([Stage.MQL, Stage.NURTURE, "\u2028", "\ud7ff", "\U0001f600", 'a"b\\c', "\x00\x1f"]),
)


@settings(max_examples=500, deadline=None)
@given(SCALAR)
def test_a_scalar_encodes_as_json_dumps_encodes_it(value):
    assert _json_scalar(value) == json.dumps(value, default=_iso_default)


@settings(max_examples=300, deadline=None)
@given(st.lists(SCALAR, min_size=5, max_size=5), st.sampled_from([[], [0], [4, 1], [0, 1, 2, 3, 4]]))
def test_the_audit_create_text_is_json_dumps_of_the_changes(row, positions):
    columns = [(["email", "company_size", "stage", "consent_at", "score"][i], i) for i in positions]
    expected = {name: [None, row[i]] for name, i in columns if row[i] not in (None, "", "{}", "[]")}
    text = _created_changes_json(row, _created_prefixes(columns))
    assert text == json.dumps(expected, default=_iso_default)
