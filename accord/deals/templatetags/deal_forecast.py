"""Template tags for the forecast table: money per currency in one cell."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django import template

register = template.Library()


@register.simple_tag
def money(amounts: Mapping[str, Decimal]) -> str:
    """'1200.00 USD, 300.00 EUR' (currencies in order), or an en dash when there is none."""
    parts = [f"{amount:,.2f} {currency}" for currency, amount in sorted(amounts.items()) if amount]
    return ", ".join(parts) or "–"


@register.simple_tag
def money_cell(cells: Mapping[str, Mapping[str, Decimal]], key: str) -> str:
    """The amounts of one period of a forecast row."""
    return money(cells.get(key, {}))
