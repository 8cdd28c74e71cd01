"""``accord worker``: runs background tasks (django-tasks-db's ``db_worker``, all queues by default)."""

from __future__ import annotations

from django.core.management.base import CommandParser
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "Run background tasks from the database queue until stopped (Ctrl-C finishes cleanly)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # One worker serves every queue unless told otherwise; reloading on code changes is for
        # `db_worker --reload` during development, not for the worker `accord run` starts.
        parser.set_defaults(queue_name="*", reload=False)
