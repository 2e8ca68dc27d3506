"""Secrets inside URLs (a database's or Redis's password, a webhook's token): found,
masked for display, and refused in config files."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "mask_url", "url_secrets"]

MASK = "***"
# a query parameter whose name holds one of these is a secret (sslpassword, api_key,
# access_token, auth_token …)
_SECRET_PARTS = ("pass", "pwd", "token", "secret", "key", "auth", "credential", "signature")


def url_secrets(url: str) -> list[str]:
    """The secret parts of ``url``: the password before the host, and the value of every
    query parameter that names one (``?password=…``)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return [url]  # unreadable: all of it is treated as a secret (refused, scrubbed)
    out = [password] if password else []
    out += [v for k, v in parse_qsl(parts.query, keep_blank_values=False) if _secret(k)]
    # scrubbed as written and as decoded: a log may carry either form
    return out + [unquote(v) for v in out if unquote(v) != v]


def mask_url(url: str) -> str:
    """``url`` with its secret parts replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return MASK
    netloc = parts.netloc
    if password:
        user, _, host = netloc.rpartition("@")
        name = user.split(":", 1)[0]
        netloc = f"{name}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _secret(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secret(name: str) -> bool:
    low = name.lower()
    return any(part in low for part in _SECRET_PARTS)
