"""The one error tree of the project, grouped by what the caller should do.

::

    DexcexError
    ├── RetryLater                  transient: try again later, same request
    │   ├── RateLimited             the other side asked us to slow down (retry_after_s)
    │   ├── TemporarilyUnavailable  timeout, 5xx, connection lost before sending
    │   └── OrderOutcomeUnknown     sent, then lost: query by client order id before any retry
    ├── GiveUp                      this request is wrong: do not repeat it as is
    │   ├── InvalidInput            bad data (wire payloads, domain invariants)
    │   │   └── DomainValidationError
    │   ├── Rejected                the venue refused (funds, limits, symbol, duplicate id)
    │   └── NotFound                unknown order / signal / market
    └── Stop                        the process cannot go on like this: a human must act
        ├── ConfigError             invalid or unsafe configuration
        ├── DatabaseUnreachable     the database cannot be opened (down, address, login)
        ├── PortInUse               a server's port is taken by another process
        └── AuthError               missing or refused credentials

Third-party exceptions (ccxt, httpx, websockets) are translated into this tree in
one place per adapter; nothing outside an adapter catches a vendor exception.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "DatabaseUnreachable",
    "DexcexError",
    "DomainValidationError",
    "GiveUp",
    "InvalidInput",
    "NotFound",
    "NotSent",
    "OrderOutcomeUnknown",
    "PortInUse",
    "RateLimited",
    "Rejected",
    "RetryLater",
    "Stop",
    "TemporarilyUnavailable",
]


class DexcexError(Exception):
    """Root of every error the project raises on purpose."""


class RetryLater(DexcexError):
    """A transient failure: the same request may succeed later."""


class RateLimited(RetryLater):
    """The remote side throttled us; ``retry_after_s`` says for how long, when it told us."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TemporarilyUnavailable(RetryLater):
    """Timeout, server error or lost connection where nothing was placed."""


class OrderOutcomeUnknown(RetryLater):
    """An order request left us and no answer came back: it may or may not exist.

    The only safe next step is to look the order up by its client order id.
    """

    def __init__(self, message: str, client_order_id: str) -> None:
        super().__init__(message)
        self.client_order_id = client_order_id


class GiveUp(DexcexError):
    """This request cannot succeed as it is."""


class InvalidInput(GiveUp):
    """Input (a wire payload, a user request, a value) is malformed or absurd.

    ``reason`` is a short code for counting rejections (``bad_json``, ``bad_txs`` …).
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


class DomainValidationError(InvalidInput, ValueError):
    """A domain value was constructed with values that break its invariants."""


class Rejected(GiveUp):
    """The venue understood the request and refused it."""

    def __init__(self, message: str, reason: str = "rejected") -> None:
        super().__init__(message)
        self.reason = reason


class NotFound(GiveUp):
    """The thing asked for does not exist (order, signal, market)."""


class NotSent(GiveUp):
    """An order that provably never left (its intent could not be stored, or the venue
    refused it without placing it): nothing to follow, nothing to hold against a cap."""


class Stop(DexcexError):
    """Continuing would be wrong: configuration or credentials need a human."""


class ConfigError(Stop):
    """The configuration is invalid or unsafe; the message names the field and its source."""


class DatabaseUnreachable(Stop):
    """The database cannot be opened: not running, wrong address or credentials."""


class PortInUse(Stop):
    """The port a server was to listen on is taken (by another process, often a dexcex)."""


class AuthError(Stop):
    """Credentials are missing, malformed or refused."""
