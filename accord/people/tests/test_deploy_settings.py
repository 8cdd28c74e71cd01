"""Production settings pass `manage.py check --deploy --fail-level WARNING`; local HTTP forces nothing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.conf import settings


def deploy_check(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    # Only the variables given here: other tests (browser ones) set DJANGO_ALLOW_ASYNC_UNSAFE in this
    # process, which the deploy check rightly refuses.
    leaked = {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k not in leaked}
    environment.update({"ACCORD_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_production_configuration_passes_the_deploy_check(tmp_path):
    result = deploy_check(
        tmp_path,
        ACCORD_DEBUG="false",
        ACCORD_SECRET_KEY=secrets.token_urlsafe(60),
        ACCORD_SITE_URL="https://accord.example.com",
        ACCORD_ALLOWED_HOSTS="accord.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_plain_http_does_not_force_https_and_so_fails_the_deploy_check(tmp_path):
    result = deploy_check(
        tmp_path,
        ACCORD_DEBUG="false",
        ACCORD_SECRET_KEY=secrets.token_urlsafe(60),
        ACCORD_SITE_URL="http://127.0.0.1:8000",
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_debug_settings_keep_http_working(settings):
    # The test run loads the settings with ACCORD_DEBUG=true, as `make run` does (pytest-django turns
    # DEBUG itself off afterwards).
    assert not settings.SECURE_SSL_REDIRECT and settings.SECURE_HSTS_SECONDS == 0
    assert not settings.SESSION_COOKIE_SECURE
