from datetime import time, timedelta

from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "accord.deals"
    label = "deals"
    verbose_name = "Deals"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.periodic import Periodic, register_periodic
        from accord.deals.selectors import deals_won_between
        from accord.leads.registry import register_won_deals
        from accord.people.models import Role
        from accord.people.navigation import NavLink, register_nav_link

        register_periodic(
            Periodic(
                "customer-stage-rules",
                "accord.deals.tasks.customer_stages_apply_rules_task",
                timedelta(days=1),
                time(3, 0),
            )
        )
        # Revenue attribution (campaigns, a sibling) reads won deals through the leads registry.
        register_won_deals(deals_won_between)
        register_nav_link(
            NavLink(
                "Pipeline",
                "/deals/board/",
                frozenset(
                    {
                        Role.SALES_REP,
                        Role.SALES_MANAGER,
                        Role.SALES_HEAD,
                        Role.ADMIN,
                        Role.EXECUTIVE,
                        Role.MARKETING_HEAD,
                    }
                ),
            ),
            after="Deals",
        )
