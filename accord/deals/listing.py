"""The deal list, defined once for its page and the saved views (see ``accord.core.listing``).

Deals are a few per cent of leads, so sorting them by amount or close date without an index of their
own stays cheap; the default order (newest first) and the stage filter use indexes.
"""

from __future__ import annotations

from accord.core.listing import Column, FilterField, ListDefinition
from accord.deals.models import DealStage
from accord.leads.listing import owner_value

DEAL_LIST = ListDefinition(
    name="deals",
    noun="deals",
    columns=(
        Column("name", "Deal", sort=("name",)),
        Column("account", "Account"),
        Column("contact", "Contact"),
        Column("owner", "Owner"),
        Column("stage", "Stage", sort=("stage", "created_at")),
        Column("amount", "Amount", sort=("amount",)),
        Column("expected_close", "Expected close", sort=("expected_close",)),
        Column("closed", "Closed", sort=("closed_at",), default=False),
        Column("created", "Opened", sort=("created_at",), default=False),
    ),
    filters=(
        FilterField("name", "Deal name", "name"),
        FilterField("stage", "Stage", "stage", "choice", tuple(DealStage.choices)),
        FilterField("owner", "Owner", "owner", "user"),
        FilterField("account", "Account", "account__name"),
        FilterField("contact", "Contact email", "contact__email_key"),
        FilterField("amount", "Amount", "amount", "number"),
        FilterField("currency", "Currency", "currency"),
        FilterField("expected_close", "Expected close", "expected_close", "date"),
        FilterField("closed", "Closed", "closed_at", "date"),
        FilterField("created", "Opened", "created_at", "date"),
    ),
    default_order=("-created_at", "-id"),
    user_value=owner_value,
)
