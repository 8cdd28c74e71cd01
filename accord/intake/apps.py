from datetime import timedelta

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The conductor of the lead's path (see services.py) and the submission queue (queue.py); its
    tables live in leads."""

    name = "accord.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.periodic import Periodic, register_periodic, register_worker_startup
        from accord.intake.importing import import_jobs_resume_stale
        from accord.intake.queue import submissions_sweep
        from accord.intake.services import lead_intake, leads_hand_off, leads_route_later
        from accord.leads import doors, hand_off
        from accord.routing import services as routing
        from accord.sla import external
        from accord.sla.services import sla_start_for_assignment

        # Bulk re-scoring (qualification, below the conductor) hands leads on through this.
        hand_off.hand_off.fill(leads_hand_off)
        # The lead API's create stays beside its list in leads, and runs the pipeline through this.
        doors.lead_intake.fill(lead_intake)
        # Routing and SLA are siblings that do not import each other; the conductor joins them:
        # an assignment starts the new owner's clock, and a lead the external review clears is routed.
        routing.lead_assigned.fill(sla_start_for_assignment)
        external.leads_route_later.fill(leads_route_later)

        # CSV imports whose worker stopped are requeued every minute, and once when a worker starts.
        register_periodic(
            Periodic(
                "import-jobs-resume",
                "accord.intake.tasks.import_jobs_resume_stale_task",
                timedelta(minutes=1),
            )
        )
        register_worker_startup(import_jobs_resume_stale)
        # Queued submissions left by a stopped worker get a drain every minute and when a worker starts.
        register_periodic(
            Periodic(
                "submissions-sweep",
                "accord.intake.tasks.submissions_sweep_task",
                timedelta(minutes=1),
            )
        )
        register_worker_startup(submissions_sweep)
