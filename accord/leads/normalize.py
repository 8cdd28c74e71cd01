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
from decimal import Decimal, InvalidOperation
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
    "mobile": 50,
    "fax": 50,
    "salutation": 40,
    "website": 255,
    "industry": 120,
    "city": 100,
    "state": 100,
    "country": 100,
    "street": 255,
    "postal_code": 20,
    "rating": 40,
    "lead_source": 120,
    "message": 10_000,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_term": 200,
    "utm_content": 200,
    "consent_source": 200,
    "consent_text": 2000,
}
INTEGER_FIELDS = {"company_size"}
# Money amounts (whole units of the company's currency; "$5,000,000", "5M" and "5000000.00" alike).
AMOUNT_FIELDS = {"annual_revenue"}
# Fields that describe this one submission rather than the person: the activity, the consent given
# with it, and the campaign it answers (Salesforce's Campaign_ID and member_status).
SUBMISSION_FIELDS = {"activity", "consent", "consent_at", "campaign_ref", "member_status", "custom_json"}
# Accord's own CSV export: the custom fields as one JSON column, and read-only facts (stage, score,
# owner...) in columns named accord_*, which an import names and does not take.
CUSTOM_JSON_COLUMN = "custom_fields"
EXPORT_ONLY_PREFIX = "accord_"
LEAD_FIELDS = [*TEXT_FIELDS, *INTEGER_FIELDS, *AMOUNT_FIELDS, "consent", "consent_at"]
# Fields whose bad value rejects a submission even on a lenient door (a form, an import row): without
# a usable email there is no one to keep the rest for.
ESSENTIAL_FIELDS = frozenset({"email"})

# Other names for our fields, from Salesforce web-to-lead, HubSpot forms and common spreadsheets.
ALIASES: dict[str, str] = {
    # Salesforce web-to-lead
    "first_name": "first_name",
    "last_name": "last_name",
    "mobile": "mobile",
    "url": "website",
    "zip": "postal_code",
    "employees": "company_size",
    "numberofemployees": "company_size",
    "description": "message",
    "emailoptout": "email_opt_out",
    "lead_source": "lead_source",
    "leadsource": "lead_source",
    "revenue": "annual_revenue",
    "annualrevenue": "annual_revenue",
    "campaign_id": "campaign_ref",
    "campaignid": "campaign_ref",
    "member_status": "member_status",
    "memberstatus": "member_status",
    # HubSpot
    "firstname": "first_name",
    "lastname": "last_name",
    "jobtitle": "title",
    "mobilephone": "mobile",
    "numemployees": "company_size",
    "hs_lead_source": "lead_source",
    "address": "street",
    "hs_email_optout": "email_opt_out",
    "consent_to_process": "consent",
    # common spreadsheet headers for the fields above
    "mobile_phone": "mobile",
    "mobile_number": "mobile",
    "cell": "mobile",
    "cell_phone": "mobile",
    "fax_number": "fax",
    "street_address": "street",
    "address_line_1": "street",
    "postcode": "postal_code",
    "zip_code": "postal_code",
    "zipcode": "postal_code",
    "post_code": "postal_code",
    "annual_revenue": "annual_revenue",
    "opted_out": "email_opt_out",
    "email_opt_out": "email_opt_out",
    # common spreadsheet headers
    "e-mail": "email",
    "e_mail": "email",
    "mail": "email",
    "email_address": "email",
    "emailaddress": "email",
    "e_mail_address": "email",
    "work_email": "email",
    "business_email": "email",
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
    "account_name": "company",
    "phone_number": "phone",
    "business_phone": "phone",
    "work_phone": "phone",
    "telephone": "phone",
    "web": "website",
    "company_size": "company_size",
    "size": "company_size",
    "number_of_employees": "company_size",
    "employee_count": "company_size",
    "headcount": "company_size",
    "num_employees": "company_size",
    "source": "lead_source",
    "province": "state",
    "region": "state",
    "activity_type": "activity",
}
# Form plumbing that carries no lead data: not stored, but named on the lead's intake event.
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
    "recaptcha_response",
    "ipaddress",
    "ip_address",
    "submittedat",
    "submitted_at",
    "portalid",
    "formguid",
    "form_guid",
    "redirecturl",
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
CUSTOM_KEY_RE = re.compile(r"^(?:[a-z][a-z0-9_]{0,62}|00N[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)$")
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
    """'First Name' / 'first-name' / 'FirstName' / 'E-mail' / '# Employees' -> 'first_name' style key.

    Case, spaces, punctuation and accents do not matter: every run of other characters becomes one
    underscore, so 'E-mail', 'e_mail' and 'Email Address' all find the email field, and 'Budget (USD)'
    becomes the custom key 'budget_usd'.
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff").lower()
    text = text.replace("#", " number of ")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if key in ALIASES or key in TEXT_FIELDS or key in INTEGER_FIELDS:
        return ALIASES.get(key, key)
    squashed = key.replace("_", "")
    return ALIASES.get(squashed, key)


# A Salesforce custom field's id (15 or 18 characters, "00N" then letters and digits): kept verbatim,
# case and all, as the custom field's name (Salesforce ids are case-sensitive).
SALESFORCE_FIELD_ID_RE = re.compile(r"^00N[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")


def custom_key(name: str, *, exact: bool = False) -> str | None:
    """The custom field name a column or form field is kept under, or None when none can be made.

    A column or form field ('Budget (USD)') is made into a name (budget_usd). A name someone chose
    (``exact``: the API's custom fields, a name typed on the mapping page) only has its case, spaces,
    dashes and dots evened out: 'Plan Tier' is plan_tier, and 'Plan Tier!' is refused, not changed.
    """
    text = str(name).strip()
    if SALESFORCE_FIELD_ID_RE.match(text):
        return text
    if not text.isprintable():  # a name with control characters is a broken sender's, not a field
        return None
    if exact:
        key = re.sub(r"[\s\-.]+", "_", unicodedata.normalize("NFKC", text).lower())
        return key if CUSTOM_KEY_RE.match(key) else None
    key = canonical_key(text)
    if key and not key[0].isalpha():
        key = "f_" + key
    return key[:63] if CUSTOM_KEY_RE.match(key[:63]) else None


def resolve_field(name: str) -> str | None:
    """The lead field a column or form field feeds, 'custom.<key>', or None when it is plumbing."""
    if type(name) is str:
        # A pure function of the name, asked once per cell by the import (11 cells a row): cached.
        return _resolve_field_cached(name)
    return _resolve_field(name)


def _resolve_field(name: str) -> str | None:
    text = str(name)
    if canonical_key(text) == CUSTOM_JSON_COLUMN:
        return "custom_json"
    if text.lower().startswith("custom."):
        custom = custom_key(text[7:], exact=True)
        return f"custom.{custom}" if custom else None
    if text.lower().startswith("custom_"):
        custom = custom_key(text[7:])
        return f"custom.{custom}" if custom else None
    if SALESFORCE_FIELD_ID_RE.match(text.strip()):
        return f"custom.{text.strip()}"
    key = canonical_key(text)
    if key == CUSTOM_JSON_COLUMN:
        return "custom_json"
    if key.startswith(EXPORT_ONLY_PREFIX):
        return None
    if key in IGNORED_FIELDS:
        return None
    if key == "email_opt_out":
        return key
    if key in TEXT_FIELDS or key in INTEGER_FIELDS or key in AMOUNT_FIELDS or key in SUBMISSION_FIELDS:
        return key
    custom = custom_key(text)
    return f"custom.{custom}" if custom else None


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
    """A normalised submission: lead fields, custom fields, activity kind, and what went wrong.

    ``errors`` refuse the submission. ``warnings`` are values a lenient door (a web form, a CSV row)
    dropped while keeping the rest: {field: why}; they go on the lead's intake event (and the import's
    error file), so nothing is lost without a note.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    activity: str = "inquiry"
    errors: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)

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


_AMOUNT_SUFFIX = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "b": 1_000_000_000, "bn": 1_000_000_000}


def parse_amount(raw: str) -> Decimal | None:
    """'$5,000,000', '5M', '5000000.00', '€ 2.5 m' -> a Decimal of whole currency units; None if not one."""
    text = raw.strip().lower().replace(",", "").replace("_", "").replace(" ", "")
    text = text.lstrip("$€£¥").removeprefix("usd").removeprefix("eur").removeprefix("gbp")
    text = text.removesuffix("usd").removesuffix("eur").removesuffix("gbp")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(k|mm|m|bn|b)?", text)
    if not match:
        return None
    try:
        value = Decimal(match.group(1)) * _AMOUNT_SUFFIX.get(match.group(2) or "", 1)
    except InvalidOperation:
        return None
    if value >= Decimal("1e15"):
        return None
    return value.quantize(Decimal("0.01"))


def flatten_hubspot(payload: dict[str, Any]) -> dict[str, Any]:
    """HubSpot Forms API bodies, made flat: ``{"fields": [{"name", "value", "objectTypeId"}], "context",
    "legalConsentOptions", "submittedAt"}``.

    Company properties (objectTypeId ``0-2``) feed the company fields (``name`` is the company) or
    become custom fields prefixed ``company_``. The context's page becomes ``page_uri``/``page_name``
    custom fields. ``legalConsentOptions`` with ``consentToProcess`` true (or a communication ticked)
    is consent, with its text; false or legitimate interest is not consent and leaves it unknown.
    """
    fields = payload.get("fields")
    if not isinstance(fields, list):
        return payload
    flat: dict[str, Any] = {}
    for item in fields:
        if isinstance(item, dict) and "name" in item:
            name = str(item["name"])
            if str(item.get("objectTypeId") or "") == "0-2":
                name = HUBSPOT_COMPANY_PROPERTIES.get(name.lower(), f"company_{name}")
            # HubSpot sends one entry per checked option of a multi-select.
            flat[name] = f"{flat[name]};{item.get('value', '')}" if name in flat else item.get("value", "")
    context = payload.get("context")
    if isinstance(context, dict):
        if context.get("pageUri"):
            flat.setdefault("page_uri", context["pageUri"])
        if context.get("pageName"):
            flat.setdefault("page_name", context["pageName"])
        if context.get("hutk"):
            flat.setdefault("hutk", context["hutk"])
        if context.get("ipAddress"):
            flat.setdefault("ipAddress", context["ipAddress"])
    submitted = payload.get("submittedAt")
    moment = _epoch_millis(submitted)
    if moment is not None:
        flat.setdefault("submittedAt", moment.isoformat())
    consent = payload.get("legalConsentOptions")
    if isinstance(consent, dict):
        flat.update(_hubspot_consent(consent, moment))
    return flat


def _epoch_millis(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        millis = int(value)
    except ValueError:
        return None
    if not 0 < millis < 32_503_680_000_000:  # before the year 3000
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _hubspot_consent(options: dict[str, Any], moment: datetime | None) -> dict[str, Any]:
    """HubSpot's legalConsentOptions as Accord's consent fields: consent only when it was given."""
    info = options.get("consent")
    if isinstance(info, dict):
        texts = [str(info.get("text") or "").strip()]
        ticked = False
        for item in info.get("communications") or []:
            if isinstance(item, dict) and item.get("value") is True:
                ticked = True
                texts.append(str(item.get("text") or "").strip())
        if info.get("consentToProcess") is True or ticked:
            out: dict[str, Any] = {
                "consent": "granted",
                "consent_source": "HubSpot form consent",
                "consent_text": "\n".join(t for t in texts if t),
            }
            if moment is not None:
                out["consent_at"] = moment.isoformat()
            return out
        return {"hubspot_consent": "not given (consent to process not ticked)"}
    interest = options.get("legitimateInterest")
    if isinstance(interest, dict):
        basis = str(interest.get("legalBasis") or "legitimate interest")
        return {"hubspot_legal_basis": f"{basis}: {str(interest.get('text') or '').strip()}"[:1000]}
    return {}


# HubSpot company properties (objectTypeId 0-2) that feed the lead's company fields.
HUBSPOT_COMPANY_PROPERTIES = {
    "name": "company",
    "domain": "website",
    "website": "website",
    "industry": "industry",
    "numberofemployees": "company_size",
    "annualrevenue": "annual_revenue",
}


def _custom_from_json(sub: Submission, column: str, value: str, problem: Any) -> None:
    """The custom fields of Accord's own export, one JSON object in one column, back into custom fields."""
    import json

    try:
        loaded = json.loads(value)
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict):
        problem(column, 'is not a JSON object of custom fields such as {"plan": "gold"}')
        return
    for key, item in loaded.items():
        name = custom_key(str(key), exact=True)
        text = clean_text("" if item is None else item)
        if name is None or _is_structured(item) or len(text) > 1000:
            problem(column, f"holds custom field {str(key)[:60]!r}, which cannot be kept (its name or value)")
            continue
        if text:
            sub.custom.setdefault(name, text)


def _is_structured(value: Any) -> bool:
    """A dict, or a list holding dicts or lists: JSON a text field cannot take (a flat list can)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value)


def normalize_submission(
    data: dict[str, Any], *, required: tuple[str, ...] = ("email",), lenient: bool = False
) -> Submission:
    """Map, clean and validate one submission. Never raises for bad data: errors are collected.

    ``lenient`` (web forms, CSV rows): a bad value of an optional field is dropped with a warning and
    the rest is kept; only a bad email refuses the submission. Strict (the API): every bad value refuses.
    """
    sub = Submission()
    seen: dict[str, str] = {}
    opt_out: str | None = None

    def problem(name: str, text: str, target: str | None = None) -> None:
        if lenient and (target or name) not in ESSENTIAL_FIELDS:
            sub.warnings[name] = text
        else:
            sub.errors[name] = text

    for raw_name, raw_value in data.items():
        if raw_name is None:
            continue
        target = resolve_field(raw_name)
        if target is None:
            # The names are kept on the intake event: stored text, so no NUL or lone surrogate.
            sub.ignored.append(_LONE_SURROGATE.sub("\ufffd", clean_text(raw_name)))
            continue
        # A JSON object or broken Unicode is a broken sender, not a bad optional value: refused always.
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
            problem(
                str(raw_name),
                f"gives {target} a second, different value; the column {seen[target]!r} already set it",
                target,
            )
            continue
        if not value and (target in seen):
            continue
        seen[target] = str(raw_name)
        limit = TEXT_FIELDS.get(target)
        if limit is not None:  # most fields: plain text, checked first
            if len(value) > limit:
                problem(target, f"is {len(value)} characters long; at most {limit} fit")
            elif value:
                sub.fields[target] = value
        elif target.startswith("custom."):
            if len(value) > 1000:
                problem(str(raw_name), f"is {len(value)} characters long; custom fields hold at most 1000")
            else:
                sub.custom[target[7:]] = value
        elif target == "activity":
            if value:
                sub.activity = re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")[:64] or "inquiry"
        elif target == "custom_json":
            if value:
                _custom_from_json(sub, str(raw_name), value, problem)
        elif target in ("campaign_ref", "member_status"):
            if value:
                sub.fields[target] = value[:200]
        elif target in INTEGER_FIELDS:
            if value:
                number = _parse_int(value)
                if number is None or number > 10_000_000:
                    problem(target, f"{value!r} is not a whole number of employees (e.g. 250)")
                else:
                    sub.fields[target] = number
        elif target in AMOUNT_FIELDS:
            if value:
                amount = parse_amount(value)
                if amount is None:
                    problem(target, f"{value!r} is not an amount (e.g. 5000000 or 5M)")
                else:
                    sub.fields[target] = amount
        elif target == "consent":
            if value and value.lower() != "unknown":  # "unknown" (an export's word) says nothing
                parsed = _parse_consent(value)
                if parsed is None:
                    problem("consent", f"{value!r} is not a consent answer; use yes/no (or true/false)")
                else:
                    sub.fields["consent"] = parsed
        elif target == "consent_at":
            if value:
                try:
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    problem("consent_at", f"{value!r} is not an ISO date-time such as 2026-05-01T10:00:00Z")
                else:
                    sub.fields["consent_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        else:
            raise AssertionError(f"resolve_field gave {target!r}, which no branch takes")
    if len(sub.custom) > MAX_CUSTOM_FIELDS:
        sub.errors["custom"] = (
            f"has {len(sub.custom)} custom fields; at most {MAX_CUSTOM_FIELDS} fit in one submission"
        )
    if opt_out is not None and "consent" not in sub.fields:
        # Having opted out is "denied"; not having opted out says nothing: it is never consent.
        if _parse_consent(opt_out) == "granted":
            sub.fields["consent"] = "denied"
            sub.fields.setdefault("consent_source", "Email opt-out")
        elif opt_out and _parse_consent(opt_out) is None:
            problem("email_opt_out", f"{opt_out!r} is not an opt-out answer; use yes/no (or 1/0)")
    if sub.fields.get("consent") != "granted":
        # Consent text belongs to consent given; with none given it would read as consent.
        text = sub.fields.pop("consent_text", None)
        if text:
            sub.custom.setdefault("consent_text_not_given", text[:1000])
    if "country" not in sub.fields and sub.custom.get("country_code"):
        sub.fields["country"] = sub.custom["country_code"][: TEXT_FIELDS["country"]]
    if "state" not in sub.fields and sub.custom.get("state_code"):
        sub.fields["state"] = sub.custom["state_code"][: TEXT_FIELDS["state"]]

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
