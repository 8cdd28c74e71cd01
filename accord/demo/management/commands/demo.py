"""``accord demo [--if-empty] [--seed N]``: load a believable demo company (see accord.demo.services)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.demo.services import DEMO_PASSWORD, demo_build, demo_exists


class Command(BaseCommand):
    help = "Load demo data: teams, users of every role, sources, active criteria and a year of leads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the demo users already exist."
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed (the same seed gives the same data)."
        )
        parser.add_argument(
            "--leads", type=int, default=1500, help="How many people to create (default 1500)."
        )

    def handle(self, *args: Any, if_empty: bool, seed: int, leads: int, **options: Any) -> None:
        if demo_exists():
            if if_empty:
                self.stdout.write("Demo data is already loaded; nothing to do.")
                return
            raise CommandError(
                "Demo data is already loaded (demo users exist). Use --if-empty to skip quietly, "
                "or start from an empty database."
            )
        started = time.monotonic()
        result = demo_build(seed=seed, leads=leads)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded in {time.monotonic() - started:.1f} s: {result.leads} leads from "
                f"{result.submissions} submissions, {result.duplicates} possible duplicates."
            )
        )
        # ACCORD_SITE_URL: the address `accord run` serves (it sets it from --bind when unset).
        self.stdout.write(f"\nOpen {settings.SITE_URL}/ and sign in as one of:\n")
        self.stdout.write(f"  {'username':<10} {'role':<16} password")
        for username, roles, password in result.logins:
            self.stdout.write(f"  {username:<10} {roles:<16} {password}")
        self.stdout.write(
            f"\nEvery demo user's password is {DEMO_PASSWORD}. Logins saved to {result.logins_file}."
        )
