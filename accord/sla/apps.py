from datetime import time, timedelta

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "accord.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.periodic import Periodic, register_periodic
        from accord.leads.registry import register_lead_prefetch
        from accord.sla.selectors import open_clocks_prefetch

        register_periodic(
            Periodic(
                "nurture-recheck",
                "accord.sla.nurture.nurture_recheck_due_task",
                timedelta(days=1),
                time(4, 0),
            )
        )
        # A lead as the API shows it lists its running clocks; leads sit below SLA and ask through this.
        register_lead_prefetch(open_clocks_prefetch)
