"""``accord mail-in``: run the SMTP server that logs mail BCC'd or forwarded to users' mail-in addresses."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.notifications.mail_in import (
    mail_in_controller,
    mail_in_domain,
    mail_in_host,
    mail_in_max_bytes,
    mail_in_port,
)


class Command(BaseCommand):
    help = (
        "Run the mail-in SMTP server (aiosmtpd): mail BCC'd or forwarded to a user's address "
        "<token>@ACCORD_MAILIN_DOMAIN is logged as a touch on the matching lead; what cannot be "
        "logged is reported back to the user. Put it behind your MX (or a relay) for that domain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="Address to listen on (default ACCORD_MAILIN_HOST).")
        parser.add_argument(
            "--port", type=int, default=None, help="Port to listen on (default ACCORD_MAILIN_PORT)."
        )

    def handle(self, *args: Any, host: str | None, port: int | None, **options: Any) -> None:
        if options.get("verbosity", 1) < 2:
            # aiosmtpd logs every SMTP command at INFO; keep that for -v 2.
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        controller = mail_in_controller(host=host or mail_in_host(), port=port or mail_in_port())
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller.start()
        self.stdout.write(
            f"accord mail-in: listening on {controller.hostname}:{controller.port} for *@{mail_in_domain()} "
            f"(messages up to {mail_in_max_bytes()} bytes). Ctrl-C stops it."
        )
        try:
            stop.wait()
        finally:
            controller.stop()
            self.stdout.write("accord mail-in: stopped.")
