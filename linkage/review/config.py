"""Settings of the review app, chosen by whoever starts the server."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from linkage.errors import ReviewError


@dataclass(frozen=True, kw_only=True)
class ReviewConfig:
    """How long leases and sessions last, and how much work is reviewed twice.

    Attributes:
        lease: How long an opened item stays reserved for its reviewer.
        session: The longest a login lasts, however active.
        idle: A login ends after this long without a request.
        double_review_share: The share of queue items (0 to 1) that two different
            reviewers decide, for the agreement figures; chosen by a hash of the
            pair, so the same pairs are chosen on every start.
        login_attempts: Failed logins to one account before it is locked a while.
        login_lockout: How long failures count, and how long the lock lasts.
        secure_cookies: Send the session cookie only over HTTPS; set it when the
            server sits behind a TLS proxy.
        secret_key: The key that signs session cookies; None keeps one in the store.
    """

    lease: dt.timedelta = dt.timedelta(minutes=10)
    session: dt.timedelta = dt.timedelta(hours=8)
    idle: dt.timedelta = dt.timedelta(minutes=30)
    double_review_share: float = 0.0
    login_attempts: int = 5
    login_lockout: dt.timedelta = dt.timedelta(minutes=5)
    secure_cookies: bool = False
    secret_key: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.double_review_share <= 1.0:
            raise ReviewError(
                f"the double-review share must be between 0 and 1, "
                f"not {self.double_review_share}"
            )
        if self.lease <= dt.timedelta(0) or self.idle <= dt.timedelta(0):
            raise ReviewError("lease and idle times must be positive")

    @property
    def double_review_basis_points(self) -> int:
        """The share in ten-thousandths, as the SQL sample filter compares it."""
        return round(self.double_review_share * 10_000)
