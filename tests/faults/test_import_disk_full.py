"""The disk fills up during an import: no half-written chunk, the job fails saying the disk is full
and what to do, and once there is room again a retry goes on and imports every row exactly once.

The "full disk" is a file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) on the process running
the import: SQLite's writes then fail with EFBIG part-way through the import, as on a full disk.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import accord, accord_env, query

pytestmark = [pytest.mark.faults, pytest.mark.slow]

ROWS, CHUNK = 6000, 500


def test_a_full_disk_fails_the_import_cleanly_and_a_retry_finishes_it(sqlite_instance, tmp_path):
    db = sqlite_instance / "accord.sqlite3"
    env = accord_env(sqlite_instance, ACCORD_IMPORT_CHUNK_ROWS=str(CHUNK))
    csv_path = tmp_path / "people.csv"
    emails = [f"p{n}@company{n % 50}.example" for n in range(ROWS)]
    csv_path.write_text(
        "email,first_name,company,title\n"
        + "".join(f"{e},N{n},Co {n % 50},VP\n" for n, e in enumerate(emails)),
        encoding="utf-8",
    )
    made = accord("-m", "tests.faults.child", "create-job", str(csv_path), "--no-queue", env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    job_id = int(made.stdout.split()[-1])

    # Room for a few chunks beyond the database as it is, not for the whole file.
    limit = db.stat().st_size + 2_000_000
    full = accord("-m", "tests.faults.child", "run-job", str(job_id), str(limit), env=env)
    assert full.returncode == 0, full.stderr[-3000:]
    status, done, message = query(db, "SELECT status, rows_done, error_message FROM leads_importjob")[0]
    assert status == "failed", (status, full.stderr[-3000:])
    assert 0 < done < ROWS and done % CHUNK == 0, done
    assert "disk is full" in message and "run the import again" in message, message
    assert f"The {done} rows imported before it are kept" in message
    # Whole chunks only: each stored lead has its intake event and its touchpoint, nothing more.
    assert query(db, "SELECT COUNT(*) FROM leads_lead")[0][0] == done
    assert query(db, "SELECT COUNT(*) FROM core_event WHERE type = 'lead.intake'")[0][0] == done
    assert query(db, "SELECT COUNT(*) FROM campaigns_touchpoint")[0][0] == done
    assert {e for (e,) in query(db, "SELECT email FROM leads_lead")} == set(emails[:done])

    retried = accord("-m", "tests.faults.child", "run-job", str(job_id), env=env)
    assert retried.returncode == 0, retried.stderr[-3000:]
    status, done, summary = query(db, "SELECT status, rows_done, summary FROM leads_importjob")[0]
    assert (status, done) == ("done", ROWS), retried.stderr[-3000:]
    stored = query(db, "SELECT email, COUNT(*) FROM leads_lead GROUP BY email")
    assert {e for e, _ in stored} == set(emails) and all(c == 1 for _, c in stored)
    assert query(db, "SELECT COUNT(*) FROM core_event WHERE type = 'lead.intake'")[0][0] == ROWS
    assert query(db, "SELECT COUNT(*) FROM campaigns_touchpoint")[0][0] == ROWS
    assert '"created": 6000' in summary
