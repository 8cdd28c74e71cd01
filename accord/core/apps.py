from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "accord.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models import Field, ForeignObject

        from accord.core.lookups import InArray
        from accord.core.periodic import Periodic, register_periodic
        from accord.core.security_headers import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="accord.core.session_last_seen")
        Field.register_lookup(InArray)
        ForeignObject.register_lookup(InArray)  # relations keep lookups of their own

        # Tasks left RUNNING by a worker that was killed outright go back in the queue (tasks.py).
        register_periodic(
            Periodic(
                "task-results-orphaned",
                "accord.core.tasks.task_results_requeue_orphaned_task",
                timedelta(minutes=1),
            ),
            # The public doors' rate counts keep one row per address and minute: old ones go hourly.
            Periodic("rate-windows-forget", "accord.core.tasks.rate_windows_forget_task", timedelta(hours=1)),
        )
