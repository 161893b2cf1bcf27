"""Who is asking, and for which host: X-Forwarded-For and X-Forwarded-Proto are believed only
when the peer is a trusted proxy; the Host header only when it names a configured host."""

import ipaddress
import re
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_IPV6_LITERAL = re.compile(r"[0-9a-f:.]+")


@lru_cache(maxsize=16)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str | None, forwarded_for: str | None, proxies: tuple[str, ...]) -> str:
    """Walk X-Forwarded-For from the right, skipping trusted proxies; the first other hop is
    the client. A client can prepend anything it likes, so the left end is never trusted."""
    address = peer or "unknown"
    trusted = parse_networks(proxies)
    if not forwarded_for or not trusted or not _is_trusted(address, trusted):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if not hop:
            continue
        address = hop
        if not _is_trusted(hop, trusted):
            break
    return address[:64]


def forwarded_scheme(peer: str | None, proto: str | None, proxies: tuple[str, ...]) -> str | None:
    """The scheme the client used (`https` behind a TLS proxy), from X-Forwarded-Proto of a
    trusted proxy; None when it is not to be believed. Links and redirects are built with it."""
    scheme = (proto or "").strip().lower()
    if scheme not in ("http", "https") or peer is None:
        return None
    return scheme if _is_trusted(peer, parse_networks(proxies)) else None


def host_name(header: str) -> str | None:
    """The name in a Host header, lower-cased and without its port; None when malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, port = header[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        port, pattern = port[1:], _IPV6_LITERAL
    else:
        name, _, port = header.partition(":")
        pattern = _HOST_NAME
    if port and not (port.isascii() and port.isdigit() and len(port) <= 5):
        return None
    return name if pattern.fullmatch(name) else None


def host_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    """`name` is listed, or falls under a `*.example.com` entry; `*` allows any name."""
    for entry in allowed:
        entry = entry.strip("[]").lower()
        if entry in ("*", name) or (entry.startswith("*.") and name.endswith(entry[1:])):
            return True
    return False
