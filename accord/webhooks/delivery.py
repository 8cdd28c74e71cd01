"""Sending one webhook attempt over HTTP, to the address the SSRF guard checked.

The standard library's http.client is enough: one POST, no redirects followed (a redirect could
point anywhere, so 3xx counts as a failure), a 10-second timeout for connecting and for reading.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from accord.webhooks.targets import Target

TIMEOUT_SECONDS = 10
USER_AGENT = "Accord-Webhooks/1"
MAX_RESPONSE_BYTES = 4096


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt got back: a status code (None when no response came) and headers we use."""

    status_code: int | None
    retry_after: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate is verified against the host name (SNI too)."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def http_post(
    target: Target, *, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS
) -> AttemptResult:
    """POST ``body`` to ``target``; never raises for network trouble, reports it in the result."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return AttemptResult(response.status, retry_after=response.getheader("Retry-After") or "")
    except (OSError, http.client.HTTPException) as exc:
        return AttemptResult(None, error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
