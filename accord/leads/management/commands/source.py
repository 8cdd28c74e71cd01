"""``accord source create NAME [--kind ...]`` prints the new public form key; ``accord source list``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import ApplicationError
from accord.leads.models import Source, SourceKind


class Command(BaseCommand):
    help = "Manage intake sources: `source create NAME [--kind form|api|import|email|other]`, `source list`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list}")
        create = sub.add_parser("create", help="Create a source and print its public form key.")
        create.add_argument("name")
        create.add_argument("--kind", default=SourceKind.FORM, choices=SourceKind.values)
        sub.add_parser("list", help="Print every source: name, kind, key.")

    def handle(self, *args: Any, **options: Any) -> None:
        from accord.leads.services import source_create

        if options["action"] == "create":
            try:
                source = source_create(name=options["name"], kind=options["kind"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(source.public_key)
            return
        for source in Source.objects.order_by("name"):
            self.stdout.write(f"{source.name}\t{source.kind}\t{source.public_key}")
