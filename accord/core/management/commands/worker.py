"""``accord worker``: runs background tasks (django-tasks-db's ``db_worker``, all queues by default)
and enqueues the periodic work apps register (accord.core.periodic) when it falls due.

The worker outlives a database outage instead of exiting. When the database stops answering it
closes its connections, logs once, and tries again after a pause that doubles from 0.5 s to 5 s;
once the database answers it logs once more and carries on polling. Claiming a task stays what
django-tasks-db does (SELECT ... FOR UPDATE SKIP LOCKED, then marking it RUNNING in the same
transaction), so no task is run by two workers. What happens to work in flight:

- a task that fails *because* the database went away (OperationalError or InterfaceError) goes back
  in the queue once the database is back, and runs again (at most five runs in all: a task that
  keeps failing that way is then recorded as failed). Accord's tasks re-check state and may run
  twice, so this is safe;
- a task that finished while the database was away has its outcome written once it is back;
- a claim whose commit was lost with the connection is put back in the queue;
- a task left RUNNING by a worker that was killed outright is put back in the queue by the
  periodic orphan sweep once the dead worker's heartbeat is older than ``ACCORD_WORKER_STALE_SECONDS``;
- an import cut off by the outage is left RUNNING (its failure could not be written either); the
  stale-import sweep puts it back in the queue once its heartbeat is older than
  ``ACCORD_IMPORT_STALE_SECONDS``, and it goes on after the rows already committed. The worker
  runs that sweep as the database comes back, as well as every minute and when it starts.

A second thread writes this worker's heartbeat every 10 s (read by ``/healthz``) and enqueues due
periodic work; it waits out an outage the same way.

With ``ACCORD_TASK_BACKEND=rq`` it is an RQ worker (django-rq) on the configured queues instead, with
RQ's scheduler, which moves tasks deferred with ``run_after`` onto their queue when they fall due
(docs/scale-out.md); the heartbeat and periodic thread run beside it the same way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.management.base import CommandError, CommandParser
from django.db import InterfaceError, OperationalError, close_old_connections, connection, connections
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accord.core.periodic import periodic_enqueue_due, worker_startup_run
from accord.core.workers import HEARTBEAT_SECONDS, worker_heartbeat_beat, worker_heartbeats_forget_old

log = logging.getLogger(__name__)

# The errors that mean "the database cannot be reached", as the web's 503 handling reads them.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# A task cut off by database outages this many times is recorded as failed instead of requeued.
MAX_RUNS_CUT_OFF = 5


def connections_close() -> None:
    """Drop this thread's database connections; a broken one may raise as it closes."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(*DATABASE_ERRORS):
            conn.close()


def database_answers() -> bool:
    """Whether the database answers a trivial query now (from this thread)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DATABASE_ERRORS:
        connections_close()
        return False
    return True


@dataclass
class DatabaseWait:
    """Waiting out a database outage: pauses from ``first`` doubling to ``longest`` seconds between
    attempts, one log line when the outage is noticed and one when it is over."""

    who: str
    first: float = 0.5
    longest: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    answers: Callable[[], bool] = database_answers

    def until_back(self, error: BaseException, *, keep_going: Callable[[], bool] = lambda: True) -> bool:
        """Return True once the database answers again, False if ``keep_going()`` turns false first."""
        connections_close()
        log.warning("%s: the database is unavailable (%s); waiting for it to come back", self.who, error)
        began = time.monotonic()
        delay = self.first
        while keep_going():
            self.sleep(delay)
            if self.answers():
                log.warning(
                    "%s: the database is back after %.1f s; carrying on", self.who, time.monotonic() - began
                )
                return True
            delay = min(self.longest, delay * 2)
        return False


class OutageProofWorker(Worker):
    """django-tasks-db's worker, kept alive through database outages (see the module docstring)."""

    def __init__(self, *, wait: DatabaseWait | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wait = wait or DatabaseWait(who=f"worker {self.worker_id}")

    def run(self) -> None:
        while self.running:
            try:
                super().run()
                return  # --batch or --max-tasks: done
            except DATABASE_ERRORS as exc:
                self.startup_delay = False
                if not self.wait.until_back(exc, keep_going=lambda: self.running):
                    return
                self.requeue_own_lost_claims()
                _startup_steps_run()

    def requeue_own_lost_claims(self) -> list[str]:
        """Put back in the queue the tasks this worker claimed but is not running: a claim whose
        COMMIT went through while its answer was lost with the connection. Between two tasks this
        worker runs nothing, so any RUNNING task it was the last to claim is one of those."""
        requeued = []
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, backend_name=self.backend_name)
        for pk, worker_ids, started_at in running.values_list("pk", "worker_ids", "started_at"):
            if worker_ids[-1:] != [self.worker_id]:
                continue
            if DBTaskResult.objects.filter(
                pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at
            ).update(status=TaskResultStatus.READY):
                requeued.append(str(pk))
        for pk in requeued:
            log.warning("task %s was claimed as the database went away; it goes back in the queue", pk)
        return requeued

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """As django-tasks-db runs a task, except that a task cut off by a database outage goes
        back in the queue, and an outcome that could not be written is written once it is back."""
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend = task.get_backend()
            task_started.send(sender=backend, task_result=task_result)
            args, kwargs = task_result.args, task_result.kwargs
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *args, **kwargs)
            else:
                value = task.call(*args, **kwargs)
            # Writing the outcome inside the try: a value that cannot be stored (not JSON) is a failure.
            self._write(partial(db_task_result.set_successful, value))
            task_finished.send(sender=backend, task_result=db_task_result.task_result)
        except DATABASE_ERRORS as exc:
            if len(db_task_result.worker_ids) >= MAX_RUNS_CUT_OFF:
                self._fail(db_task_result, exc)
            else:
                self._write(partial(self._requeue, db_task_result, exc))
                self._finished(db_task_result)
        except BaseException as exc:
            self._fail(db_task_result, exc)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _write(self, write: Callable[[], None]) -> None:
        """Write a task's outcome, waiting for the database if it is away."""
        while True:
            try:
                write()
                return
            except DATABASE_ERRORS as exc:
                # Waits even while stopping: an outcome is worth the wait, and a second Ctrl-C
                # (or the SIGKILL after `accord run`'s grace period) still ends the process.
                self.wait.until_back(exc)
                _startup_steps_run()

    def _requeue(self, db_task_result: DBTaskResult, exc: BaseException) -> None:
        DBTaskResult.objects.filter(pk=db_task_result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY
        )
        db_task_result.status = TaskResultStatus.READY
        log.warning(
            "task %s (%s) was cut off by the database (%s); it goes back in the queue",
            db_task_result.pk,
            db_task_result.task_path,
            exc,
        )

    def _fail(self, db_task_result: DBTaskResult, exc: BaseException) -> None:
        self._write(partial(db_task_result.set_failed, exc))
        self._finished(db_task_result)

    def _finished(self, db_task_result: DBTaskResult) -> None:
        # As django-tasks-db: a task whose code is gone is logged instead of signalled.
        try:
            sender = type(db_task_result.task.get_backend())
            task_result = db_task_result.task_result
        except (ImportError, SuspiciousOperation):
            log.exception("Task id=%s failed unexpectedly", db_task_result.id)
        else:
            task_finished.send(sender=sender, task_result=task_result)


def _background_loop(
    stop: threading.Event, *, worker_id: str, started_at: datetime, periodic: bool, periodic_interval: float
) -> None:
    """Write the heartbeat every HEARTBEAT_SECONDS and, unless ``periodic`` is off, enqueue due
    periodic work every ``periodic_interval`` seconds."""
    wait = DatabaseWait(who=f"worker {worker_id} (heartbeat)")
    next_periodic = 0.0
    forgotten = False
    while not stop.is_set():
        try:
            close_old_connections()
            worker_heartbeat_beat(worker_id=worker_id, started_at=started_at)
            if not forgotten:
                worker_heartbeats_forget_old()
                forgotten = True
            if periodic and time.monotonic() >= next_periodic:
                next_periodic = time.monotonic() + periodic_interval
                periodic_enqueue_due()
        except DATABASE_ERRORS as exc:
            if not wait.until_back(exc, keep_going=lambda: not stop.is_set()):
                break
            continue  # beat at once: /healthz should see the worker as soon as it can
        except Exception:  # keep the loop alive: the next tick tries again
            log.exception("periodic work could not be enqueued")
        stop.wait(HEARTBEAT_SECONDS)
    connections_close()


def _startup_steps_run() -> None:
    """The startup steps apps register (the leads app requeues imports a stopped worker left running),
    run when the worker starts and again when the database comes back after an outage."""
    worker_startup_run()


def _run_rq_worker(
    *, queue_name: str, verbosity: int, batch: bool, max_tasks: int | None, worker_id: str
) -> None:
    """Work the RQ queues until stopped (``--batch``: until they are empty, after enqueueing the
    deferred tasks that are due). RQ is imported here: it is installed only where it is chosen."""
    from django_rq import get_worker
    from django_rq.utils import reset_db_connections
    from django_tasks_rq import Job
    from rq.logutils import setup_loghandlers
    from rq.worker import SimpleWorker

    queue_names = list(settings.TASKS["default"]["QUEUES"]) if queue_name == "*" else queue_name.split(",")
    level = "DEBUG" if verbosity >= 2 else "WARNING" if verbosity == 0 else "INFO"
    setup_loghandlers(level)
    # The worker class comes from django-rq's RQ["WORKER_CLASS"]: RQ's default forks a process per task.
    worker = get_worker(*queue_names, job_class=Job, name=worker_id)
    if not isinstance(worker, SimpleWorker):
        reset_db_connections()  # a forked task must not share this process's database connection
    if batch:
        # A --batch worker stops once the queues are empty and takes no remote commands, so it opens
        # no command channel: RQ's pub/sub thread for it is joined on the way out, a wait that can
        # hang when the process clock is faked (the any-day test run).
        worker.subscribe = lambda: None  # type: ignore[method-assign]
    worker.work(burst=batch, with_scheduler=True, max_jobs=max_tasks, logging_level=level)


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
            "--nice",
            type=int,
            default=0,
            choices=range(20),
            metavar="0-19",
            help="Lower this worker's CPU priority by this much (os.nice): `accord run` passes "
            "ACCORD_WORKER_NICE, default 10, so requests go first when both want the CPU.",
        )
        parser.add_argument(
            "--periodic-interval",
            type=float,
            default=30.0,
            help="Seconds between checks for due periodic work.",
        )

    def handle(  # type: ignore[override]
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        no_periodic: bool,
        periodic_interval: float,
        nice: int = 0,
        **options: Any,
    ) -> None:
        # django-tasks-db's handle(), building the outage-proof worker instead of its own.
        self.configure_logging(verbosity)
        if nice:
            os.nice(nice)
        if reload and batch:
            log.warning("--reload and --batch cannot be specified together; not reloading.")
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        rq = settings.ACCORD_TASK_BACKEND == "rq"
        worker = (
            None
            if rq
            else OutageProofWorker(
                queue_names=queue_names,
                interval=interval,
                batch=batch,
                backend_name=backend_name,
                startup_delay=startup_delay,
                max_tasks=max_tasks,
                worker_id=worker_id,
                excluded_queue_names=excluded,
            )
        )

        # The heartbeat runs in batch mode too: another worker must not take this one's tasks for
        # orphans. Periodic work is for long-running workers only.
        stop = threading.Event()
        thread = threading.Thread(
            target=_background_loop,
            kwargs={
                "stop": stop,
                "worker_id": worker_id,
                "started_at": timezone.now(),
                "periodic": not no_periodic and not batch,
                "periodic_interval": periodic_interval,
            },
            name="heartbeat",
            daemon=True,
        )
        thread.start()
        _startup_steps_run()
        try:
            if worker is None:
                _run_rq_worker(
                    queue_name=queue_name,
                    verbosity=verbosity,
                    batch=batch,
                    max_tasks=max_tasks,
                    worker_id=worker_id,
                )
            elif reload:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()  # only the reloaded child handles signals
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            stop.set()
            thread.join(timeout=5)
