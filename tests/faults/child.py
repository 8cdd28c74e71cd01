"""Child processes of the fault tests: ``python -m tests.faults.child COMMAND ARGS`` from the repo root.

create-job CSV [--no-queue | --run-after SECONDS]
                      store CSV as an import job, queue it (to start in SECONDS), print the job id
deadline SECONDS      give a new lead of a new rep an SLA clock due in SECONDS, queue its breach
                      task for then, print {"clock": id, "due_at": ISO time}
setup-intake          a marketing user's API token, a form source and a queued form source without
                      rate limit (JSON)
run-job ID [LIMIT]    run the job in this process; LIMIT caps the size of any file it writes
                      (RLIMIT_FSIZE, SIGXFSZ ignored so a write fails with EFBIG like a full disk)
"""

from __future__ import annotations

import os
import resource
import signal
import sys


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "run-job" and len(args) > 1:
        # Set before Django starts: the database and the error file hit the limit mid-import.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = int(args[1])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.files import File

    from accord.intake.importing import import_job_create, import_job_run, import_source_default
    from accord.intake.tasks import import_job_run_task

    if command == "create-job":
        with open(args[0], "rb") as fh:
            job = import_job_create(
                uploaded=File(fh, name=os.path.basename(args[0])), source=import_source_default()
            )
        if "--run-after" in args:  # queued to start that many seconds from now
            from datetime import timedelta

            from django.utils import timezone

            start = timezone.now() + timedelta(seconds=float(args[args.index("--run-after") + 1]))
            import_job_run_task.using(run_after=start).enqueue(job.pk)
        elif "--no-queue" not in args:
            import_job_run_task.enqueue(job.pk)
        print(job.pk)
        return 0
    if command == "run-job":
        job = import_job_run(job_id=int(args[0]))
        print(job.status)
        return 0
    if command == "deadline":
        import json
        import uuid
        from datetime import timedelta

        from django.utils import timezone

        from accord.leads.models import Lead
        from accord.people.models import Role
        from accord.people.services import user_create
        from accord.sla.models import SlaClock
        from accord.sla.services import sla_start_for_assignment
        from accord.sla.tasks import sla_clock_breach_task

        tag = uuid.uuid4().hex[:8]
        rep = user_create(username=f"rep-{tag}", roles=[Role.SALES_REP])
        email = f"deadline-{tag}@example.com"
        lead = Lead.objects.create(
            email=email, email_key=email, first_name="Dee", last_name="Line", owner=rep
        )
        clock = sla_start_for_assignment(lead=lead, assigned_at=timezone.now())
        due = timezone.now() + timedelta(seconds=float(args[0]))
        SlaClock.objects.filter(pk=clock.pk).update(due_at=due)  # the policy's window, shortened
        sla_clock_breach_task.using(run_after=due).enqueue(clock_id=clock.pk)
        print(json.dumps({"clock": clock.pk, "due_at": due.isoformat()}))
        return 0
    if command == "setup-intake":
        import json

        from accord.leads.models import Source
        from accord.leads.services import source_create
        from accord.people.models import Role
        from accord.people.services import api_token_create, user_create

        user = user_create(username="intake", roles=[Role.MARKETING])
        raw, _ = api_token_create(user=user, name="fault test")
        source = source_create(name="Fault form")
        queued = source_create(name="Fault busy form", queue_submissions=True)
        Source.objects.filter(pk__in=[source.pk, queued.pk]).update(rate_limit_per_minute=1_000_000)
        print(json.dumps({"token": raw, "form_key": source.public_key, "queued_form_key": queued.public_key}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
