"""`accord import leads FILE.csv`: JSON summary on stdout, exit codes, sources, dry run."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accord.intake.importing.mapping import ERROR_COLUMNS
from accord.leads.models import ImportJob, Lead, Source

HEADER = "Email,First Name,Company\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args: str) -> dict:
    out = StringIO()
    call_command("import", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_imports_a_file_and_prints_the_summary(db, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(HEADER + "ada@acme.com,Ada,Acme\nbroken,,\n")
    summary = run("leads", str(path))
    assert (summary["created"], summary["rejected"], summary["rows"]) == (1, 1, 2)
    assert Lead.objects.get().source.name == "CSV import"
    assert Source.objects.get(name="CSV import").kind == "import"
    job = ImportJob.objects.get()
    assert job.status == "done"
    # The job keeps the path its pages serve (under MEDIA_ROOT); the terminal gets one that opens.
    printed = {k: v for k, v in summary.items() if k != "error_rows"}
    assert job.summary == {**printed, "error_file": job.error_file.name}
    assert summary["error_file"] == str(Path(job.error_file.path).resolve())
    assert summary["error_rows"] == 1
    assert (Path(job.file.path)).is_file()


def test_it_uses_a_named_source_and_refuses_an_unknown_one(db, tmp_path):
    Source.objects.create(name="Trade show", kind="import")
    path = tmp_path / "leads.csv"
    path.write_text(HEADER + "ada@acme.com,Ada,Acme\n")
    run("leads", str(path), "--source", "trade show")
    assert Lead.objects.get().source.name == "Trade show"
    with pytest.raises(CommandError, match="Unknown source 'Nope'"):
        run("leads", str(path), "--source", "Nope")


def test_a_dry_run_writes_no_leads_and_no_job(db, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(HEADER + "ada@acme.com,Ada,Acme\n")
    summary = run("leads", str(path), "--dry-run")
    assert summary["created"] == 1 and summary["dry_run"] is True
    assert Lead.objects.count() == 0
    assert ImportJob.objects.count() == 0


def test_it_names_the_problem_for_other_kinds_missing_files_and_bad_encodings(db, tmp_path):
    with pytest.raises(CommandError, match="import one of leads, accounts, deals, cost_lines"):
        run("planets", "x.csv")
    with pytest.raises(CommandError, match="not a readable file"):
        run("leads", str(tmp_path / "missing.csv"))
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "jose@acme.com,José,Acme\n").encode("latin-1"))
    with pytest.raises(CommandError, match="--encoding latin-1"):
        run("leads", str(path))
    assert ImportJob.objects.count() == 0
    with pytest.raises(CommandError, match="Unknown encoding"):
        run("leads", str(path), "--encoding", "nope-9")
    assert run("leads", str(path), "--encoding", "latin-1")["created"] == 1
    assert Lead.objects.get().first_name == "José"


def test_an_explicit_mapping_is_accepted_as_json(db, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("Mail,Nom\nada@acme.com,Lovelace\n")
    run("leads", str(path), "--mapping", json.dumps({"Mail": "email", "Nom": "last_name"}))
    assert Lead.objects.get().last_name == "Lovelace"


@pytest.mark.django_db(transaction=True)
def test_the_accord_command_exits_zero_with_rejected_rows_and_non_zero_for_an_unreadable_file(tmp_path):
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the subprocess needs its own database; covered through call_command above")
    env = {"ACCORD_DEBUG": "true", "ACCORD_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "accord.cli"]
    cwd = Path(settings.BASE_DIR)
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, cwd=cwd, check=True, capture_output=True)
    path = tmp_path / "leads.csv"
    path.write_text(HEADER + "ada@acme.com,Ada,Acme\nbroken,,\n")
    done = subprocess.run(
        [*cli, "import", "leads", str(path)], env=env, cwd=cwd, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rejected"] == 1
    missing = subprocess.run(
        [*cli, "import", "leads", str(tmp_path / "nope.csv")],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert missing.returncode != 0
    assert "not a readable file" in missing.stderr


def test_the_printed_error_file_opens_from_the_current_folder_and_imports_again_once_corrected(
    db, tmp_path, monkeypatch, settings
):
    monkeypatch.chdir(tmp_path)
    settings.MEDIA_ROOT = "media"  # relative, as a fresh install has it: the job stores imports/errors/...
    Path("leads.csv").write_text(
        "Email,First Name,Company,Employees,Phone\n"
        "ada@acme.com,Ada,Acme,250,+44 20 7946 0000\n"
        "not-an-email,Bob,Beta,10,+44 20 7946 0001\n"
        "cy@gamma.io,Cy,Gamma,lots,+1 (555) 010-9999\n"
        "dee@delta.io,=1+2,Delta,5\n"
    )
    err = StringIO()
    out = StringIO()
    call_command("import", "leads", "leads.csv", stdout=out, stderr=err)
    summary = json.loads(out.getvalue())
    # A bad company size is dropped with a warning and the row kept; a bad email rejects its row.
    assert (summary["created"], summary["rejected"], summary["error_rows"]) == (2, 2, 3)
    assert Path(summary["error_file"]).is_absolute()
    assert (
        "2 rejected rows and 1 rows imported without a bad value, each with what was wrong and how to fix "
        f"it, are in {summary['error_file']}"
    ) in err.getvalue()
    assert Lead.objects.get(email="cy@gamma.io").company_size is None

    with open(summary["error_file"], encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = ["Email", "First Name", "Company", "Employees", "Phone"]
    assert rows[0] == [*header, *ERROR_COLUMNS]
    by_email = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    # The user's cells as they were: a phone keeps its +, a formula is escaped, a short row padded.
    assert by_email["not-an-email"]["Phone"] == "+44 20 7946 0001"
    assert by_email["cy@gamma.io"]["Phone"] == "+1 (555) 010-9999"
    assert by_email["dee@delta.io"]["First Name"] == "'=1+2"
    assert by_email["dee@delta.io"]["Phone"] == ""
    # Errors name the user's column, not the lead field behind it.
    assert by_email["cy@gamma.io"]["error_column"] == "Employees"
    assert by_email["cy@gamma.io"]["error"].startswith(
        "Warning, row kept: Employees 'lots' is not a whole number"
    )
    assert by_email["not-an-email"]["error_column"] == "Email"

    rows[1:] = [
        [("bob@beta.io" if c == "not-an-email" else "250" if c == "lots" else c) for c in row]
        for row in rows[1:]
    ]
    with open(summary["error_file"], "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    again = run("leads", summary["error_file"])

    # The kept row is updated, not duplicated.
    assert (again["created"], again["updated"], again["rejected"], again["error_file"]) == (2, 1, 0, "")
    assert sorted(again["ignored_columns"]) == sorted(ERROR_COLUMNS)
    assert Lead.objects.count() == 4
    assert Lead.objects.get(email="bob@beta.io").phone == "+44 20 7946 0001"
    assert Lead.objects.get(email="cy@gamma.io").company_size == 250
    assert Lead.objects.get(email="dee@delta.io").first_name == "=1+2"


def test_accounts_deals_and_cost_lines_import_from_the_command_line_and_a_second_run_updates(db, tmp_path):
    from accord.campaigns.models import Campaign, CostLine
    from accord.leads.models import Account

    Campaign.objects.create(name="Spring webinar", utm_campaign="spring-webinar", currency="USD")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Account Name,Domain,Employees\nAcme,acme.example,lots\n")
    costs = tmp_path / "costs.csv"
    costs.write_text("Campaign,Cost,Start Date,End Date\nspring-webinar,1200.50,2026-03-01,2026-03-31\n")

    first = run("accounts", str(accounts))
    assert (first["created"], first["kept_with_warnings"], first["error_rows"]) == (1, 1, 1)
    assert run("cost_lines", str(costs))["created"] == 1
    costs.write_text("Campaign,Cost,Start Date,End Date\nspring-webinar,1300,2026-03-01,2026-03-31\n")
    assert run("cost_lines", str(costs))["updated"] == 1
    assert run("accounts", str(accounts))["created"] == 0
    assert Account.objects.count() == 1
    assert list(CostLine.objects.values_list("amount", flat=True)) == [Decimal("1300.00")]
