"""The ISO 4217 currencies Accord accepts, vendored here (no download at run time).

Active codes of national and regional currencies as ISO 4217 lists them (funds, precious metals and
testing codes left out). ``currency_check`` is the one validation every form, API and service
uses, so a typo such as ``USS`` is refused with the same clear message everywhere.
"""

from __future__ import annotations

from typing import Any

from django import forms

from accord.core.errors import ApplicationError

CURRENCIES: dict[str, str] = {
    "AED": "UAE dirham",
    "AFN": "Afghani",
    "ALL": "Lek",
    "AMD": "Armenian dram",
    "ANG": "Netherlands Antillean guilder",
    "AOA": "Kwanza",
    "ARS": "Argentine peso",
    "AUD": "Australian dollar",
    "AWG": "Aruban florin",
    "AZN": "Azerbaijan manat",
    "BAM": "Convertible mark",
    "BBD": "Barbados dollar",
    "BDT": "Taka",
    "BGN": "Bulgarian lev",
    "BHD": "Bahraini dinar",
    "BIF": "Burundi franc",
    "BMD": "Bermudian dollar",
    "BND": "Brunei dollar",
    "BOB": "Boliviano",
    "BRL": "Brazilian real",
    "BSD": "Bahamian dollar",
    "BTN": "Ngultrum",
    "BWP": "Pula",
    "BYN": "Belarusian ruble",
    "BZD": "Belize dollar",
    "CAD": "Canadian dollar",
    "CDF": "Congolese franc",
    "CHF": "Swiss franc",
    "CLP": "Chilean peso",
    "CNY": "Yuan renminbi",
    "COP": "Colombian peso",
    "CRC": "Costa Rican colón",
    "CUP": "Cuban peso",
    "CVE": "Cabo Verde escudo",
    "CZK": "Czech koruna",
    "DJF": "Djibouti franc",
    "DKK": "Danish krone",
    "DOP": "Dominican peso",
    "DZD": "Algerian dinar",
    "EGP": "Egyptian pound",
    "ERN": "Nakfa",
    "ETB": "Ethiopian birr",
    "EUR": "Euro",
    "FJD": "Fiji dollar",
    "FKP": "Falkland Islands pound",
    "GBP": "Pound sterling",
    "GEL": "Lari",
    "GHS": "Ghana cedi",
    "GIP": "Gibraltar pound",
    "GMD": "Dalasi",
    "GNF": "Guinean franc",
    "GTQ": "Quetzal",
    "GYD": "Guyana dollar",
    "HKD": "Hong Kong dollar",
    "HNL": "Lempira",
    "HTG": "Gourde",
    "HUF": "Forint",
    "IDR": "Rupiah",
    "ILS": "New Israeli sheqel",
    "INR": "Indian rupee",
    "IQD": "Iraqi dinar",
    "IRR": "Iranian rial",
    "ISK": "Iceland króna",
    "JMD": "Jamaican dollar",
    "JOD": "Jordanian dinar",
    "JPY": "Yen",
    "KES": "Kenyan shilling",
    "KGS": "Som",
    "KHR": "Riel",
    "KMF": "Comorian franc",
    "KPW": "North Korean won",
    "KRW": "Won",
    "KWD": "Kuwaiti dinar",
    "KYD": "Cayman Islands dollar",
    "KZT": "Tenge",
    "LAK": "Lao kip",
    "LBP": "Lebanese pound",
    "LKR": "Sri Lanka rupee",
    "LRD": "Liberian dollar",
    "LSL": "Loti",
    "LYD": "Libyan dinar",
    "MAD": "Moroccan dirham",
    "MDL": "Moldovan leu",
    "MGA": "Malagasy ariary",
    "MKD": "Denar",
    "MMK": "Kyat",
    "MNT": "Tugrik",
    "MOP": "Pataca",
    "MRU": "Ouguiya",
    "MUR": "Mauritius rupee",
    "MVR": "Rufiyaa",
    "MWK": "Malawi kwacha",
    "MXN": "Mexican peso",
    "MYR": "Malaysian ringgit",
    "MZN": "Mozambique metical",
    "NAD": "Namibia dollar",
    "NGN": "Naira",
    "NIO": "Córdoba oro",
    "NOK": "Norwegian krone",
    "NPR": "Nepalese rupee",
    "NZD": "New Zealand dollar",
    "OMR": "Rial Omani",
    "PAB": "Balboa",
    "PEN": "Sol",
    "PGK": "Kina",
    "PHP": "Philippine peso",
    "PKR": "Pakistan rupee",
    "PLN": "Zloty",
    "PYG": "Guaraní",
    "QAR": "Qatari rial",
    "RON": "Romanian leu",
    "RSD": "Serbian dinar",
    "RUB": "Russian ruble",
    "RWF": "Rwanda franc",
    "SAR": "Saudi riyal",
    "SBD": "Solomon Islands dollar",
    "SCR": "Seychelles rupee",
    "SDG": "Sudanese pound",
    "SEK": "Swedish krona",
    "SGD": "Singapore dollar",
    "SHP": "Saint Helena pound",
    "SLE": "Leone",
    "SOS": "Somali shilling",
    "SRD": "Surinam dollar",
    "SSP": "South Sudanese pound",
    "STN": "Dobra",
    "SVC": "El Salvador colón",
    "SYP": "Syrian pound",
    "SZL": "Lilangeni",
    "THB": "Baht",
    "TJS": "Somoni",
    "TMT": "Turkmenistan new manat",
    "TND": "Tunisian dinar",
    "TOP": "Pa'anga",
    "TRY": "Turkish lira",
    "TTD": "Trinidad and Tobago dollar",
    "TWD": "New Taiwan dollar",
    "TZS": "Tanzanian shilling",
    "UAH": "Hryvnia",
    "UGX": "Uganda shilling",
    "USD": "US dollar",
    "UYU": "Peso uruguayo",
    "UZS": "Uzbekistan sum",
    "VED": "Bolívar digital",
    "VES": "Bolívar soberano",
    "VND": "Dong",
    "VUV": "Vatu",
    "WST": "Tala",
    "XAF": "CFA franc BEAC",
    "XCD": "East Caribbean dollar",
    "XCG": "Caribbean guilder",
    "XOF": "CFA franc BCEAO",
    "XPF": "CFP franc",
    "YER": "Yemeni rial",
    "ZAR": "Rand",
    "ZMW": "Zambian kwacha",
    "ZWG": "Zimbabwe gold",
}

# For a form's <select>: "EUR · Euro", ordered by code.
CURRENCY_CHOICES: list[tuple[str, str]] = [(code, f"{code} · {name}") for code, name in CURRENCIES.items()]


def currency_check(value: str | None) -> str:
    """The ISO 4217 code ``value`` names (any case, spaces trimmed), or a 400 saying how to fix it."""
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        what = f"{value.strip()!r} is not an ISO 4217 currency code" if code else "is missing"
        raise ApplicationError(
            f"Currency {what}: use a three-letter code such as USD, EUR or GBP "
            "(the full list is in accord/core/currencies.py).",
            detail={"currency": "not an ISO 4217 code"},
        )
    return code


class CurrencyField(forms.ChoiceField):
    """A form's currency: a choice of the ISO 4217 codes (typed in any case when posted)."""

    default_error_messages = {
        "invalid_choice": "%(value)s is not an ISO 4217 currency code: choose one from the list, such as USD.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Currency")
        kwargs.setdefault("choices", CURRENCY_CHOICES)
        kwargs.setdefault("initial", "USD")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()
