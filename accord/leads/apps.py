from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "accord.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        # A worker that starts requeues the imports a stopped worker left running, before taking tasks.
        from accord.core.periodic import register_worker_startup
        from accord.leads.importing import import_jobs_resume_stale

        register_worker_startup(import_jobs_resume_stale)
