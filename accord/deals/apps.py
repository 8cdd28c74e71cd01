from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "accord.deals"
    label = "deals"
    verbose_name = "Deals"

    def ready(self) -> None:
        # Revenue attribution (campaigns, a sibling) reads won deals through the leads registry.
        from accord.deals.selectors import deals_won_between
        from accord.leads.registry import register_won_deals

        register_won_deals(deals_won_between)
