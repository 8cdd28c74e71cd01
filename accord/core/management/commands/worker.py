"""``accord worker``: runs background tasks (django-tasks-db's ``db_worker``, all queues by default)
and enqueues the periodic work apps register (accord.core.periodic) when it falls due."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management.base import CommandParser
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from accord.core.periodic import periodic_enqueue_due, worker_startup_run

log = logging.getLogger(__name__)


def _periodic_loop(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            periodic_enqueue_due()
        except Exception:  # keep the loop alive: the next tick tries again
            log.exception("periodic work could not be enqueued")
        stop.wait(interval)
    connection.close()


class Command(DbWorkerCommand):
    help = "Run background tasks from the database queue until stopped (Ctrl-C finishes cleanly)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # One worker serves every queue unless told otherwise; reloading on code changes is for
        # `db_worker --reload` during development, not for the worker `accord run` starts.
        parser.set_defaults(queue_name="*", reload=False)
        parser.add_argument(
            "--no-periodic", action="store_true", help="Do not enqueue periodic work from this worker."
        )
        parser.add_argument(
            "--periodic-interval",
            type=float,
            default=30.0,
            help="Seconds between checks for due periodic work.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        thread = None
        if not options.pop("no_periodic") and not options.get("batch"):
            thread = threading.Thread(
                target=_periodic_loop, args=(stop, options["periodic_interval"]), name="periodic", daemon=True
            )
            thread.start()
        options.pop("periodic_interval")
        worker_startup_run()  # e.g. imports a stopped worker left running are requeued first
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=5)
