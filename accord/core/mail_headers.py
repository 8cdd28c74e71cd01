"""Values made safe for a mail header, for every message Accord sends.

A line feed or carriage return in a header would start a new header (injection), so Django refuses
the whole message with BadHeaderError: a lead named "Pat\\nLee" made the rep's "New lead" email fail.
The value itself stays as it was in the record and in the body; only its copy in a header is cleaned.
"""

from __future__ import annotations

import re
import unicodedata

# Line breaks of every kind (CR, LF, NEL, line and paragraph separators) and other control characters.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_clean(value: str, *, max_length: int = 200) -> str:
    """One line of printable text: control characters and line breaks become single spaces."""
    text = _UNSAFE.sub(" ", unicodedata.normalize("NFC", str(value or "")))
    text = " ".join(text.split())
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"
