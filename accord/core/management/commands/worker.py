"""``accord worker``: runs background tasks and enqueues the periodic work declared in
accord/core/periodic.py when it falls due.

With ``ACCORD_TASK_BACKEND=db`` (the default) it is django-tasks-db's ``db_worker`` on every queue;
with ``rq`` it is an RQ worker (django-rq) on the configured queues, with RQ's scheduler, which moves
tasks deferred with ``run_after`` onto their queue when they fall due. Any number of workers may run
either way: the periodic work is claimed once per due time (``periodic.py``)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from accord.core.periodic import periodic_enqueue_due

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


def _resume_stale_imports() -> None:
    """Imports a stopped worker left running are requeued before this worker takes tasks."""
    from accord.leads.importing import import_jobs_resume_stale

    try:
        import_jobs_resume_stale()
    except Exception:  # the periodic sweep tries again
        log.exception("stale import jobs could not be requeued")


def _run_rq_worker(options: dict[str, Any]) -> None:
    """Work the RQ queues until stopped (``--batch``: until they are empty, after enqueueing the
    deferred tasks that are due)."""
    from django_rq import get_worker
    from django_rq.utils import reset_db_connections
    from django_tasks_rq import Job
    from rq.logutils import setup_loghandlers
    from rq.worker import SimpleWorker

    queue_names = (
        list(settings.TASKS["default"]["QUEUES"])
        if options["queue_name"] == "*"
        else options["queue_name"].split(",")
    )
    level = "DEBUG" if options["verbosity"] >= 2 else "WARNING" if options["verbosity"] == 0 else "INFO"
    setup_loghandlers(level)
    # The worker class comes from django-rq's RQ["WORKER_CLASS"]: RQ's default forks a process per task.
    worker = get_worker(*queue_names, job_class=Job, name=options["worker_id"])
    if not isinstance(worker, SimpleWorker):
        reset_db_connections()  # a forked task must not share this process's database connection
    worker.work(
        burst=options["batch"],
        with_scheduler=True,
        max_jobs=options["max_tasks"],
        logging_level=level,
    )


class Command(DbWorkerCommand):
    help = "Run background tasks (database or RQ queue, by ACCORD_TASK_BACKEND) until stopped (Ctrl-C finishes cleanly)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # One worker serves every queue unless told otherwise; reloading on code changes is for
        # `db_worker --reload` during development, not for the worker `accord run` starts.
        parser.set_defaults(queue_name="*", reload=False)
        if settings.ACCORD_TASK_BACKEND == "rq":
            # db_worker's --backend accepts only a database backend; the RQ worker does not use it.
            for action in parser._actions:
                if action.dest == "backend_name":
                    action.type = None
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
        _resume_stale_imports()
        try:
            if settings.ACCORD_TASK_BACKEND == "rq":
                _run_rq_worker(options)
            else:
                super().handle(*args, **options)
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=5)
