"""The access-matrix rows of each area built on the spine, one module per area, merged into the one matrix.

A module here defines ``MATRIX: dict[str, Check]`` and, as it needs them, ``API_WRITE_ROWS``,
``API_WRITES_WITHOUT_A_USER``, ``PAGE_WRITE_ROWS`` (dicts) and ``READ_ONLY_PAGES`` (a set) and
``PAGES_WITHOUT_A_USER`` (a dict), exactly as ``test_access_matrix.py`` does for the spine.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def merge_areas(
    matrix: dict[str, Any],
    api_write_rows: dict[str, str],
    api_writes_without_a_user: dict[str, str],
    page_write_rows: dict[str, str],
    read_only_pages: set[str],
    pages_without_a_user: dict[str, str],
) -> None:
    """Add every area's rows to the spine's tables; a name given twice is a mistake and fails loudly."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        area = importlib.import_module(f"{__name__}.{info.name}")
        for target, attribute in (
            (matrix, "MATRIX"),
            (api_write_rows, "API_WRITE_ROWS"),
            (api_writes_without_a_user, "API_WRITES_WITHOUT_A_USER"),
            (page_write_rows, "PAGE_WRITE_ROWS"),
            (pages_without_a_user, "PAGES_WITHOUT_A_USER"),
        ):
            rows = getattr(area, attribute, {})
            twice = set(rows) & set(target)
            assert not twice, f"{info.name}.{attribute} repeats {sorted(twice)}"
            target.update(rows)
        pages = getattr(area, "READ_ONLY_PAGES", set())
        assert not pages & read_only_pages, (
            f"{info.name}.READ_ONLY_PAGES repeats {sorted(pages & read_only_pages)}"
        )
        read_only_pages.update(pages)
