"""Production mode (ACCORD_DEBUG off) refuses to start with a secret key shorter than 50 characters."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def load_settings(
    tmp_path, code: str = "from django.conf import settings; print(len(settings.SECRET_KEY))", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment.update({"ACCORD_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_short_secret_key_refuses_to_start_in_production_mode(tmp_path):
    result = load_settings(tmp_path, ACCORD_DEBUG="false", ACCORD_SECRET_KEY="k" * 49)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ACCORD_SECRET_KEY is 49 characters long" in result.stderr
    assert "at least 50" in result.stderr and "secrets.token_urlsafe(50)" in result.stderr


def test_a_short_key_from_a_file_is_refused_too(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("short-secret\n", encoding="utf-8")
    result = load_settings(tmp_path, ACCORD_DEBUG="false", ACCORD_SECRET_KEY_FILE=str(key_file))
    assert result.returncode != 0 and "ACCORD_SECRET_KEY is 12 characters long" in result.stderr


def test_a_key_of_fifty_characters_starts(tmp_path):
    result = load_settings(tmp_path, ACCORD_DEBUG="false", ACCORD_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "50"


def test_development_mode_accepts_a_short_key(tmp_path):
    result = load_settings(tmp_path, ACCORD_DEBUG="true", ACCORD_SECRET_KEY="short")
    assert result.returncode == 0, result.stderr


def test_allowing_the_insecure_built_in_key_does_not_allow_a_short_one(tmp_path):
    result = load_settings(
        tmp_path, ACCORD_DEBUG="false", ACCORD_ALLOW_INSECURE_KEY="true", ACCORD_SECRET_KEY="k" * 20
    )
    assert result.returncode != 0 and "ACCORD_SECRET_KEY is 20 characters long" in result.stderr
