"""The field catalogue: one lead gives the same record through the model and through SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accord.leads.models import Account, Source
from accord.qualification.bulk import activities_frame, records_frame
from accord.qualification.fields import FIELDS, field_validate, lead_activities, lead_record
from accord.qualification.models import CriteriaStatus
from accord.qualification.services import criteria_rescore
from accord.qualification.tests.factories import criteria_with_rules, intake_event, lead_create


def test_unknown_fields_are_refused_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed: email, email_domain"):
        field_validate("favourite_colour")
    field_validate("custom.budget")
    field_validate("account.size")


def test_a_lead_record_has_every_catalogue_field_and_its_custom_fields(db):
    account = Account.objects.create(name="Acme", name_key="acme", industry="Health", size=450, country="DE")
    source = Source.objects.create(name="Website")
    lead = lead_create(
        "Jo@Acme.com",
        title="VP Ops",
        company_size=120,
        account=account,
        source=source,
        custom={"budget": 5000, "urgent": True, "note": ""},
    )
    record = lead_record(lead)
    assert set(FIELDS) <= set(record)
    assert record["email_domain"] == "Acme.com"
    assert (record["account.size"], record["account.industry"], record["source"]) == (
        450,
        "Health",
        "Website",
    )
    assert (record["custom.budget"], record["custom.urgent"], record["custom.note"]) == ("5000", "true", None)
    assert record["city"] is None

    row = records_frame([lead.pk]).row(0, named=True)
    assert {k: row[k] for k in record} == record


def test_a_lead_read_without_its_account_reads_it_once_for_its_record(db, django_assert_num_queries):
    account = Account.objects.create(name="Acme", name_key="acme", industry="Health", size=450, country="DE")
    lead = lead_create("jo@acme.com", account=account)
    fresh = type(lead).objects.get(pk=lead.pk)  # the account not fetched with it
    with django_assert_num_queries(1):
        record = lead_record(fresh)
        assert lead_record(fresh) == record  # the second time from the lead's cache
    assert (record["account.name"], record["account.size"], record["account.country"]) == ("Acme", 450, "DE")
    assert fresh.account == account and fresh.account.industry == "Health"
    fresh.account_id = None
    fresh.account = None
    assert lead_record(fresh)["account.name"] is None


def test_records_frame_pads_custom_fields_other_leads_do_not_have(db):
    first = lead_create("a@x.com", custom={"tier": "gold"})
    second = lead_create("b@x.com")
    frame = records_frame([first.pk, second.pk]).sort("lead_key")
    assert frame.get_column("custom.tier").to_list() == ["gold", None]


def test_activities_come_from_intake_events(db):
    lead = lead_create("a@x.com")
    now = timezone.now()
    intake_event(lead, activity="demo request", at=now - timedelta(days=1))
    intake_event(lead, activity="", at=now, channel="email")
    activities = lead_activities(lead)
    assert [(a.kind, a.channel) for a in activities] == [("demo request", "form"), ("inquiry", "email")]
    frame = activities_frame([lead.pk])
    assert frame.get_column("kind").to_list() == ["demo request", "inquiry"]


def test_rescoring_many_leads_takes_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    criteria = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    for i in range(60):
        lead_create(f"vp{i}@acme.com", title="VP" if i % 2 else "Analyst", company_size=i * 10)
    with django_assert_max_num_queries(12):
        counts = criteria_rescore(criteria_set=criteria)
    assert counts["evaluated"] == 60
