"""Normalising submissions: aliases, cleaning and specific errors."""

from __future__ import annotations

import pytest

from accord.leads.normalize import (
    company_key,
    flatten_hubspot,
    normalize_phone,
    normalize_submission,
    resolve_field,
)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("First Name", "first_name"),
        ("firstname", "first_name"),
        ("FIRST-NAME", "first_name"),
        ("\ufeffEmail", "email"),
        ("jobtitle", "title"),
        ("numemployees", "company_size"),
        ("employees", "company_size"),
        ("mobilephone", "mobile"),
        ("mobile", "mobile"),
        ("E-mail", "email"),
        ("e_mail", "email"),
        ("Email Address", "email"),
        ("# Employees", "company_size"),
        ("Budget (USD)", "custom.budget_usd"),
        ("00N5e00000ABCDE", "custom.00N5e00000ABCDE"),
        ("Campaign_ID", "campaign_ref"),
        ("zip", "postal_code"),
        ("revenue", "annual_revenue"),
        ("lead_source", "lead_source"),
        ("retURL", None),
        ("oid", None),
        ("Favourite colour", "custom.favourite_colour"),
        ("custom.budget", "custom.budget"),
    ],
)
def test_it_resolves_field_names_of_other_systems(name, field):
    assert resolve_field(name) == field


def test_it_lowercases_and_trims_the_email():
    sub = normalize_submission({"email": "  Ana.Ruiz@Acme.COM "})
    assert sub.ok
    assert sub.fields["email"] == "ana.ruiz@acme.com"


@pytest.mark.parametrize("email", ["ana", "ana@", "@acme.com", "ana@acme", "a na@acme.com", "ana@@acme.com"])
def test_it_rejects_malformed_email_with_a_message_naming_it(email):
    sub = normalize_submission({"email": email})
    assert not sub.ok
    assert "not a valid email address" in sub.errors["email"]


def test_it_requires_an_email():
    sub = normalize_submission({"first_name": "Ana"})
    assert sub.errors == {"email": "is required"}


def test_it_reports_overlong_fields_with_their_limit():
    sub = normalize_submission({"email": "a@b.co", "first_name": "x" * 101})
    assert "at most 100" in sub.errors["first_name"]


@pytest.mark.parametrize(("raw", "size"), [("250", 250), ("1,200", 1200), ("500+", 500), ("201-500", 201)])
def test_it_reads_company_sizes_as_people_write_them(raw, size):
    assert normalize_submission({"email": "a@b.co", "employees": raw}).fields["company_size"] == size


def test_it_rejects_a_company_size_that_is_not_a_number():
    sub = normalize_submission({"email": "a@b.co", "company_size": "lots"})
    assert "not a whole number" in sub.errors["company_size"]


def test_it_keeps_formula_looking_values_as_text():
    sub = normalize_submission({"email": "a@b.co", "company": '=HYPERLINK("x")'})
    assert sub.fields["company"] == '=HYPERLINK("x")'


def test_it_strips_control_characters():
    sub = normalize_submission({"email": "a@b.co", "last_name": "Ru\x00iz\x07"})
    assert sub.fields["last_name"] == "Ruiz"


def test_it_strips_invisible_characters_that_disguise_a_value_but_keeps_joiners():
    sub = normalize_submission(
        {
            "email": "a@b.co",
            "first_name": "\u200b\u200b",  # zero-width spaces only: nothing
            "last_name": "Ev\u202eil\u202c\u2066x\u2069\x7f\x85\ufeff",
            "company": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: the ZWNJ stays
            "title": "\U0001f469\u200d\U0001f4bb Lead",  # emoji joined by ZWJ
        }
    )
    assert "first_name" not in sub.fields
    assert sub.fields["last_name"] == "Evilx"
    assert "\u200c" in sub.fields["company"] and "\u200d" in sub.fields["title"]


def test_it_refuses_a_json_object_where_text_is_expected():
    sub = normalize_submission({"email": "a@b.co", "first_name": {"a": 1}, "last_name": [["x"]]})
    assert "JSON object" in sub.errors["first_name"]
    assert "JSON object" in sub.errors["last_name"]
    assert normalize_submission({"email": "a@b.co", "interests": ["a", "b"]}).custom == {"interests": "a, b"}


def test_it_refuses_a_lone_surrogate_naming_the_field():
    sub = normalize_submission({"email": "a@b.co", "first_name": "Ana\ud800", "custom.plan": "\udfff"})
    assert "unpaired UTF-16 surrogate" in sub.errors["first_name"]
    assert "unpaired UTF-16 surrogate" in sub.errors["custom.plan"]
    assert normalize_submission({"email": "a@b.co", "first_name": "Ana \U0001f600"}).ok


def test_ignored_field_names_are_kept_without_nul_bytes_or_lone_surrogates():
    sub = normalize_submission({"email": "a@b.co", "a\x00b!": "x", "\ud800!": "y"})
    assert sub.ok
    assert sub.ignored == ["ab!", "\ufffd!"]


def test_it_turns_an_email_opt_out_into_denied_consent():
    assert normalize_submission({"email": "a@b.co", "emailOptOut": "1"}).fields["consent"] == "denied"
    # Not having opted out is not consent: the answer stays unknown.
    assert "consent" not in normalize_submission({"email": "a@b.co", "emailOptOut": "0"}).fields


def test_it_names_the_activity_in_snake_case():
    assert normalize_submission({"email": "a@b.co", "activity": "Demo Request!"}).activity == "demo_request"


def test_it_refuses_two_columns_giving_one_field_different_values():
    sub = normalize_submission({"email": "a@b.co", "firstname": "Ana", "First Name": "Anna"})
    assert "second, different value" in sub.errors["First Name"]


def test_it_flattens_hubspot_form_submissions():
    body = {
        "fields": [{"name": "email", "value": "a@b.co"}, {"name": "firstname", "value": "Ana"}],
        "context": {"pageUri": "https://example.com/demo"},
        "legalConsentOptions": {"consent": {"consentToProcess": True}},
    }
    flat = flatten_hubspot(body)
    sub = normalize_submission(flat)
    assert sub.fields["first_name"] == "Ana"
    assert sub.fields["consent"] == "granted"


def test_company_keys_ignore_case_punctuation_and_legal_suffixes():
    assert company_key("ACME, Inc.") == company_key("Acme Inc") == company_key("acme")
    assert company_key("Müller GmbH") == "muller"


@pytest.mark.parametrize(
    ("raw", "key"),
    [("+49 (0)30 1234-567", "+490301234567"), ("0049 30 1234567", "+49301234567"), ("123", "")],
)
def test_phone_keys_keep_digits_only(raw, key):
    assert normalize_phone(raw) == key


def test_one_submission_sets_at_most_the_custom_field_limit():
    from accord.leads.normalize import MAX_CUSTOM_FIELDS

    fits = normalize_submission(
        {"email": "a@b.co", **{f"custom.f{i}": "x" for i in range(MAX_CUSTOM_FIELDS)}}
    )
    assert fits.ok and len(fits.custom) == MAX_CUSTOM_FIELDS
    over = normalize_submission(
        {"email": "a@b.co", **{f"custom.f{i}": "x" for i in range(MAX_CUSTOM_FIELDS + 1)}}
    )
    assert (
        over.errors["custom"]
        == f"has {MAX_CUSTOM_FIELDS + 1} custom fields; at most {MAX_CUSTOM_FIELDS} fit in one submission"
    )
