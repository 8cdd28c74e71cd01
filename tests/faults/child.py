"""Child processes of the fault tests: ``python -m tests.faults.child COMMAND ARGS`` from the repo root.

create-job CSV        store CSV as an import job, queue it, print the job id
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

    from accord.leads.importing import import_job_create, import_job_run, import_source_default
    from accord.leads.tasks import import_job_run_task

    if command == "create-job":
        with open(args[0], "rb") as fh:
            job = import_job_create(
                uploaded=File(fh, name=os.path.basename(args[0])), source=import_source_default()
            )
        if "--no-queue" not in args:
            import_job_run_task.enqueue(job.pk)
        print(job.pk)
        return 0
    if command == "run-job":
        job = import_job_run(job_id=int(args[0]))
        print(job.status)
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
        Source.objects.filter(pk=source.pk).update(rate_limit_per_minute=1_000_000)
        print(json.dumps({"token": raw, "form_key": source.public_key}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
