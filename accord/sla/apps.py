from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "accord.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        # A lead as the API shows it lists its running clocks; leads sit below SLA and ask through this.
        from accord.leads.registry import register_lead_prefetch
        from accord.sla.selectors import open_clocks_prefetch

        register_lead_prefetch(open_clocks_prefetch)
