"""A worker killed (SIGKILL) in the middle of a 100,000-row import: a new worker finishes the job and
every row is imported exactly once, with the counts of one uninterrupted run.

Slow (about a minute): run by ``make faults``, not by ``make test``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.faults.conftest import ROOT, accord, accord_env, query, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

ROWS = 100_000


def write_csv(path, rows: int) -> tuple[set[str], int, int]:
    """A file of ``rows`` rows: mostly new emails, some repeated later in the file (in other chunks),
    some invalid. Returns (the valid emails, the repeated rows, the invalid rows)."""
    rng = random.Random(5)
    emails: list[str] = []
    repeats = invalid = 0
    lines = ["email,first_name,company,title,employees"]
    for n in range(rows):
        if n % 97 == 13:
            lines.append(f"not-an-email-{n},Bad,Row Inc,Nobody,5")
            invalid += 1
            continue
        if n % 53 == 7 and emails:
            email = rng.choice(emails)  # the same person again, often from an earlier chunk
            repeats += 1
        else:
            email = f"person{n}@company{n % 800}.example"
            emails.append(email)
        lines.append(f"{email},Name{n},Company {n % 800},Title {n % 7},{10 + n % 500}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return set(emails), repeats, invalid


def job_state(db, job_id: int) -> tuple[str, int, dict]:
    status, done, summary = query(
        db, "SELECT status, rows_done, summary FROM leads_importjob WHERE id = ?", job_id
    )[0]
    return status, done, json.loads(summary or "{}")


def test_a_worker_killed_mid_import_is_replaced_and_every_row_lands_exactly_once(sqlite_instance, tmp_path):
    db = sqlite_instance / "accord.sqlite3"
    env = accord_env(sqlite_instance, ACCORD_IMPORT_CHUNK_ROWS="10000", ACCORD_IMPORT_STALE_SECONDS="2")
    csv_path = tmp_path / "people.csv"
    emails, repeats, invalid = write_csv(csv_path, ROWS)

    made = accord("-m", "tests.faults.child", "create-job", str(csv_path), env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    job_id = int(made.stdout.split()[-1])

    worker_cmd = [sys.executable, "-m", "accord.cli", "worker", "--no-startup-delay", "--no-periodic"]
    log1 = open(tmp_path / "worker1.log", "w")  # noqa: SIM115
    first = subprocess.Popen(worker_cmd, env=env, cwd=ROOT, stdout=log1, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: 0 < job_state(db, job_id)[1] < ROWS, timeout=300, every=0.1, what="a committed chunk"
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        log1.close()
    status, done_at_kill, _ = job_state(db, job_id)
    assert status == "running" and 0 < done_at_kill < ROWS, (status, done_at_kill)

    # The killed worker's heartbeat goes stale; a worker that starts then takes the job over.
    time.sleep(2.5)
    second = accord(*worker_cmd[3:], "--batch", env=env, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"resumes after row {done_at_kill}" in second.stderr + second.stdout

    status, done, summary = job_state(db, job_id)
    assert status == "done", (status, second.stderr[-3000:])
    assert done == ROWS
    stored = query(db, "SELECT email, COUNT(*) FROM leads_lead GROUP BY email")
    assert {email for email, _ in stored} == emails
    assert all(count == 1 for _, count in stored)
    intakes = query(
        db, "SELECT subject_id, COUNT(*) FROM core_event WHERE type = 'lead.intake' GROUP BY subject_id"
    )
    assert len(intakes) == len(emails) and all(count == 1 for _, count in intakes)
    # A touchpoint per row the import read (a repeat of one already recorded is skipped), so no lead has
    # more touchpoints than it has rows in the file: a chunk run twice after the kill would show here.
    rows_of = Counter(line.split(",", 1)[0] for line in csv_path.read_text(encoding="utf-8").splitlines()[1:])
    touches = query(
        db,
        "SELECT l.email, COUNT(t.id) FROM leads_lead l JOIN campaigns_touchpoint t ON t.lead_id = l.id"
        " GROUP BY l.email",
    )
    assert {email for email, _ in touches} == emails
    assert all(1 <= count <= rows_of[email] for email, count in touches)
    # The counts of one uninterrupted run: the resumed run went on from the stored summary.
    assert summary["created"] == len(emails)
    assert summary["merged"] == repeats
    assert summary["rejected"] == invalid
    assert summary["rows"] == ROWS
    assert summary["updated"] == summary["unchanged"] == 0
    errors = (sqlite_instance / "media" / summary["error_file"]).read_text(encoding="utf-8").splitlines()
    assert len(errors) == 1 + invalid  # the header, then each rejected row once
