"""Login throttling: failed logins counted per (account, address) and per address.

Counters live in Redis when `REDIS_URL` is set, so every worker and every instance shares
them, else in this process's memory. Only failures are counted; while either counter is full,
every attempt from that address is refused with 429, even one with the right password. The
account counter is keyed by the address too, so an attacker elsewhere cannot lock a user out.
"""

import hashlib
import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.core import metrics
from app.core.config import Settings
from app.core.exceptions import RateLimited

DEFAULT_PREFIX = "fastops-login"


def _account_key(account: str) -> str:
    # Keeps e-mail addresses (real or typed by an attacker) out of Redis keys.
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, settings: Settings, *, key_prefix: str = DEFAULT_PREFIX) -> None:
        self.redis_url = settings.redis_url
        self.key_prefix = key_prefix
        self.per_account: RateLimitItem = RateLimitItemPerSecond(
            settings.login_max_failures_per_account, settings.login_failure_window_seconds
        )
        self.per_address: RateLimitItem = RateLimitItemPerSecond(
            settings.login_max_failures_per_address, settings.login_failure_window_seconds
        )
        self._storage: Storage | None = None
        self._limiter: MovingWindowRateLimiter | None = None

    def _get_limiter(self) -> MovingWindowRateLimiter:
        # Built on first use: the in-memory storage needs a running event loop.
        if self._limiter is None:
            if self.redis_url:
                self._storage = RedisStorage(
                    f"async+{self.redis_url}", implementation="redispy", key_prefix=self.key_prefix
                )
            else:
                self._storage = MemoryStorage()
            self._limiter = MovingWindowRateLimiter(self._storage)
        return self._limiter

    def _keys(self, account: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [
            (self.per_account, (self.key_prefix, "account", _account_key(account), address)),
            (self.per_address, (self.key_prefix, "address", address)),
        ]

    async def check(self, account: str, address: str) -> None:
        """RateLimited (429 with Retry-After) while either counter is full."""
        limiter = self._get_limiter()
        waits: list[float] = []
        for item, identifiers in self._keys(account, address):
            if not await limiter.test(item, *identifiers):
                stats = await limiter.get_window_stats(item, *identifiers)
                waits.append(stats.reset_time - time.time())
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            metrics.login_throttled()
            raise RateLimited(
                f"Too many failed logins from this address: try again in {retry_after} seconds.",
                retry_after,
            )

    async def record_failure(self, account: str, address: str) -> None:
        limiter = self._get_limiter()
        for item, identifiers in self._keys(account, address):
            await limiter.hit(item, *identifiers)

    async def reset(self) -> None:
        """Forget every counter under this prefix (tests, an operator ending a lock-out)."""
        await self._get_limiter().storage.reset()

    async def close(self) -> None:
        storage = self._storage
        if isinstance(storage, RedisStorage):
            # limits offers no close(); its redis-py client holds the connection pool.
            client = getattr(storage.bridge, "storage", None)
            if client is not None:
                await client.aclose()
        self._storage = None
        self._limiter = None
