"""`accord import leads FILE.csv`: JSON summary on stdout, exit codes, sources, dry run."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

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
    assert job.summary == summary
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
    with pytest.raises(CommandError, match="only 'leads'"):
        run("accounts", "x.csv")
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
