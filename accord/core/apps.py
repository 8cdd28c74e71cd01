from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "accord.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from accord.core.periodic import Periodic, register_periodic

        # Tasks left RUNNING by a worker that was killed outright go back in the queue (tasks.py).
        register_periodic(
            Periodic(
                "task-results-orphaned",
                "accord.core.tasks.task_results_requeue_orphaned_task",
                timedelta(minutes=1),
            )
        )
