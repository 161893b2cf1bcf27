"""Login throttling: failed logins counted per (account, address) and per address.

Every attempt takes a slot in both counters *before* the password is checked, and gives it
back when the password was right: so however many guesses arrive at once, at most the limit
reach bcrypt, and successful logins never count. Taking the slots is one atomic step for both
counters (a Lua script in Redis, a step without an `await` in memory); when either counter is
full nothing is taken and the answer is 429 with Retry-After, even for the right password.
The account counter is keyed by the address too, so an attacker elsewhere cannot lock a user
out.

Counters live in Redis when `REDIS_URL` is set, so every worker and every instance shares
them, else in this process's memory. When Redis does not answer, login fails closed: a 503
with Retry-After, because an uncounted login is an unthrottled password guess.
"""

import hashlib
import math
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.exceptions import RateLimited, ServiceUnavailable
from app.core.observability import metrics
from app.core.observability.logging import get_logger

DEFAULT_PREFIX = "fastops-login"
# A Redis outage is usually a restart: long enough to be worth waiting for, short enough that
# the user is not sent away.
STORE_DOWN_RETRY_AFTER_SECONDS = 5
log = get_logger(__name__)

# KEYS: the counters; ARGV: window (ms), the attempt's id, then each counter's limit.
# Entries are the attempts themselves (a sorted set scored by time), so a refund removes
# exactly the attempt that succeeded. Redis's own clock: every app instance agrees on it.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


def _account_key(account: str) -> str:
    # Keeps e-mail addresses (real or typed by an attacker) out of Redis keys.
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Reservation:
    """One attempt's slot in each counter, to give back when the attempt succeeds."""

    keys: tuple[str, ...]
    attempt: str


class AttemptStore(Protocol):
    async def take(
        self, keys: tuple[str, ...], limits: tuple[int, ...], attempt: str, window: float
    ) -> float:
        """0 when a slot was taken in every counter; else the seconds until one frees up
        (and nothing was taken)."""
        ...

    async def give_back(self, keys: tuple[str, ...], attempt: str) -> None: ...

    async def reset(self, prefix: str) -> None: ...

    async def close(self) -> None: ...


class MemoryAttempts:
    """The single-process store. `take` never awaits, so it is atomic in the event loop."""

    def __init__(self) -> None:
        self._slots: dict[str, dict[str, float]] = {}
        self._swept = time.monotonic()

    async def take(
        self, keys: tuple[str, ...], limits: tuple[int, ...], attempt: str, window: float
    ) -> float:
        now = time.monotonic()
        self._sweep(now, window)
        wait = 0.0
        for key, limit in zip(keys, limits, strict=True):
            slots = self._slots.get(key, {})
            for old in [a for a, at in slots.items() if at <= now - window]:
                del slots[old]
            if len(slots) >= limit:
                wait = max(wait, min(slots.values()) + window - now)
        if wait > 0:
            return wait
        for key in keys:
            self._slots.setdefault(key, {})[attempt] = now
        return 0.0

    async def give_back(self, keys: tuple[str, ...], attempt: str) -> None:
        for key in keys:
            slots = self._slots.get(key)
            if slots is not None:
                slots.pop(attempt, None)
                if not slots:
                    del self._slots[key]

    def _sweep(self, now: float, window: float) -> None:
        # Addresses that never come back would otherwise stay in memory for good.
        if now - self._swept < window:
            return
        self._swept = now
        for key in [k for k, slots in self._slots.items() if max(slots.values()) <= now - window]:
            del self._slots[key]

    async def reset(self, prefix: str) -> None:
        for key in [k for k in self._slots if k.startswith(f"{prefix}:")]:
            del self._slots[key]

    async def close(self) -> None:
        return None


class RedisAttempts:
    def __init__(self, url: str, timeout: float) -> None:
        # One immediate retry survives a connection dropped by a Redis restart; backing off
        # for seconds would only hold the login open before the 503.
        self.client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self.script = self.client.register_script(_TAKE)

    async def take(
        self, keys: tuple[str, ...], limits: tuple[int, ...], attempt: str, window: float
    ) -> float:
        args: list[str | int] = [int(window * 1000), attempt, *limits]
        wait_ms = await self.script(keys=list(keys), args=args)
        return int(wait_ms) / 1000

    async def give_back(self, keys: tuple[str, ...], attempt: str) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.zrem(key, attempt)
            await pipe.execute()

    async def reset(self, prefix: str) -> None:
        doomed = [key async for key in self.client.scan_iter(match=f"{prefix}:*")]
        if doomed:
            await self.client.delete(*doomed)

    async def close(self) -> None:
        await self.client.aclose()


class LoginThrottle:
    def __init__(self, settings: Settings, *, key_prefix: str = DEFAULT_PREFIX) -> None:
        self.key_prefix = key_prefix
        self.window = float(settings.login_failure_window_seconds)
        self.limits = (
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_address,
        )
        self.redis_url = settings.redis_url
        self.redis_timeout = settings.redis_timeout_seconds
        self._store: AttemptStore | None = None

    @property
    def store(self) -> AttemptStore:
        # Built on first use, inside the running event loop that will use it.
        if self._store is None:
            self._store = (
                RedisAttempts(self.redis_url, self.redis_timeout)
                if self.redis_url
                else MemoryAttempts()
            )
        return self._store

    def _keys(self, account: str, address: str) -> tuple[str, ...]:
        # The braces make both keys one Redis Cluster hash slot, as one script needs.
        base = f"{self.key_prefix}:{{{address}}}"
        return (f"{base}:account:{_account_key(account)}", f"{base}:address")

    async def reserve(self, account: str, address: str) -> Reservation:
        """Count this attempt as a failure before the password is checked.

        RateLimited (429 with Retry-After) while either counter is full, and nothing is
        counted then; ServiceUnavailable (503) when the shared store does not answer."""
        reservation = Reservation(self._keys(account, address), uuid.uuid4().hex)
        try:
            wait = await self.store.take(
                reservation.keys, self.limits, reservation.attempt, self.window
            )
        except (RedisError, OSError) as exc:
            log.error("login_throttle_unavailable", error=str(exc))
            raise ServiceUnavailable(
                "Signing in is not possible for a moment: try again in a few seconds.",
                retry_after=STORE_DOWN_RETRY_AFTER_SECONDS,
            ) from exc
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            metrics.login_throttled()
            raise RateLimited(
                f"Too many failed logins from this address: try again in {retry_after} seconds.",
                retry_after,
            )
        return reservation

    async def refund(self, reservation: Reservation) -> None:
        """The attempt succeeded: it no longer counts."""
        try:
            await self.store.give_back(reservation.keys, reservation.attempt)
        except (RedisError, OSError) as exc:
            # The user is already in; the slot only lingers until the window passes.
            log.warning("login_throttle_refund_failed", error=str(exc))

    async def reset(self) -> None:
        """Forget every counter under this prefix (tests, an operator ending a lock-out)."""
        await self.store.reset(self.key_prefix)

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
        self._store = None
