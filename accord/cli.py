"""The ``accord`` command: Django's manage.py with Accord's settings and a few friendlier names.

``accord run`` serves the app and runs the task worker; ``accord worker`` runs tasks only; every
other subcommand is a management command (``accord demo``, ``accord createadmin``, ``accord token``,
``accord users``, ``accord import leads FILE``, ``accord migrate`` ...).
"""

from __future__ import annotations

import os
import sys

# Variables that show the operator has configured secrets or debug mode on purpose.
_CONFIGURED = ("ACCORD_DEBUG", "ACCORD_SECRET_KEY", "ACCORD_SECRET_KEY_FILE", "ACCORD_ALLOW_INSECURE_KEY")


def _local_defaults() -> None:
    """Let a fresh checkout run the demo: with no secret key and no debug setting, use debug mode."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not any(os.environ.get(name) for name in _CONFIGURED):
        os.environ["ACCORD_DEBUG"] = "true"
        print(
            "accord: ACCORD_SECRET_KEY is not set, running in development mode (ACCORD_DEBUG=true); "
            "do not expose this instance.",
            file=sys.stderr,
        )


COMMAND_ALIASES = {"mail-in": "mail_in"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    _local_defaults()
    from django.core.management import execute_from_command_line

    if args:
        # Django names commands after their files; people type the hyphenated form.
        args[0] = COMMAND_ALIASES.get(args[0], args[0])
    execute_from_command_line(["accord", *(args or ["help"])])


if __name__ == "__main__":
    main()
