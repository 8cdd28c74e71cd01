"""``accord users [--role ROLE] [--json]``: who can sign in, and with which roles."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.people.models import Role
from accord.people.selectors import users_with_roles_listing


class Command(BaseCommand):
    help = (
        "List active users and their roles: one per line, username and comma-separated roles, tab-separated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=Role.values, help="Only users holding this role.")
        parser.add_argument("--json", action="store_true", help="Print a JSON list instead.")

    def handle(self, *args: Any, role: str | None, json: bool, **options: Any) -> None:
        listing = users_with_roles_listing(role=role)
        if json:
            rows = [
                {
                    "username": user.username,
                    "email": user.email,
                    "roles": roles,
                    "team": user.team.name if user.team_id else None,
                }
                for user, roles in listing
            ]
            self.stdout.write(_dumps(rows))
            return
        for user, roles in listing:
            self.stdout.write(f"{user.username}\t{','.join(roles)}")


def _dumps(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2)
