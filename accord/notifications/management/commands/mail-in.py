"""``accord mail-in``: the hyphenated name of the ``mail_in`` command (Django names commands by file)."""

from accord.notifications.management.commands.mail_in import Command  # noqa: F401
