"""How the settings open the database: SQLite as the embedded default, connections kept per process."""

from __future__ import annotations

import json

from accord.core.tests.test_secret_key_length import load_settings

SHOW = (
    "from django.conf import settings; import json; d = settings.DATABASES['default']; "
    "print(json.dumps({'engine': d['ENGINE'], 'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS'], "
    "'mode': d.get('OPTIONS', {}).get('transaction_mode')}))"
)


def database_settings(tmp_path, **env: str) -> dict:
    # An empty DATABASE_URL is unset: the suite's own (PostgreSQL in CI) must not leak in.
    result = load_settings(tmp_path, ACCORD_DEBUG="true", code=SHOW, **{"DATABASE_URL": "", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_keeps_each_process_connection_as_postgresql_does(tmp_path):
    # A new SQLite connection reads the whole schema on its first statement: kept, a request does
    # not pay for that again (ACCORD_CONN_MAX_AGE, 60 s by default, as for PostgreSQL).
    sqlite = database_settings(tmp_path)
    assert sqlite == {"engine": "django.db.backends.sqlite3", "age": 60, "checks": True, "mode": "IMMEDIATE"}
    assert database_settings(tmp_path, ACCORD_CONN_MAX_AGE="0")["age"] == 0
    postgres = database_settings(
        tmp_path, DATABASE_URL="postgresql://u@127.0.0.1:5432/x", ACCORD_CONN_MAX_AGE="30"
    )
    assert (postgres["engine"], postgres["age"]) == ("django.db.backends.postgresql", 30)
