"""The parts of the access matrix every area shares: personas, the Check row and the ways to call.

The rows live in ``test_access_matrix.py`` for the spine, and in ``tests/security/matrix_areas/<area>.py``
for the apps built on it: each area module defines ``MATRIX`` and, as it needs them, ``API_WRITE_ROWS``,
``PAGE_WRITE_ROWS``, ``READ_ONLY_PAGES``, ``PAGES_WITHOUT_A_USER`` and ``API_WRITES_WITHOUT_A_USER``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PERSONAS = ("alice", "mona", "bob", "carol", "mike", "fiona", "sam", "charlie", "eve", "root")
LEAD_LETTERS = {"bob.lead@": "B", "carol.lead@": "C", "charlie.lead@": "X", "nobody@lead": "N"}


def outcome(response: Any) -> str:
    code = response.status_code
    if code in (401, 403, 404, 405):
        return str(code)
    if code == 302 and "login" in response.get("Location", ""):
        return "login"
    return "ok"


def leads_in(response: Any) -> str:
    if response.status_code != 200:
        return outcome(response)
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return "".join(letter for marker, letter in LEAD_LETTERS.items() if marker in text) or "-"


@dataclass(frozen=True)
class Check:
    """One row of the matrix: how to call it and what each persona must get, in PERSONAS order."""

    expected: str
    call: Callable[[Any, Any, Any], Any]  # (world, page client, api client) -> response
    judge: Callable[[Any], str] = outcome

    def wanted(self) -> dict[str, str]:
        values = self.expected.split()
        assert len(values) == len(PERSONAS), "one expectation per persona"
        return dict(zip(PERSONAS, values, strict=True))


def page_get(url: Callable[[Any], str]) -> Callable[[Any, Any, Any], Any]:
    return lambda w, page, api: page.get(url(w))


def api_get(url: Callable[[Any], str]) -> Callable[[Any, Any, Any], Any]:
    return lambda w, page, api: api.get(url(w))


def api_send(method: str, url: Callable[[Any], str], body: Any = None) -> Callable[[Any, Any, Any], Any]:
    def call(w: Any, page: Any, api: Any) -> Any:
        data = body(w) if callable(body) else body
        return getattr(api, method)(url(w), json.dumps(data or {}), content_type="application/json")

    return call


def page_post(url: Callable[[Any], str], data: Any = None) -> Callable[[Any, Any, Any], Any]:
    return lambda w, page, api: page.post(url(w), data(w) if callable(data) else (data or {}))
