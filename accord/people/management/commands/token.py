"""``accord token create --user U [--name N]``: a personal API token, printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.people.models import User
from accord.people.services import api_token_create


class Command(BaseCommand):
    help = "Manage personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser(
            "create",
            help="Create a token for a user and print it (only the token, on stdout: it is shown once).",
        )
        create.add_argument("--user", required=True, help="Username of the token's owner.")
        create.add_argument("--name", default="API token", help="A label to tell tokens apart.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            self._create(username=options["user"], name=options["name"])

    def _create(self, *, username: str, name: str) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is deactivated; a token for them would not work.")
        raw, _ = api_token_create(user=user, name=name)
        self.stdout.write(raw)
