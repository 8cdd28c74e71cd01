"""The CSV import service: decoding, parsing, validation, folding, re-import, dry run, equivalence."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import IntegrityError

from accord.core.models import Event
from accord.intake.importing.accounts import FileAccountIndex
from accord.intake.importing.engine import LeadImport, leads_import
from accord.intake.importing.mapping import ERROR_COLUMNS
from accord.intake.importing.reading import ImportFileError
from accord.intake.services import lead_intake
from accord.leads.models import Account, AccountDomain, Lead, Source, Stage
from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus

HEADER = "Email,First Name,Last Name,Company,Title,Employees,Lead Source,Favourite Colour\n"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

RULES = [
    {"kind": "fit", "field": "title", "operator": "contains", "value": "VP", "points": 40},
    {"kind": "fit", "field": "company_size", "operator": "gte", "value": 200, "points": 30},
    {"kind": "fit", "field": "account.name", "operator": "present", "value": "", "points": 5},
    {"kind": "fit", "field": "custom.favourite_colour", "operator": "equals", "value": "blue", "points": 3},
    {
        "kind": "engagement",
        "field": "activity",
        "operator": "equals",
        "value": "demo_request",
        "points": 25,
        "half_life_days": 30,
    },
    {"kind": "engagement", "field": "activity", "operator": "present", "value": "", "points": 2},
    {
        "kind": "disqualifier",
        "field": "email_domain",
        "operator": "in",
        "value": ["competitor.com"],
        "points": 0,
    },
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ACCORD_IMPORT_CHUNK_ROWS = 100
    from accord.qualification import selectors

    selectors._active_cache.clear()  # ids repeat between tests once a transaction rolls back
    yield
    selectors._active_cache.clear()


def active_criteria(rules=None, threshold=60) -> CriteriaSet:
    criteria = CriteriaSet.objects.create(
        version=1, status=CriteriaStatus.ACTIVE, mql_threshold=threshold, activated_at=NOW
    )
    for i, rule in enumerate(RULES if rules is None else rules):
        CriteriaRule.objects.create(criteria_set=criteria, position=i, **rule)
    return criteria


def write(tmp_path: Path, text: str | bytes, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def errors_of(summary: dict) -> list[list[str]]:
    """The error file's rows read diagnostics first (row, line, column, error, fix), then the cells.

    The file itself has the user's columns first and the diagnostics last (see the layout test)."""
    from django.conf import settings

    path = Path(settings.MEDIA_ROOT) / summary["error_file"]
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    n = len(ERROR_COLUMNS)
    assert tuple(rows[0][-n:]) == ERROR_COLUMNS
    return [row[-n:] + row[:-n] for row in rows]


def test_it_imports_utf8_with_bom(db, tmp_path):
    path = write(tmp_path, "\ufeff" + HEADER + "ada@acme.com,Ada,Lovelace,Acme,CTO,250,Webinar,blue\n")
    summary = leads_import(path=path, now=NOW)
    assert summary["created"] == 1
    assert summary["encoding"] == "utf-8-sig"
    lead = Lead.objects.get()
    assert lead.email == "ada@acme.com"
    assert lead.first_name == "Ada"
    assert lead.company_size == 250
    assert lead.custom == {"favourite_colour": "blue"}


def test_it_reads_latin1_when_told_and_rejects_it_as_utf8_with_the_place(db, tmp_path):
    path = write(tmp_path, HEADER + "jose@acme.com,José,Núñez,Acme,CTO,10,,\n", encoding="latin-1")
    with pytest.raises(ImportFileError) as caught:
        leads_import(path=path, now=NOW)
    assert "line 2" in caught.value.message
    assert "--encoding latin-1" in caught.value.message
    assert Lead.objects.count() == 0
    summary = leads_import(path=path, encoding="latin-1", now=NOW)
    assert summary["created"] == 1
    assert summary["encoding"] == "latin-1"
    assert Lead.objects.get().last_name == "Núñez"


def test_it_rejects_an_unknown_encoding(db, tmp_path):
    path = write(tmp_path, HEADER)
    with pytest.raises(ImportFileError, match="Unknown encoding"):
        leads_import(path=path, encoding="klingon-8", now=NOW)


def test_it_handles_crlf_quoted_newlines_and_quoted_commas(db, tmp_path):
    text = (
        HEADER.replace("\n", "\r\n")
        + 'ada@acme.com,Ada,Lovelace,"Acme, Inc.",CTO,250,,\r\n'
        + 'bob@beta.io,Bob,"Multi\r\nLine",Beta,VP,,,\r\n'
        + "bad-email,Eve,Evil,Gamma,,,,\r\n"
    )
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert summary["created"] == 2
    assert summary["rejected"] == 1
    assert Lead.objects.get(email="ada@acme.com").company == "Acme, Inc."
    assert Lead.objects.get(email="bob@beta.io").last_name == "Multi\nLine"
    # the bad row starts on file line 5 because row 2 spans lines 3 and 4
    assert errors_of(summary)[1][:3] == ["3", "5", "Email"]


def test_formula_looking_cells_are_stored_as_text_and_escaped_in_the_error_file(db, tmp_path):
    text = HEADER + "ada@acme.com,=1+2,@SUM(A1),Acme,-VP,,,+blue\n" + "=cmd|' /C calc'!A0,x,y,z,,,,\n"
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.title) == ("=1+2", "@SUM(A1)", "-VP")
    assert lead.custom == {"favourite_colour": "+blue"}
    rejected = errors_of(summary)[1]
    assert rejected[5] == "'=cmd|' /C calc'!A0"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rejected)


def test_overlong_missing_and_malformed_values_are_reported_with_a_fix(db, tmp_path):
    text = (
        HEADER
        + "ada@acme.com,Ada,Lovelace,Acme,"
        + "T" * 300
        + ",,,\n"
        + ",NoEmail,Person,Acme,,,,\n"
        + "not-an-email,Bad,Email,Acme,,,,\n"
        + "ok@acme.com,Ok,Person,Acme,,lots,,\n"
        + "fine@acme.com,Fine,Person,Acme,,,,\n"
    )
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    # A bad optional cell (an overlong title, a company size of 'lots') is dropped with a warning and
    # the row kept; a missing or bad email rejects the row.
    assert summary["created"] == 3
    assert (summary["rejected"], summary["kept_with_warnings"]) == (2, 2)
    assert Lead.objects.get(email="ada@acme.com").title == ""
    assert Lead.objects.get(email="ok@acme.com").company_size is None
    rows = errors_of(summary)
    assert rows[0][:5] == ["error_row", "error_line", "error_column", "error", "how_to_fix"]
    assert rows[0][5:] == HEADER.strip().split(",")
    by_row = {r[0]: r for r in rows[1:]}
    assert by_row["1"][2] == "Title" and "300 characters" in by_row["1"][3] and "Shorten" in by_row["1"][4]
    assert by_row["2"][2] == "Email" and "is required" in by_row["2"][3] and "Fill in Email" in by_row["2"][4]
    assert "valid email" in by_row["3"][3] and "name@company.com" in by_row["3"][4]
    # The user's column, not the field behind it (company_size).
    assert by_row["4"][2] == "Employees" and by_row["4"][3].startswith(
        "Warning, row kept: Employees 'lots' is not a whole number"
    )
    assert by_row["4"][4].startswith("The row was imported without this value")
    assert "whole number" in by_row["4"][4]
    assert by_row["2"][5:] == ["", "NoEmail", "Person", "Acme", "", "", "", ""]


def test_unknown_columns_become_custom_fields_and_plumbing_is_ignored(db, tmp_path):
    text = "email,Shoe Size,oid,retURL\nada@acme.com,42,00D,https://x\n"
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert Lead.objects.get().custom == {"shoe_size": "42"}
    assert summary["ignored_columns"] == ["oid", "retURL"]


def test_ragged_rows_are_rejected_not_truncated(db, tmp_path):
    text = HEADER + "ada@acme.com,Ada,Lovelace,Acme,CTO,250,Webinar,blue,EXTRA\n" + "bob@beta.io,Bob\n"
    text += "carl@gamma.io,Carl,Gauss,Gamma,,,,\n"
    text += "dora@delta.io,Dora,,Delta,,,,,, ,\n"  # only empty cells beyond the header: kept
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert (summary["created"], summary["rejected"], summary["rows"]) == (2, 2, 4)
    assert Lead.objects.get(email="dora@delta.io").company == "Delta"
    rows = errors_of(summary)
    assert rows[1][2] == "row" and "9 fields" in rows[1][3] and "Quote values" in rows[1][4]
    assert rows[2][2] == "row" and "2 fields" in rows[2][3]
    assert rows[2][5:] == ["bob@beta.io", "Bob", "", "", "", "", "", ""]  # padded under the header


def test_duplicates_in_a_file_fold_into_one_lead_like_sequential_submissions(db, tmp_path):
    text = (
        HEADER
        + "Ada@Acme.com,Ada,,Acme,,,Webinar,\n"
        + "carl@gamma.io,Carl,,Gamma,,,,\n"
        + "ada@acme.com,,Lovelace,,CTO,250,Trade show,blue\n"
        + "ADA@ACME.COM,Augusta,,,,,,\n"
    )
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert (summary["created"], summary["merged"], summary["rows"]) == (2, 2, 4)
    ada = Lead.objects.get(email_key="ada@acme.com")
    assert (ada.first_name, ada.last_name, ada.title, ada.company_size) == ("Augusta", "Lovelace", "CTO", 250)
    assert ada.lead_source == "Webinar"  # first touch is kept
    assert ada.custom == {"favourite_colour": "blue"}
    assert Event.objects.filter(type="lead.intake", subject_id=ada.pk).count() == 1


def test_duplicates_across_chunks_fold_too(db, tmp_path, settings):
    settings.ACCORD_IMPORT_CHUNK_ROWS = 100
    lines = [f"p{i}@acme.com,P{i},,Acme,,,," for i in range(150)] + ["p3@acme.com,,Later,,,,,"]
    summary = leads_import(path=write(tmp_path, HEADER + "\n".join(lines) + "\n"), now=NOW)
    assert (summary["created"], summary["merged"], summary["updated"]) == (150, 1, 0)
    assert Lead.objects.get(email_key="p3@acme.com").last_name == "Later"
    assert Event.objects.filter(type="lead.updated").count() == 1


def test_reimporting_the_same_file_creates_and_changes_nothing(db, tmp_path):
    active_criteria()
    text = (
        HEADER
        + "ada@acme.com,Ada,Lovelace,Acme,VP Sales,250,Webinar,blue\n"
        + "bob@gmail.com,Bob,Builder,Beta,,,,\n"
        + "bob@gmail.com,Bob,Builder,Beta,,,,\n"
    )
    path = write(tmp_path, text)
    first = leads_import(path=path, now=NOW)
    assert (first["created"], first["merged"]) == (2, 1)
    snapshot = list(Lead.objects.order_by("id").values())
    events = Event.objects.count()
    accounts = Account.objects.count()
    again = leads_import(path=path, now=datetime(2026, 3, 9, tzinfo=UTC))
    assert (again["created"], again["updated"], again["unchanged"], again["merged"]) == (0, 0, 2, 1)
    assert list(Lead.objects.order_by("id").values()) == snapshot
    assert Event.objects.count() == events
    assert Account.objects.count() == accounts


def test_an_existing_lead_is_updated_through_merged_into_and_rescored(db, tmp_path):
    active_criteria()
    survivor = Lead.objects.create(email="ada@acme.com", email_key="ada@acme.com", first_name="Ada")
    Lead.objects.create(email="old@acme.com", email_key="old@acme.com", merged_into=survivor)
    text = HEADER + "old@acme.com,,,Acme,VP Engineering,500,,\n"
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert (summary["created"], summary["updated"]) == (0, 1)
    survivor.refresh_from_db()
    assert (survivor.title, survivor.company_size) == ("VP Engineering", 500)
    assert survivor.account is not None and survivor.account.name == "Acme"
    event = Event.objects.get(type="lead.updated", subject_id=survivor.pk)
    assert event.channel == "import"
    assert event.payload["changes"]["title"] == ["", "VP Engineering"]
    assert survivor.score == 40 + 30 + 5  # re-scored by the bulk re-score (no activities on record)
    assert survivor.criteria_version_id is not None


def test_a_dry_run_counts_but_writes_nothing(db, tmp_path):
    Lead.objects.create(email="ada@acme.com", email_key="ada@acme.com", first_name="Ada")
    Lead.objects.create(email="same@acme.com", email_key="same@acme.com", first_name="Same")
    text = (
        HEADER
        + "ada@acme.com,Ada,Lovelace,Acme,,,,\n"
        + "same@acme.com,Same,,,,,,\n"
        + "new@beta.io,New,,Beta,,,,\n"
        + "new@beta.io,,Person,,,,,\n"
        + "broken,,,,,,,\n"
    )
    counts = (
        Lead.objects.count(),
        Event.objects.count(),
        Account.objects.count(),
        AccountDomain.objects.count(),
    )
    summary = leads_import(path=write(tmp_path, text), dry_run=True, now=NOW)
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "merged", "rejected", "rows")} == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "merged": 1,
        "rejected": 1,
        "rows": 5,
    }
    assert summary["accounts_created"] == 1
    assert (
        Lead.objects.count(),
        Event.objects.count(),
        Account.objects.count(),
        AccountDomain.objects.count(),
    ) == counts
    assert Lead.objects.get(email_key="ada@acme.com").last_name == ""


def test_the_summary_follows_the_contract(db, tmp_path):
    source = Source.objects.create(name="Trade show 2026", kind="import")
    text = HEADER + "ada@acme.com,Ada,,Acme,,,,\n" + "x,,,,,,,\n"
    summary = leads_import(path=write(tmp_path, text), source=source, now=NOW)
    for key in (
        "created",
        "updated",
        "merged",
        "unchanged",
        "rejected",
        "rows",
        "ignored_columns",
        "encoding",
        "error_file",
    ):
        assert key in summary
    assert summary["error_file"].startswith("imports/errors/")
    assert (
        summary["created"]
        + summary["updated"]
        + summary["merged"]
        + summary["unchanged"]
        + summary["rejected"]
        == summary["rows"]
    )
    assert Lead.objects.get().source == source


def test_new_leads_are_linked_to_accounts_created_once_per_company(db, tmp_path):
    Account.objects.create(name="Known Corp", name_key="known")
    text = (
        HEADER
        + "a@acme.com,A,,Acme Inc,,120,,\n"
        + "b@acme.com,B,,,,,,\n"
        + "c@gmail.com,C,,ACME,,,,\n"
        + "d@gmail.com,D,,Known Corp.,,,,\n"
    )
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert summary["accounts_created"] == 1
    acme = Account.objects.get(name="Acme Inc")
    assert (acme.name_key, acme.size) == ("acme", 120)
    assert AccountDomain.objects.get(domain="acme.com").account == acme
    assert set(Lead.objects.filter(account=acme).values_list("email", flat=True)) == {
        "a@acme.com",
        "b@acme.com",
        "c@gmail.com",
    }
    assert Lead.objects.get(email="d@gmail.com").account.name == "Known Corp"
    event = Event.objects.get(type="lead.intake", subject_id=Lead.objects.get(email="b@acme.com").pk)
    assert event.payload["account_match"] == "domain"


def test_the_intake_event_carries_the_same_keys_as_the_per_record_pipeline(db, tmp_path):
    active_criteria()
    leads_import(path=write(tmp_path, HEADER + "ada@acme.com,Ada,,Acme,VP,,,\n"), now=NOW)
    lead_intake(data={"email": "bob@beta.io", "company": "Beta"}, channel="api", occurred_at=NOW)
    imported = Event.objects.get(type="lead.intake", channel="import")
    api = Event.objects.get(type="lead.intake", channel="api")
    assert set(api.payload) <= set(imported.payload)
    assert imported.stage == Lead.objects.get(email="ada@acme.com").stage
    assert imported.payload["created"] is True


@pytest.mark.parametrize(
    "row",
    [
        {
            "email": "ada@acme.com",
            "first_name": "Ada",
            "company": "Acme",
            "title": "VP Sales",
            "employees": "250",
            "favourite_colour": "blue",
            "activity": "demo_request",
        },
        {"email": "bob@gmail.com", "company": "Known Corp", "title": "Engineer"},
        {"email": "carl@knowncorp.com", "title": "vp", "employees": "50"},
        {"email": "dan@competitor.com", "company": "Competitor", "title": "VP"},
        {"email": "eve@newco.io", "company": "Newco", "consent": "yes", "city": "Paris"},
        {"email": "fay@gmail.com"},
    ],
)
def test_a_lead_through_the_import_ends_like_the_same_lead_through_the_api(db, tmp_path, row):
    def setup():
        active_criteria()
        known = Account.objects.create(name="Known Corp", name_key="known", industry="Software", size=900)
        AccountDomain.objects.create(account=known, domain="knowncorp.com")

    def outcome(lead: Lead) -> tuple:
        account = lead.account.name if lead.account else None
        return (
            account,
            lead.score,
            lead.fit_score,
            lead.engagement_score,
            lead.stage,
            lead.explanation,
            lead.criteria_version.version if lead.criteria_version else None,
            lead.consent,
            lead.custom,
        )

    setup()
    result = lead_intake(data=row, channel="api", occurred_at=NOW)
    via_api = outcome(Lead.objects.get(pk=result.lead.pk))
    api_event = Event.objects.get(type="lead.intake").payload

    # an identical database state: undo everything and build it again the same way
    Event.objects.all().delete()
    Lead.objects.all().delete()
    AccountDomain.objects.all().delete()
    Account.objects.all().delete()
    CriteriaSet.objects.all().delete()
    from accord.qualification import selectors

    selectors._active_cache.clear()
    setup()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    summary = leads_import(path=write(tmp_path, buffer.getvalue()), now=NOW)
    assert summary["created"] == 1
    via_import = outcome(Lead.objects.get(email_key=row["email"]))
    assert via_import == via_api
    import_event = Event.objects.get(type="lead.intake").payload
    for key in (
        "account_match",
        "score",
        "decision",
        "explanation",
        "activity",
        "version",
        "fit",
        "engagement",
    ):
        assert import_event[key] == api_event[key], key


def test_a_lead_created_by_the_api_during_the_import_is_updated_not_duplicated(db, tmp_path, monkeypatch):
    Lead.objects.create(email="ada@acme.com", email_key="ada@acme.com", first_name="Ada")
    real = LeadImport._existing
    calls = {"n": 0}

    def blind_first_time(self, keys):
        # The first look misses the lead, as if the API created it a moment after we looked.
        calls["n"] += 1
        return {} if calls["n"] == 1 else real(self, keys)

    monkeypatch.setattr(LeadImport, "_existing", blind_first_time)
    text = HEADER + "ada@acme.com,,Lovelace,Acme,,,,\n" + "bob@beta.io,Bob,,Beta,,,,\n"
    summary = leads_import(path=write(tmp_path, text), now=NOW)
    assert calls["n"] >= 2
    assert (summary["created"], summary["updated"]) == (1, 1)
    assert Lead.objects.filter(email_key="ada@acme.com").count() == 1
    assert Lead.objects.get(email_key="ada@acme.com").last_name == "Lovelace"
    assert Lead.objects.count() == 2


def test_the_email_key_stays_unique_under_a_raw_insert(db):
    Lead.objects.create(email="ada@acme.com", email_key="ada@acme.com")
    with pytest.raises(IntegrityError):
        Lead.objects.create(email="ada@acme.com", email_key="ada@acme.com")


def test_an_explicit_mapping_can_rename_and_skip_columns(db, tmp_path):
    text = "Mail,Nom,Notes,Internal\nada@acme.com,Lovelace,hello,secret\n"
    summary = leads_import(
        path=write(tmp_path, text),
        mapping={"Mail": "email", "Nom": "last_name", "Notes": "custom", "Internal": ""},
        now=NOW,
    )
    lead = Lead.objects.get()
    assert lead.last_name == "Lovelace"
    assert lead.custom == {"notes": "hello"}
    assert summary["ignored_columns"] == ["Internal"]


def test_a_file_without_an_email_column_is_refused(db, tmp_path):
    with pytest.raises(ImportFileError, match="email"):
        leads_import(path=write(tmp_path, "name,company\nAda,Acme\n"), now=NOW)


def test_new_leads_get_stage_score_and_explanation_from_the_bulk_engine(db, tmp_path):
    active_criteria()
    text = HEADER + "ada@acme.com,Ada,,Acme,VP Sales,250,,\n" + "bob@competitor.com,Bob,,Comp,VP,900,,\n"
    leads_import(path=write(tmp_path, text), now=NOW)
    ada = Lead.objects.get(email="ada@acme.com")
    assert (ada.stage, ada.score, ada.scored_at) == (Stage.MQL, 40 + 30 + 5 + 2, NOW)
    assert "score 77" in ada.explanation
    assert Lead.objects.get(email="bob@competitor.com").stage == Stage.DISQUALIFIED


def test_without_active_criteria_new_leads_wait_in_inquiry(db, tmp_path):
    leads_import(path=write(tmp_path, HEADER + "ada@acme.com,Ada,,Acme,,,,\n"), now=NOW)
    lead = Lead.objects.get()
    assert lead.stage == Stage.INQUIRY
    assert lead.explanation.startswith("Not scored")
    assert lead.consent == "unknown"
    assert lead.created_at == NOW


def test_the_file_account_index_finds_the_same_fuzzy_matches_as_the_per_record_index(db):
    import random

    from accord.leads.matching import AccountIndex
    from accord.leads.normalize import company_key

    rng = random.Random(7)
    syllables = ["ka", "lo", "ven", "tra", "mi", "zor", "bel", "qui", "dan", "ster", "ox", "ri", "nu", "pha"]

    def name() -> str:
        return " ".join(
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 3))
        )

    Account.objects.bulk_create(
        [Account(name=n, name_key=company_key(n)) for n in (name() for _ in range(400))]
    )
    per_record = AccountIndex().preload()
    per_file = FileAccountIndex().preload()
    for i in range(40):  # accounts learnt during the run count too
        extra = name()
        per_record.remember(-i - 1, name_key=company_key(extra))
        per_file.remember(-i - 1, name_key=company_key(extra))
    known = list(Account.objects.values_list("name_key", flat=True)[:150])
    queries = [company_key(name()) for _ in range(200)]
    queries += [k[:-1] + "x" for k in known] + [" ".join(reversed(k.split())) + "s" for k in known]
    found = 0
    for query in queries:
        expected = per_record._fuzzy(query)
        assert per_file._fuzzy(query) == expected, query
        found += expected is not None
    assert found > 20


def test_a_job_that_cannot_read_its_file_fails_with_a_clear_message_and_runs_again_once_fixed(db, tmp_path):
    from django.core.files.base import ContentFile

    from accord.intake.importing.jobs import import_job_retry, import_job_run
    from accord.leads.models import ImportJob

    job = ImportJob(original_name="people.csv")
    job.file.save("people.csv", ContentFile((HEADER + "jose@acme.com,José,,Acme,,,,\n").encode("latin-1")))
    job = import_job_run(job_id=job.pk)
    assert job.status == "failed"
    assert "not valid UTF-8" in job.error_message and "line 2" in job.error_message
    ImportJob.objects.filter(pk=job.pk).update(encoding="latin-1")
    job.refresh_from_db()
    job = import_job_run(job_id=import_job_retry(job=job).pk)
    assert job.status == "done"
    assert job.summary["created"] == 1
    assert import_job_run(job_id=job.pk).summary == job.summary  # a second run of a done job does nothing


def test_new_leads_get_a_campaign_touch_and_new_mqls_go_to_routing(db, tmp_path, monkeypatch):
    from accord.campaigns.models import Touchpoint

    routed: list[int] = []
    # The hand-off routes one lead by its own task, many in batches.
    monkeypatch.setattr("accord.intake.services.route_lead_later", lambda pk: routed.append(pk))
    monkeypatch.setattr("accord.intake.services.route_leads_later", lambda ids, **kw: routed.extend(ids))
    active_criteria()
    text = "email,title,employees,utm_source,utm_campaign,activity\n"
    text += "ada@acme.com,VP Sales,250,linkedin,spring,demo_request\n" + "bob@beta.io,Engineer,5,,,\n"
    leads_import(path=write(tmp_path, text), now=NOW)
    ada, bob = Lead.objects.get(email="ada@acme.com"), Lead.objects.get(email="bob@beta.io")
    assert routed == [ada.pk]
    touch = Touchpoint.objects.get(lead=ada)
    assert (touch.intake_channel, touch.activity, touch.utm_campaign) == ("import", "demo_request", "spring")
    assert Touchpoint.objects.filter(lead=bob).count() == 1


def test_imported_leads_reach_outgoing_webhooks_like_any_other(
    personas, tmp_path, django_capture_on_commit_callbacks
):
    from accord.webhooks.models import WebhookDelivery
    from accord.webhooks.services import webhook_endpoint_create

    endpoint = webhook_endpoint_create(
        actor=personas.root,
        name="CRM",
        url="http://127.0.0.1:9/hook",
        event_types=["lead.created"],
        allow_private=True,
    )
    path = write(
        tmp_path,
        HEADER + "ada@acme.com,Ada,Lovelace,Acme,CTO,250,Webinar,blue\n"
        "bob@initech.com,Bob,Slydell,Initech,VP,900,Webinar,red\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        leads_import(path=path, now=NOW)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert deliveries.count() == 2
    assert set(deliveries.values_list("event_type", flat=True)) == {"lead.created"}


def test_an_import_leaves_the_audit_trail_a_page_or_api_save_would(db, tmp_path, personas):
    """Created leads get a 'create' record with their tracked values, updated leads an 'update'
    record with old and new values; both name the import channel and the importing user."""
    from accord.audit.models import ChangeRecord

    active_criteria()
    source = Source.objects.create(name="Expo")
    existing = lead_intake(
        data={"email": "old@acme.com", "title": "Analyst"}, source=source, channel="api"
    ).lead
    ChangeRecord.objects.all().delete()
    path = write(
        tmp_path,
        HEADER + "ann@acme.com,Ann,Lee,Acme,VP Sales,450,Expo,blue\nold@acme.com,,,,VP Ops,,,\n",
    )
    summary = leads_import(path=path, source=source, actor=personas.alice, now=NOW)
    assert (summary["created"], summary["updated"]) == (1, 1)
    ann = Lead.objects.get(email="ann@acme.com")
    created = ChangeRecord.objects.get(object_id=str(ann.pk), action="create")
    assert (created.channel, created.actor, created.object_type) == ("import", personas.alice, "leads.lead")
    assert created.changes["email"] == [None, "ann@acme.com"]
    assert created.changes["title"] == [None, "VP Sales"]
    assert created.changes["stage"] == [None, ann.stage] and created.changes["score"] == [None, ann.score]
    assert created.changes["account"] == [None, ann.account_id] and created.changes["source"] == [
        None,
        source.pk,
    ]
    assert "lead_source" not in created.changes and "custom" not in created.changes  # not tracked
    updated = ChangeRecord.objects.get(object_id=str(existing.pk), action="update", channel="import")
    assert updated.changes["title"] == ["Analyst", "VP Ops"] and updated.actor == personas.alice


def test_imported_leads_below_the_threshold_wait_in_nurture_with_a_recheck_date(db, tmp_path):
    from datetime import timedelta

    from accord.sla.models import NurtureTrack

    active_criteria()
    path = write(tmp_path, HEADER + "ann@tiny.io,Ann,Lee,Tiny,Analyst,5,Expo,red\n")
    leads_import(path=path, now=NOW)
    lead = Lead.objects.get(email="ann@tiny.io")
    assert lead.stage == Stage.NURTURE
    track = NurtureTrack.objects.get(lead=lead)
    assert (track.entered_at, track.recheck_on, track.exited_at) == (
        NOW,
        NOW.date() + timedelta(days=90),
        None,
    )
    leads_import(path=path, now=NOW)  # the same file again: nothing new
    assert NurtureTrack.objects.count() == 1


def test_nul_bytes_and_control_characters_in_header_and_cells_do_not_stop_a_job(db, tmp_path):
    """PostgreSQL text and jsonb cannot hold NUL: the job's stored mapping and summary name the
    columns, so the header is cleaned like the cells are."""
    from django.core.files.base import ContentFile

    from accord.intake.importing.jobs import import_job_run
    from accord.leads.models import ImportJob

    text = (
        "email,first_name,Fav\x00ourite\x07 Colour,custom_x\x00y\r\nana@acme.com,An\x00na,blu\x00e,w\x00\r\n"
    )
    job = ImportJob(original_name="nul.csv")
    job.file.save("nul.csv", ContentFile(text.encode()))
    job = import_job_run(job_id=job.pk)
    assert job.status == "done", job.error_message
    assert job.summary["created"] == 1 and job.summary["rejected"] == 0
    lead = Lead.objects.get(email="ana@acme.com")
    assert lead.first_name == "Anna"
    assert lead.custom == {"favourite_colour": "blue", "xy": "w"}
    assert "\x00" not in str(job.mapping) + str(job.summary)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read_like_comma_separated_ones(db, tmp_path, sep):
    text = (
        "\n"  # a blank line before the header
        + sep.join(["Email", "First Name", "Company", "Notes"])
        + "\r\n"
        + sep.join(["ana@acme.com", "Ana", '"Acme; Inc, Ltd"', '"two\nlines"'])
        + "\r\n"
        + sep.join(["broken", "Bo", "", ""])
        + "\r\n"
    )
    summary = leads_import(path=write(tmp_path, "\ufeff" + text), source=None)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    lead = Lead.objects.get(email="ana@acme.com")
    assert (lead.first_name, lead.company, lead.custom) == ("Ana", "Acme; Inc, Ltd", {"notes": "two\nlines"})


def test_a_semicolon_separated_file_with_a_comma_in_a_quoted_header_is_still_semicolon_separated(
    db, tmp_path
):
    text = 'Email;"First Name";"Notes, free text"\nana@acme.com;"Ana, Dr.";x\n'
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert summary["created"] == 1 and summary["rejected"] == 0
    assert summary["ignored_columns"] == []
    lead = Lead.objects.get(email="ana@acme.com")
    # The column is kept as a custom field under a name made from its header.
    assert (lead.first_name, lead.custom) == ("Ana, Dr.", {"notes_free_text": "x"})


def test_a_comma_separated_file_with_semicolons_in_its_values_stays_comma_separated(db, tmp_path):
    summary = leads_import(
        path=write(tmp_path, 'Email,Company\nana@acme.com,"Acme; Inc"\nbo@beta.io,Beta;Gamma\n'), source=None
    )
    assert summary["created"] == 2
    assert Lead.objects.get(email="bo@beta.io").company == "Beta;Gamma"


def test_a_value_over_the_field_limit_is_one_rejected_row_with_its_own_fix(db, tmp_path):
    text = "email,first_name\na@acme.com," + "x" * 1_100_000 + "\nc@acme.com,Cy\n"
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    (row,) = errors_of(summary)[1:]
    assert "longer than 1,048,576 characters" in row[3] and "Shorten the value" in row[4]


def test_an_excel_sep_line_names_the_separator_and_line_numbers_still_match_the_file(db, tmp_path):
    text = "\r\nsep=;\r\nEmail;First Name\r\nana@acme.com;Ana\r\nnot-an-email;Bo\r\n"
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    (row,) = errors_of(summary)[1:]
    assert (row[0], row[1]) == ("2", "5")  # data row 2 is on the file's line 5


def test_excel_unicode_text_utf16_with_tabs_is_read_without_being_told(db, tmp_path):
    text = "Email\tFirst Name\tCity\r\nzoe@acme.com\tZoë\tMünchen\r\n"
    summary = leads_import(path=write(tmp_path, text, encoding="utf-16"), source=None)  # BOM + LE
    assert summary["created"] == 1 and summary["encoding"] == "utf-16"
    lead = Lead.objects.get(email="zoe@acme.com")
    assert (lead.first_name, lead.city) == ("Zoë", "München")


def test_a_quote_never_closed_loses_only_its_own_row(db, tmp_path):
    """The lenient parser would read every line after the open quote as one value of that row."""
    text = (
        "email,first_name,notes\n"
        'ann@acme.com,Ann,"two\nlines"\n'  # a quoted line break: one value, as it should be
        'bo@acme.com,"Bo,open quote\n'
        "cy@acme.com,Cy,\n"
        'dee@acme.com,Dee,"fine"\n'
    )
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert (summary["created"], summary["rejected"], summary["rows"]) == (3, 1, 4)
    assert Lead.objects.get(email="ann@acme.com").custom == {"notes": "two\nlines"}
    assert Lead.objects.get(email="cy@acme.com").first_name == "Cy"
    assert not Lead.objects.filter(email="bo@acme.com").exists()
    (row,) = errors_of(summary)[1:]
    assert (row[0], row[1], row[2]) == ("2", "4", "row")
    assert "not closed" in row[3] and "Close the quote" in row[4]


def test_a_column_named_twice_is_named_by_position_in_the_error(db, tmp_path):
    text = "email,email,first_name\nd1@acme.com,d2@acme.com,X\nsame@acme.com,same@acme.com,Y\n"
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    (row,) = errors_of(summary)[1:]
    assert row[2] == "email (column 2)"
    assert row[3].startswith("email (column 2) gives email a second, different value")


def test_a_quote_left_open_before_a_megabyte_of_rows_loses_only_its_own_row(db, tmp_path):
    rows = "".join(f"p{i}@acme.com,Name{i},{'x' * 80}\n" for i in range(15_000))  # ~1.4 MB
    text = 'email,first_name,notes\nopen@acme.com,"Open,\n' + rows
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert summary["rejected"] == 1 and summary["created"] == 15_000
    (row,) = errors_of(summary)[1:]
    assert (row[0], row[1]) == ("1", "2") and "not closed" in row[3]


def test_a_ragged_row_with_a_well_quoted_line_break_stays_one_rejected_row(db, tmp_path):
    text = 'email,first_name,notes\nann@acme.com,Ann,"two\nlines",extra\nbo@acme.com,Bo,\n'
    summary = leads_import(path=write(tmp_path, text), source=None)
    assert (summary["created"], summary["rejected"], summary["rows"]) == (1, 1, 2)
    (row,) = errors_of(summary)[1:]
    assert "4 fields" in row[3] and row[5:] == ["ann@acme.com", "Ann", "two\nlines", "extra"]


def test_a_file_with_more_custom_columns_than_fit_is_refused_before_anything_is_written(db, tmp_path):
    columns = ["email"] + [f"extra_{i}" for i in range(250)]
    text = ",".join(columns) + "\n" + ",".join(["ann@acme.com"] + ["x"] * 250) + "\n"
    with pytest.raises(ImportFileError) as refused:
        leads_import(path=write(tmp_path, text), source=None)
    assert "250 columns would become custom fields; at most 200 fit" in refused.value.message
    assert not Lead.objects.exists()
