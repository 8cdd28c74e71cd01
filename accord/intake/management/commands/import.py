"""``accord import leads|accounts|deals|cost_lines FILE.csv [--source NAME] [--dry-run] [--encoding ENC]``.

Imports leads (the default kind everywhere), accounts, deals (linked to leads by email) or campaign
cost lines from CSV, as the import pages do; a re-import updates rather than duplicates.

Prints the summary as JSON on stdout and exits 0 when the file was processed; rejected rows are in
the error file the summary names (an absolute path, so it opens from where the command ran, with
``error_rows`` saying how many it holds; correct it and import it again as it is). Exits non-zero
with a message for a file that cannot be read, an unknown source or a wrong encoding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import ApplicationError
from accord.leads.models import ImportStatus, Source

KINDS = ("leads", "accounts", "deals", "cost_lines")


class Command(BaseCommand):
    help = (
        "Import a CSV file: `import leads|accounts|deals|cost_lines FILE.csv [--source NAME] [--dry-run] "
        "[--encoding ENC]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="What the file holds: leads, accounts, deals or cost_lines.")
        parser.add_argument("file", help="The CSV file (first line names the columns).")
        parser.add_argument(
            "--source", default="", help="Source name (default: 'CSV import', created on first use)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate and count; write nothing.")
        parser.add_argument(
            "--encoding", default="", help="The file's encoding, e.g. latin-1 (default UTF-8)."
        )
        parser.add_argument("--mapping", default="", help='JSON {"column": "field" or "" to skip}.')

    def handle(self, *args: Any, **options: Any) -> None:
        from accord.intake.importing.engine import leads_import
        from accord.intake.importing.jobs import import_job_run, import_source_default

        if options["kind"] not in KINDS:
            raise CommandError(
                f"Cannot import {options['kind']!r}: import one of {', '.join(KINDS)} "
                "(accord import leads FILE.csv)."
            )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a readable file.")
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"])
            except ValueError as exc:
                raise CommandError(f"--mapping is not valid JSON: {exc}") from None
            if not isinstance(mapping, dict):
                raise CommandError('--mapping must be a JSON object such as {"Mail": "email"}.')
        if options["source"]:
            source = Source.objects.filter(name__iexact=options["source"].strip()).first()
            if source is None:
                names = ", ".join(Source.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(
                    f"Unknown source {options['source']!r} (known: {names}). "
                    "Create it with `accord source create NAME --kind import`."
                )
        else:
            source = import_source_default()
        try:
            if options["dry_run"] and options["kind"] != "leads":
                from accord.intake.importing.records import records_import

                summary = records_import(
                    kind=options["kind"],
                    path=path,
                    mapping=mapping,
                    encoding=options["encoding"],
                    dry_run=True,
                )
            elif options["dry_run"]:
                summary = leads_import(
                    path=path, source=source, mapping=mapping, encoding=options["encoding"], dry_run=True
                )
            else:
                summary = self._run_as_job(
                    path, source, mapping, options["encoding"], import_job_run, kind=options["kind"]
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        summary = self._for_the_terminal(summary)
        self.stdout.write(json.dumps(summary, indent=2))
        if summary["error_file"]:
            kept = summary.get("kept_with_warnings", 0)
            self.stderr.write(
                f"{summary.get('rejected', 0)} rejected rows"
                + (f" and {kept} rows imported without a bad value" if kept else "")
                + f", each with what was wrong and how to fix it, are in "
                f"{summary['error_file']}; correct them there and import that file again."
            )

    @staticmethod
    def _for_the_terminal(summary: dict) -> dict:
        """The summary with the error file as a path that opens from any folder, and its row count.

        The job stores the path relative to MEDIA_ROOT (where the pages serve it from)."""
        summary = dict(summary)
        if summary.get("error_file"):
            summary["error_file"] = str((Path(settings.MEDIA_ROOT) / summary["error_file"]).resolve())
        summary["error_rows"] = (
            summary.get("rejected", 0) + summary.get("kept_with_warnings", 0)
            if summary.get("error_file")
            else 0
        )
        return summary

    def _run_as_job(
        self, path: Path, source: Source, mapping: dict | None, encoding: str, run: Any, kind: str = "leads"
    ) -> dict:
        """Run as an ImportJob (file copied under MEDIA_ROOT) so it shows on the import pages."""
        from accord.intake.importing.jobs import import_job_create
        from accord.intake.importing.reading import encoding_check

        encoding_check(path, encoding)  # fail fast, before copying the file
        with open(path, "rb") as fh:
            job = import_job_create(
                uploaded=File(fh, name=path.name),
                source=source if kind == "leads" else None,
                encoding=encoding,
                kind=kind,
            )
        if mapping:
            from accord.intake.importing.jobs import import_job_set_mapping

            import_job_set_mapping(job=job, mapping=mapping)
        job = run(job_id=job.pk)
        if job.status != ImportStatus.DONE:
            raise CommandError(job.error_message or f"The import ended as {job.status}.")
        return job.summary
