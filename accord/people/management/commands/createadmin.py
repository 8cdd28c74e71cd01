"""``accord createadmin --username U --password P [--email E] [--update]``: a non-interactive admin."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import ApplicationError
from accord.people.models import User
from accord.people.services import admin_user_create, admin_user_update


class Command(BaseCommand):
    help = "Create an administrator (admin role and Django superuser) without prompting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--password",
            help="The password; defaults to $ACCORD_ADMIN_PASSWORD, which keeps it out of the process list.",
        )
        parser.add_argument("--email", default=None)
        parser.add_argument(
            "--update",
            action="store_true",
            help="If the user exists, make them an admin and set the password instead of failing.",
        )

    def handle(
        self, *args: Any, username: str, password: str | None, email: str | None, update: bool, **options: Any
    ) -> None:
        password = password or os.environ.get("ACCORD_ADMIN_PASSWORD", "")
        if not password:
            raise CommandError("Give a password with --password or the ACCORD_ADMIN_PASSWORD variable.")
        existing = User.objects.filter(username=username).first()
        if existing is not None and not update:
            raise CommandError(
                f"A user named {username!r} already exists. Use --update to make them an admin and reset "
                "their password."
            )
        try:
            if existing is not None:
                admin_user_update(user=existing, password=password, email=email)
                self.stdout.write(f"Updated admin {username}.")
            else:
                admin_user_create(username=username, password=password, email=email or "")
                self.stdout.write(f"Created admin {username}.")
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
