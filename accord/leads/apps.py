from datetime import timedelta

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "accord.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.periodic import Periodic, register_periodic, register_worker_startup
        from accord.leads.importing import import_jobs_resume_stale

        # Imports whose worker stopped are requeued every minute, and once when a worker starts.
        register_periodic(
            Periodic(
                "import-jobs-resume", "accord.leads.tasks.import_jobs_resume_stale_task", timedelta(minutes=1)
            )
        )
        register_worker_startup(import_jobs_resume_stale)
