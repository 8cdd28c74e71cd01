"""Pytest plugin (``-p accord.core.pytest_defaults`` in pyproject): environment defaults for tests.

It is loaded while pytest parses its options, before pytest-django imports the settings; a
``conftest.py`` is read too late to influence them.
"""

from __future__ import annotations

import os

# Tests run without a secret key; debug settings allow the development key. A value set by the
# caller (CI, a developer) wins.
os.environ.setdefault("ACCORD_DEBUG", "true")
