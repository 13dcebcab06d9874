"""Which urls may be called, and how a url is shown.

https only, except loopback hosts and the hosts in ``webhooks.allow_http``. With
``webhooks.block_private_addresses`` the host's addresses are resolved and a url
reaching a private, link-local (cloud metadata), loopback, reserved or multicast
address is refused (SSRF). The check runs right before each attempt; a name that
resolves differently between the check and the connection (DNS rebinding) is not
caught here: put an egress proxy in front when receivers are untrusted (docs/webhooks.md).

Urls are shown without query, fragment or user info, and with path segments that look
like tokens (Slack-style hook urls) replaced by ``***``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
_TOKENISH = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{12,}$")


def shown(url: str) -> str:
    """``url`` safe to print: scheme, host, port and path with token-like parts hidden."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid url)"
    path = "/".join("***" if _TOKENISH.match(seg) else seg for seg in parts.path.split("/"))
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{path}{query}"


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(url: str, allow_http: list[str], block_private: bool) -> str | None:
    """Why ``url`` must not be called, or None when it may be."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "the url is not valid"
    if not host:
        return "the url has no host"
    if parts.scheme == "http":
        if not (_loopback(host) or host.lower() in (h.lower() for h in allow_http)):
            return (
                "plain http is refused (use https, or list the host in webhooks.allow_http; "
                "loopback is always allowed)"
            )
    elif parts.scheme != "https":
        return f"scheme {parts.scheme!r} is not http(s)"
    if block_private:
        try:
            infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return f"cannot resolve {host}"
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if (
                address.is_private
                or address.is_link_local
                or address.is_loopback
                or address.is_reserved
                or address.is_multicast
                or address.is_unspecified
            ):
                return (
                    f"{host} resolves to {address}, a private or internal address "
                    "(webhooks.block_private_addresses is on)"
                )
    return None
