from datetime import time, timedelta

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "accord.reporting"
    label = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # Imported here: core.periodic needs the app registry ready (models).
        from accord.core.periodic import Periodic, register_periodic

        register_periodic(
            Periodic(
                "reporting-rollups-refresh",
                "accord.reporting.tasks.rollups_refresh_task",
                timedelta(minutes=1),
            ),
            Periodic(
                "reporting-rollups-rebuild",
                "accord.reporting.tasks.rollups_rebuild_task",
                timedelta(days=1),
                time(1, 30),
            ),
            Periodic(
                "executive-summary-email",
                "accord.reporting.tasks.executive_summary_email_task",
                timedelta(days=7),
                time(7, 0),
            ),
        )
