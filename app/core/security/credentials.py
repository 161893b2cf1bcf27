"""Passwords (bcrypt in a worker thread) and JWTs (PyJWT with the algorithm pinned).

bcrypt reads at most 72 bytes (bcrypt >= 5 raises beyond that), so longer passwords are
refused when set and simply fail at login. Each hash costs ~100-300 ms at production cost,
which is why it never runs on the event loop.
"""

import asyncio
import hashlib
import os
import secrets
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal, TypeVar

import bcrypt
import jwt

from app.core.config import Settings
from app.core.db.models import utc_now
from app.core.exceptions import NotAuthenticated
from app.core.http.pagination import MAX_INT

MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_LENGTH = 8
TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "typ", "sid", "iss", "aud"]
R = TypeVar("R")
# A bcrypt check is ~0.25 s of CPU. On the default executor, at the scheduler's normal
# priority, a few concurrent logins take the core from the event loop and every other
# request waits behind them. Their own threads run niced, so the kernel serves requests
# first and gives hashing what is left; two of them cap how much a login storm can take.
HASHING_THREADS = 2
HASHING_NICENESS = 10


def _yield_to_requests() -> None:
    if sys.platform == "linux":  # only Linux applies a priority to one thread
        thread = threading.get_native_id()
        try:
            niceness = os.getpriority(os.PRIO_PROCESS, thread) + HASHING_NICENESS
            os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))
        except OSError:  # not allowed here (a restrictive container): hashing still works
            pass


_hashing = ThreadPoolExecutor(
    max_workers=HASHING_THREADS, thread_name_prefix="bcrypt", initializer=_yield_to_requests
)


async def off_the_loop(work: Callable[..., R], *args: object) -> R:
    """Run CPU-heavy password work in the low-priority hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, work, *args)


def password_fits(password: str) -> bool:
    return len(password.encode()) <= MAX_PASSWORD_BYTES


def _hash(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def _check(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    return _hash(secrets.token_urlsafe(16), rounds)


async def hash_password(password: str, rounds: int) -> str:
    if not password_fits(password):
        raise ValueError(f"passwords are limited to {MAX_PASSWORD_BYTES} bytes")
    return await off_the_loop(_hash, password, rounds)


async def verify_password(password: str, hashed: str | None, rounds: int) -> bool:
    """True when `password` matches `hashed`. Without a hash (unknown account) the same
    bcrypt check runs against a dummy hash, so both cases cost the same and answer False."""
    if not password_fits(password):
        return False
    if hashed is None:
        await off_the_loop(_check, password, await off_the_loop(_dummy_hash, rounds))
        return False
    return await off_the_loop(_check, password, hashed)


def hash_cost(hashed: str) -> int:
    """The cost factor of a `$2b$12$...` hash (0 when it cannot be read)."""
    parts = hashed.split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 0


def token_digest(token: str) -> str:
    """What is stored of a refresh token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


VERIFIED_CACHE_SIZE = 4_096


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    session_id: str
    jti: str
    typ: TokenType
    expires_at: datetime


class TokenCodec:
    """Issues and verifies access and refresh tokens; only the configured algorithm is
    accepted, and every claim is required."""

    def __init__(self, settings: Settings) -> None:
        self.key = settings.secret_key
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.lifetimes: dict[TokenType, timedelta] = {
            "access": timedelta(minutes=settings.access_token_minutes),
            "refresh": timedelta(days=settings.refresh_token_days),
        }
        # token -> claims of tokens whose signature already checked out. A JWT's validity
        # cannot change before it expires (revocation is the database's business, read on every
        # request), and the HMAC check was a tenth of an authenticated GET's time.
        self._verified: dict[str, TokenClaims] = {}

    def lifetime(self, typ: TokenType) -> timedelta:
        return self.lifetimes[typ]

    def issue(
        self, typ: TokenType, user_id: int, session_id: str, now: datetime | None = None
    ) -> IssuedToken:
        issued_at = now or utc_now()
        expires_at = issued_at + self.lifetimes[typ]
        jti = new_id()
        claims = {
            "sub": str(user_id),
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": jti,
            "typ": typ,
            "sid": session_id,
            "iss": self.issuer,
            "aud": self.audience,
        }
        token = jwt.encode(claims, self.key, algorithm=self.algorithm)
        return IssuedToken(token, jti, expires_at)

    def verify(self, token: str, typ: TokenType) -> TokenClaims:
        """The claims of a valid token of type `typ`; NotAuthenticated for anything else."""
        known = self._verified.get(token)
        if known is not None and known.typ == typ and utc_now() < known.expires_at:
            return known
        claims = self._decode(token, typ)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            # Oldest first: dicts keep insertion order.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = claims
        return claims

    def _decode(self, token: str, typ: TokenType) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            raise NotAuthenticated("The token is invalid or has expired.") from error
        sub, sid, jti = claims["sub"], claims["sid"], claims["jti"]
        if claims["typ"] != typ:
            raise NotAuthenticated(f"A token of type '{typ}' is required here.")
        if not (
            isinstance(sub, str)
            and sub.isdigit()
            and 0 < int(sub) <= MAX_INT
            and isinstance(sid, str)
            and sid
            and isinstance(jti, str)
            and jti
        ):
            raise NotAuthenticated("The token is invalid or has expired.")
        try:
            expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
        except (OverflowError, OSError, ValueError) as error:
            # Signed with our key yet expiring past year 9999: refused like any bad token,
            # and counted by the rate limiter as an anonymous request.
            raise NotAuthenticated("The token is invalid or has expired.") from error
        return TokenClaims(
            user_id=int(sub), session_id=sid, jti=jti, typ=typ, expires_at=expires_at
        )
