"""Pytest plugin (``-p accord.core.pytest_defaults`` in pyproject): environment defaults for tests.

It is loaded while pytest parses its options, before pytest-django imports the settings; a
``conftest.py`` is read too late to influence them.
"""

from __future__ import annotations

import os

# Tests run without a secret key; debug settings allow the development key. A value set by the
# caller (CI, a developer) wins.
os.environ.setdefault("ACCORD_DEBUG", "true")


def pytest_configure(config: object) -> None:
    """Hash test passwords with a fast hasher: PBKDF2's deliberate slowness, paid for every persona
    of every test, would dominate the suite's run time."""
    from django.conf import settings

    if settings.configured:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
