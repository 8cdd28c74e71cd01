"""Turning what a form, API call, email or CSV row sent into clean lead fields, or specific errors.

One function, ``normalize_submission``, is used by every channel, so a lead means the same thing
whichever door it came through. It knows the field names of Salesforce web-to-lead forms and of
HubSpot form submissions, so existing forms can be re-pointed at Accord unchanged.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

# Fields a lead has, with their maximum lengths (the database columns' sizes).
TEXT_FIELDS: dict[str, int] = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "title": 200,
    "company": 255,
    "phone": 50,
    "website": 255,
    "industry": 120,
    "city": 100,
    "state": 100,
    "country": 100,
    "lead_source": 120,
    "message": 10_000,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_term": 200,
    "utm_content": 200,
    "consent_source": 200,
}
INTEGER_FIELDS = {"company_size"}
# Fields that describe this one submission rather than the person.
SUBMISSION_FIELDS = {"activity", "consent", "consent_at"}
LEAD_FIELDS = [*TEXT_FIELDS, *INTEGER_FIELDS, "consent", "consent_at"]

# Other names for our fields, from Salesforce web-to-lead, HubSpot forms and common spreadsheets.
ALIASES: dict[str, str] = {
    # Salesforce web-to-lead
    "first_name": "first_name",
    "last_name": "last_name",
    "mobile": "phone",
    "url": "website",
    "zip": "postal_code",
    "employees": "company_size",
    "numberofemployees": "company_size",
    "description": "message",
    "emailoptout": "email_opt_out",
    "lead_source": "lead_source",
    "leadsource": "lead_source",
    # HubSpot
    "firstname": "first_name",
    "lastname": "last_name",
    "jobtitle": "title",
    "mobilephone": "phone",
    "numemployees": "company_size",
    "hs_lead_source": "lead_source",
    # common spreadsheet headers
    "e-mail": "email",
    "email_address": "email",
    "emailaddress": "email",
    "first": "first_name",
    "given_name": "first_name",
    "last": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "job_title": "title",
    "organization": "company",
    "organisation": "company",
    "company_name": "company",
    "account": "company",
    "phone_number": "phone",
    "telephone": "phone",
    "web": "website",
    "company_size": "company_size",
    "size": "company_size",
    "number_of_employees": "company_size",
    "source": "lead_source",
    "province": "state",
    "region": "state",
    "activity_type": "activity",
}
# Form plumbing that carries no lead data; silently ignored.
IGNORED_FIELDS = {
    "oid",
    "orgid",
    "returl",
    "recordtype",
    "encoding",
    "debug",
    "debugemail",
    "submit",
    "csrfmiddlewaretoken",
    "hs_context",
    "hutk",
    "pageuri",
    "pagename",
    "g-recaptcha-response",
    "captcha_settings",
    "campaign_id",
    "member_status",
    "postal_code",
    "street",
    "fax",
    "rating",
    "revenue",
    "annualrevenue",
    "salutation",
}
UTM_KEYS = {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "zoho.com",
        "qq.com",
        "163.com",
        "126.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "t-online.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "btinternet.com",
        "comcast.net",
        "verizon.net",
        "att.net",
    }
)

# Pragmatic email check: one @, a dot in the domain, no spaces or control characters.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
CUSTOM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Custom fields one submission may set (HubSpot and Salesforce cap properties per object too): a
# public form must not be able to grow one lead without bound.
MAX_CUSTOM_FIELDS = 200
# Removed from every value: C0 controls but tab and line feed, DEL, C1 controls, and the invisible
# characters that make a name look like something else: zero-width space, word joiner, a stray
# byte-order mark, and the bidirectional embeddings, overrides and isolates ("Trojan Source").
# Zero-width (non-)joiners and the left/right marks stay: scripts and emoji need them.
_CONTROL = dict.fromkeys(
    [c for c in range(32) if c not in (9, 10)]
    + list(range(0x7F, 0xA0))
    + [0x200B, 0x2060, 0xFEFF]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)
# Half of a UTF-16 pair on its own (JSON allows "\ud800"): no database can store it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TRUTHY = {"1", "true", "yes", "y", "on", "granted", "opt-in", "opted in", "checked"}
_FALSY = {"0", "false", "no", "n", "off", "denied", "opt-out", "opted out", "unchecked"}


def free_mail_domains() -> frozenset[str]:
    return FREE_MAIL_DOMAINS | {d.lower() for d in settings.ACCORD_FREE_MAIL_DOMAINS_EXTRA}


def canonical_key(name: str) -> str:
    """'First Name' / 'first-name' / 'FirstName' -> 'first_name' style lookup key."""
    key = unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff").lower()
    key = re.sub(r"[\s\-.]+", "_", key)
    if key in ALIASES or key in TEXT_FIELDS or key in INTEGER_FIELDS:
        return ALIASES.get(key, key)
    squashed = key.replace("_", "")
    return ALIASES.get(squashed, key)


def resolve_field(name: str) -> str | None:
    """The lead field a column or form field feeds, 'custom.<key>', or None when it is plumbing."""
    if type(name) is str:
        # A pure function of the name, asked once per cell by the import (11 cells a row): cached.
        return _resolve_field_cached(name)
    return _resolve_field(name)


def _resolve_field(name: str) -> str | None:
    if str(name).lower().startswith("custom.") or str(name).lower().startswith("custom_"):
        custom = canonical_key(str(name)[7:])
        return f"custom.{custom}" if CUSTOM_KEY_RE.match(custom) else None
    key = canonical_key(name)
    if key in IGNORED_FIELDS or key in ("email_opt_out",):
        return key if key == "email_opt_out" else None
    if key in TEXT_FIELDS or key in INTEGER_FIELDS or key in SUBMISSION_FIELDS:
        return key
    return f"custom.{key}" if CUSTOM_KEY_RE.match(key) else None


_resolve_field_cached = functools.lru_cache(maxsize=4096)(_resolve_field)


def normalize_email(value: str) -> str:
    return value.strip().strip("<>").strip().lower()


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def normalize_phone(value: str) -> str:
    """Digits only, with a leading + kept; '' when too short to identify anyone."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return ""
    return ("+" if value.startswith("+") or value.startswith("00") else "") + digits.removeprefix("00")[-15:]


def normalize_domain(value: str) -> str:
    value = value.strip().lower()
    value = re.sub(r"^[a-z]+://", "", value)
    value = value.split("/", 1)[0].split(":", 1)[0]
    return value.removeprefix("www.")


def company_key(name: str) -> str:
    """A company name reduced for matching: case, punctuation and legal suffixes removed."""
    if type(name) is str:
        # A pure function of the name; an import asks it once per row and companies repeat.
        return _company_key_cached(name)
    return _company_key(name)


def _company_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    words = [w for w in text.split() if w not in _LEGAL_SUFFIXES]
    return " ".join(words)


_company_key_cached = functools.lru_cache(maxsize=65536)(_company_key)


def company_block_keys(name_key: str) -> set[str]:
    """The blocking keys of a normalised company name: the first four and the last four letters of its
    words in sorted order (``"<glob"``, ``">ical"`` for "globex pharmaceutical"). Fuzzy matching
    compares a name only with the names that share one of these keys, so its cost follows the few
    similar names, not the number of accounts. Names as similar as the match threshold asks (90: one or
    two letters apart) keep their start or their end; the word order does not matter, as in the
    token-sort score itself."""
    text = " ".join(sorted(name_key.split()))
    return {"<" + text[:4], ">" + text[-4:]} if text else set()


_LEGAL_SUFFIXES = {
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "llc",
    "ltd",
    "limited",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "kg",
    "pty",
    "the",
    "group",
}


def clean_text(value: Any) -> str:
    """Trim, drop control characters, and neutralise nothing else: escaping is the exporter's job."""
    if value is None:
        return ""
    if type(value) is str and value.isascii() and value.isprintable():
        # The common case, exactly: printable ASCII has no control characters and is already NFC.
        return value.strip()
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return unicodedata.normalize("NFC", str(value).translate(_CONTROL)).strip()


@dataclass
class Submission:
    """A normalised submission: lead fields, custom fields, activity kind, and what went wrong."""

    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    activity: str = "inquiry"
    errors: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def email_key(self) -> str:
        return self.fields.get("email", "").lower()


def _parse_consent(raw: str) -> str | None:
    lowered = raw.strip().lower()
    if lowered in _TRUTHY:
        return "granted"
    if lowered in _FALSY:
        return "denied"
    return None


def _parse_int(raw: str) -> int | None:
    text = raw.strip().replace(",", "").replace("_", "").replace(" ", "")
    if text.endswith("+"):
        text = text[:-1]
    match = re.fullmatch(r"(\d+)(?:\.0+)?", text)
    if match:
        return int(match.group(1))
    range_match = re.fullmatch(r"(\d+)-(\d+)", text)  # "201-500": the lower bound
    if range_match:
        return int(range_match.group(1))
    return None


def flatten_hubspot(payload: dict[str, Any]) -> dict[str, Any]:
    """HubSpot Forms API bodies carry ``{"fields": [{"name": ..., "value": ...}], "context": ...}``."""
    fields = payload.get("fields")
    if not isinstance(fields, list):
        return payload
    flat: dict[str, Any] = {}
    for item in fields:
        if isinstance(item, dict) and "name" in item:
            name = str(item["name"])
            # HubSpot sends one entry per checked option of a multi-select.
            flat[name] = f"{flat[name]};{item.get('value', '')}" if name in flat else item.get("value", "")
    context = payload.get("context")
    if isinstance(context, dict) and context.get("pageUri"):
        flat.setdefault("page_uri", context["pageUri"])
    consent = payload.get("legalConsentOptions")
    if isinstance(consent, dict):
        info = consent.get("consent") or {}
        if isinstance(info, dict) and "consentToProcess" in info:
            flat.setdefault("consent", "granted" if info.get("consentToProcess") else "denied")
            flat.setdefault("consent_source", "HubSpot form consent")
    return flat


def _is_structured(value: Any) -> bool:
    """A dict, or a list holding dicts or lists: JSON a text field cannot take (a flat list can)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value)


def normalize_submission(data: dict[str, Any], *, required: tuple[str, ...] = ("email",)) -> Submission:
    """Map, clean and validate one submission. Never raises for bad data: errors are collected."""
    sub = Submission()
    seen: dict[str, str] = {}
    opt_out: str | None = None
    for raw_name, raw_value in data.items():
        if raw_name is None:
            continue
        target = resolve_field(raw_name)
        if target is None:
            # The names are kept on the intake event: stored text, so no NUL or lone surrogate.
            sub.ignored.append(_LONE_SURROGATE.sub("\ufffd", clean_text(raw_name)))
            continue
        if type(raw_value) is not str and _is_structured(raw_value):
            sub.errors[str(raw_name)] = "is a JSON object or a nested list; send the value as text"
            continue
        value = clean_text(raw_value)
        if not value.isascii() and _LONE_SURROGATE.search(value):
            sub.errors[str(raw_name)] = (
                "contains an unpaired UTF-16 surrogate (such as \\ud800), which is not text; "
                "send valid Unicode"
            )
            continue
        if target == "email_opt_out":
            opt_out = value
            continue
        if (
            target in seen
            and value
            and sub.fields.get(target, sub.custom.get(target[7:], "")) not in ("", value)
        ):
            sub.errors[str(raw_name)] = (
                f"gives {target} a second, different value; the column {seen[target]!r} already set it"
            )
            continue
        if not value and (target in seen):
            continue
        seen[target] = str(raw_name)
        if target.startswith("custom."):
            if len(value) > 1000:
                sub.errors[str(raw_name)] = (
                    f"is {len(value)} characters long; custom fields hold at most 1000"
                )
            else:
                sub.custom[target[7:]] = value
        elif target == "activity":
            if value:
                sub.activity = re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")[:64] or "inquiry"
        elif target in INTEGER_FIELDS:
            if value:
                number = _parse_int(value)
                if number is None or number > 10_000_000:
                    sub.errors[target] = f"{value!r} is not a whole number of employees (e.g. 250)"
                else:
                    sub.fields[target] = number
        elif target == "consent":
            if value:
                parsed = _parse_consent(value)
                if parsed is None:
                    sub.errors["consent"] = f"{value!r} is not a consent answer; use yes/no (or true/false)"
                else:
                    sub.fields["consent"] = parsed
        elif target == "consent_at":
            if value:
                try:
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    sub.errors["consent_at"] = (
                        f"{value!r} is not an ISO date-time such as 2026-05-01T10:00:00Z"
                    )
                else:
                    sub.fields["consent_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        else:
            limit = TEXT_FIELDS[target]
            if len(value) > limit:
                sub.errors[target] = f"is {len(value)} characters long; at most {limit} fit"
            elif value:
                sub.fields[target] = value
    if len(sub.custom) > MAX_CUSTOM_FIELDS:
        sub.errors["custom"] = (
            f"has {len(sub.custom)} custom fields; at most {MAX_CUSTOM_FIELDS} fit in one submission"
        )
    if opt_out is not None and "consent" not in sub.fields:
        parsed = _parse_consent(opt_out)
        if parsed is not None:
            sub.fields["consent"] = "denied" if parsed == "granted" else "granted"

    email = sub.fields.get("email")
    if email is not None:
        email = normalize_email(email)
        if not EMAIL_RE.match(email) or len(email) > 254:
            sub.errors["email"] = (
                f"{sub.fields['email']!r} is not a valid email address (expected name@company.com)"
            )
        else:
            sub.fields["email"] = email
    for name in required:
        if not sub.fields.get(name) and name not in sub.errors:
            sub.errors[name] = "is required"
    if "website" in sub.fields:
        sub.fields["website"] = sub.fields["website"][:255]
    return sub
