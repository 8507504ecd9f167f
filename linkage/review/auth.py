"""Reviewer accounts: roles, salted slow password hashes, and login throttling.

Passwords are stored as scrypt hashes with a random salt per user, in the form
``scrypt$n$r$p$salt$hash`` (hex), so that the cost can be raised later without
breaking old hashes. Nothing here keeps a password in memory longer than the call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from enum import StrEnum

from linkage.errors import ReviewError
from linkage.review.storage import ReviewStore

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8

_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_NAME = re.compile(r"^[\w.\-]{1,64}$")


class Role(StrEnum):
    """What a user may do: decide queue items, or also oversee everyone's work."""

    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class User:
    """A reviewer account as the app sees it (never with its password hash)."""

    name: str
    role: Role
    blind: bool
    active: bool

    @property
    def is_supervisor(self) -> bool:
        """Whether the user may see everyone's decisions and adjudicate."""
        return self.role is Role.SUPERVISOR


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password, with its parameters."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether a password matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem above 128 * n * r bytes, the memory scrypt needs for these parameters.
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r,
        dklen=_KEY_BYTES,
    )


_DUMMY_HASH = hash_password(secrets.token_hex(8))
"""Checked against when a name is unknown, so that timing does not reveal names."""


def check_new_account(name: str, role: str, password: str) -> Role:
    """Validate a new account's fields; returns the role.

    Raises:
        ReviewError: The name, role or password is not acceptable.
    """
    problems = []
    if not _NAME.match(name):
        problems.append(
            "the name must be 1 to 64 letters, digits, '.', '-' or '_', no spaces"
        )
    if role not in {r.value for r in Role}:
        problems.append(f"the role must be 'reviewer' or 'supervisor', not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    if problems:
        raise ReviewError("; ".join(problems))
    return Role(role)


def save_user(store: ReviewStore, name: str, role: str, password: str) -> bool:
    """Add an account, or reset the role and password of an existing one.

    Returns:
        True when the account is new, False when an existing one was updated.
    """
    checked = check_new_account(name, role, password)
    hashed = hash_password(password)
    now = store.clock()
    with store.write_lock, store.transaction() as cursor:
        exists = cursor.execute(
            "SELECT count(*) FROM yd_review_users WHERE name = ?", [name]
        ).fetchone()
        if exists and exists[0]:
            cursor.execute(
                "UPDATE yd_review_users SET role = ?, password_hash = ?, "
                "active = true, updated_at = ? WHERE name = ?",
                [checked.value, hashed, now, name],
            )
            return False
        cursor.execute(
            "INSERT INTO yd_review_users "
            "(name, role, password_hash, blind, active, created_at, updated_at) "
            "VALUES (?, ?, ?, false, true, ?, ?)",
            [name, checked.value, hashed, now, now],
        )
    logger.info("added a %s account", checked.value)
    return True


def get_user(store: ReviewStore, name: str) -> User | None:
    """The active account of that name, or None."""
    found = store.row(
        "SELECT name, role, blind, active FROM yd_review_users "
        "WHERE name = ? AND active",
        [name],
    )
    if found is None:
        return None
    return User(str(found[0]), Role(found[1]), bool(found[2]), bool(found[3]))


def list_users(store: ReviewStore) -> list[User]:
    """Every account, active or not, by name."""
    found = store.rows(
        "SELECT name, role, blind, active FROM yd_review_users ORDER BY name"
    )
    return [User(str(n), Role(r), bool(b), bool(a)) for n, r, b, a in found]


def count_supervisors(store: ReviewStore) -> int:
    """How many active supervisor accounts exist."""
    return int(
        store.scalar(
            "SELECT count(*) FROM yd_review_users WHERE active AND role = ?",
            [Role.SUPERVISOR.value],
        )
    )


def set_blind(store: ReviewStore, name: str, blind: bool) -> None:
    """Hide (or show) match probabilities for one user in every session."""
    store.execute(
        "UPDATE yd_review_users SET blind = ?, updated_at = ? WHERE name = ?",
        [blind, store.clock(), name],
    )


def set_active(store: ReviewStore, name: str, active: bool) -> None:
    """Enable or disable an account; a disabled account cannot log in."""
    store.execute(
        "UPDATE yd_review_users SET active = ?, updated_at = ? WHERE name = ?",
        [active, store.clock(), name],
    )


def authenticate(store: ReviewStore, name: str, password: str) -> User | None:
    """The user if the name and password match an active account, else None."""
    found = store.row(
        "SELECT password_hash FROM yd_review_users WHERE name = ? AND active", [name]
    )
    stored = str(found[0]) if found else _DUMMY_HASH
    if not verify_password(password, stored) or found is None:
        return None
    return get_user(store, name)


class LoginThrottle:
    """Refuses logins to an account after repeated failures, for a while.

    Args:
        attempts: Failures allowed within ``window`` before the account is locked.
        window: How far back failures count, and how long the lock lasts.
    """

    def __init__(self, *, attempts: int = 5, window: dt.timedelta) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[dt.datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def locked(self, name: str, now: dt.datetime) -> bool:
        """Whether logins to this name are refused at the moment."""
        with self._lock:
            recent = self._recent(name, now)
            return len(recent) >= self.attempts

    def failed(self, name: str, now: dt.datetime) -> None:
        """Count one failed login."""
        with self._lock:
            self._recent(name, now).append(now)

    def succeeded(self, name: str) -> None:
        """Forget the failures of a name after a good login."""
        with self._lock:
            self._failures.pop(name, None)

    def _recent(self, name: str, now: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures[name]
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures
