"""The client's address: X-Forwarded-For is believed only when the peer is a trusted proxy."""

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
