"""Which urls may be called, and how a url is shown.

https only, except loopback hosts and the hosts in ``webhooks.allow_http``. A url
that two parsers could read differently (a backslash, user info, control characters)
is refused. With ``webhooks.block_private_addresses`` the host's addresses are resolved
and a url reaching any address that is not public (private, 100.64/10, link-local and
cloud metadata, loopback, reserved, multicast) is refused (SSRF). Each request connects
to the address :func:`pinned_address` resolved, and that address is the one checked, so
DNS rebinding between check and connection does not get through (docs/webhooks.md).

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


def _ambiguous(url: str) -> str | None:
    """Why two URL parsers could read ``url`` differently, or None.

    The check reads the url with ``urllib.parse``; the HTTP stack (requests) with
    urllib3's parser. ``http://127.0.0.2\\@localhost/`` is localhost to one and 127.0.0.2
    to the other, so urls with a backslash, user info, or control characters are refused,
    and the two parsers must agree on scheme, host and port.
    """
    if "\\" in url or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "the url holds a backslash, a space or a control character"
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return "the url holds user info (user@host): put credentials in headers, not urls"
    from urllib3.util import parse_url

    try:
        theirs = parse_url(url)
        ours_port = parts.port
    except ValueError:
        return "the url is not valid"
    same = (
        (theirs.scheme or "") == parts.scheme
        and (theirs.host or "").lower().strip("[]") == (parts.hostname or "").lower()
        and theirs.port == ours_port
    )
    return None if same else "the url reads differently to different parsers"


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a public internet address: private, shared (100.64/10), link-local (cloud
    metadata 169.254.169.254, fd00:ec2::254), loopback, reserved, multicast, unspecified;
    an IPv4-mapped IPv6 address is judged as the IPv4 address it maps."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


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
    ambiguous = _ambiguous(url)
    if ambiguous:
        return ambiguous
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
            if _internal(address):
                return (
                    f"{host} resolves to {address}, a private or internal address "
                    "(webhooks.block_private_addresses is on)"
                )
    return None


def pinned_address(url: str, block_private: bool) -> tuple[str | None, str | None]:
    """``(address, refusal)``: the one address the request may connect to, resolved once.

    The connection goes to exactly this address (TLS still verifies the host name), so a
    name that resolves to a public address for the check and to an internal one for the
    connection (DNS rebinding) cannot slip between the two. ``address`` is None for an IP
    literal (nothing to resolve) or when the name does not resolve (the request then fails
    as it would).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        return None, None
    except ValueError:
        pass
    default = 443 if parts.scheme == "https" else 80
    try:
        infos = socket.getaddrinfo(host, parts.port or default, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None, None
    first = str(infos[0][4][0]).split("%")[0]
    if block_private and _internal(ipaddress.ip_address(first)) and not _loopback(host):
        return None, f"{host} resolves to {first}, a private or internal address"
    return first, None
