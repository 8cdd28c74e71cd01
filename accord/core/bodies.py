"""Reading a JSON request body within limits, for every door that takes one (form, webhook, API).

``json.loads`` alone answers a body nested a thousand deep with a RecursionError, a number with
5,000 digits with a ValueError about ``sys.set_int_max_str_digits`` and ``1e999`` with infinity,
which no database stores. ``json_body_load`` refuses each of these before it can do harm, with the
one ``ApplicationError`` (400, or 413 for a body too large) whose message says what was wrong and
how to send it instead. The limits are settings (``ACCORD_JSON_MAX_DEPTH``,
``ACCORD_JSON_MAX_NUMBER_DIGITS``, ``ACCORD_PUBLIC_MAX_BODY_BYTES``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings

from accord.core.errors import ApplicationError

DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_NUMBER_DIGITS = 50

# A JSON string, or an unterminated one running to the end of the text. Possessive quantifiers and
# the "or to the end" branch make every match succeed from its opening quote, so stripping strings
# is linear in the body's length whatever it holds (no retry from each later quote).
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_OPENING = frozenset("[{")
_HOW = (
    "Send one JSON object of field names to plain values, with Content-Type: application/json, "
    "encoded as UTF-8."
)


def json_max_depth() -> int:
    return int(getattr(settings, "ACCORD_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def json_max_number_digits() -> int:
    return int(getattr(settings, "ACCORD_JSON_MAX_NUMBER_DIGITS", DEFAULT_MAX_NUMBER_DIGITS))


def json_nesting_depth(text: str, *, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count).

    Counting stops once the depth passes ``stop_above``: the answer is then ``stop_above + 1``.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        else:
            depth -= 1
    return deepest


def _refuse_number(token: str, why: str) -> ApplicationError:
    shown = token if len(token) <= 24 else f"{token[:12]}...{token[-8:]}"
    return ApplicationError(
        f"The body holds a number ({shown}) that {why}; send it as a string (in quotes) if it is an "
        "identifier, or send a smaller number.",
        detail={"body": "number too large"},
    )


def json_body_load(
    raw: bytes | str,
    *,
    max_bytes: int | None = None,
    max_depth: int | None = None,
    max_number_digits: int | None = None,
) -> Any:
    """The JSON value in ``raw``, or an ApplicationError saying why it cannot be taken.

    Refused: bodies over ``max_bytes`` (413), text that is not UTF-8 (or UTF-16/32 with its byte
    order mark, as ``json.loads`` reads it), arrays and objects nested deeper than ``max_depth``,
    numbers with more than ``max_number_digits`` digits or too large for a float, NaN and Infinity
    (not JSON), and anything else that is not valid JSON (400).
    """
    max_depth = json_max_depth() if max_depth is None else max_depth
    max_digits = json_max_number_digits() if max_number_digits is None else max_number_digits
    if max_bytes is not None and len(raw) > max_bytes:
        raise ApplicationError(
            f"The body is {len(raw)} bytes; at most {max_bytes} are accepted here. Send less data "
            "(long texts belong in a file upload or several calls).",
            detail={"body": "too large"},
            status=413,
        )
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode(json.detect_encoding(raw))
        except (UnicodeDecodeError, LookupError):
            raise ApplicationError(
                f"The body is not valid JSON: it is not UTF-8 text. {_HOW}", detail={"body": "invalid JSON"}
            ) from None
    else:
        text = raw
    text = text.removeprefix("\ufeff")
    depth = json_nesting_depth(text, stop_above=max_depth)
    if depth > max_depth:
        raise ApplicationError(
            f"The body nests arrays or objects more than {max_depth} levels deep. {_HOW}",
            detail={"body": "nested too deeply"},
        )

    def parse_int(token: str) -> int:
        digits = len(token.lstrip("-"))
        if digits > max_digits:
            raise _refuse_number(token, f"has {digits} digits, more than the {max_digits} accepted")
        return int(token)

    def parse_float(token: str) -> float:
        mantissa = token.lstrip("-").split("e")[0].split("E")[0]
        if sum(c.isdigit() for c in mantissa) > max_digits:
            raise _refuse_number(token, f"has more than the {max_digits} digits accepted")
        value = float(token)
        if not math.isfinite(value):
            raise _refuse_number(token, "is too large for a number")
        return value

    def parse_constant(token: str) -> Any:
        raise ApplicationError(
            f"The body holds {token}, which is not JSON; send null or a number instead.",
            detail={"body": "invalid JSON"},
        )

    try:
        return json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except RecursionError:  # a lower limit than max_depth on a small stack: still the body's fault
        raise ApplicationError(
            f"The body nests arrays or objects too deeply. {_HOW}", detail={"body": "nested too deeply"}
        ) from None
    except ValueError as exc:
        raise ApplicationError(
            f"The body is not valid JSON: {exc}. {_HOW}", detail={"body": "invalid JSON"}
        ) from None
