"""Secrets inside URLs (a database's or Redis's password, a webhook's token): found,
masked for display, and refused in config files."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "mask_url", "url_secrets"]

MASK = "***"
_SECRET_PARAMS = frozenset({"password", "pass", "pwd", "passwd", "token", "secret", "key"})


def url_secrets(url: str) -> list[str]:
    """The secret parts of ``url``: the password before the host, and the value of every
    query parameter that names one (``?password=…``)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    out = [password] if password else []
    out += [v for k, v in parse_qsl(parts.query, keep_blank_values=False) if _secret(k)]
    return out


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
    return name.lower() in _SECRET_PARAMS
