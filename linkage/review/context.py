"""What every request of the review app reaches: the store, settings and helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from flask import current_app, g

from linkage.review.auth import LoginThrottle, User
from linkage.review.compare import PairViewer
from linkage.review.config import ReviewConfig
from linkage.review.leases import LeaseManager
from linkage.review.queue import ReviewQueue
from linkage.review.storage import ReviewStore

EXTENSION = "yidang_review"


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """The app's collaborators, built once when the app is created."""

    store: ReviewStore
    config: ReviewConfig
    queue: ReviewQueue
    leases: LeaseManager
    viewer: PairViewer
    throttle: LoginThrottle

    @classmethod
    def build(cls, store: ReviewStore, config: ReviewConfig) -> ReviewContext:
        """Wire the collaborators over one store."""
        queue = ReviewQueue(store, config)
        return cls(
            store=store,
            config=config,
            queue=queue,
            leases=LeaseManager(store, queue, config),
            viewer=PairViewer(store),
            throttle=LoginThrottle(
                attempts=config.login_attempts, window=config.login_lockout
            ),
        )

    def now(self) -> dt.datetime:
        """The current time, from the store's clock."""
        return self.store.clock()


def context() -> ReviewContext:
    """The review context of the app serving this request."""
    return cast(ReviewContext, current_app.extensions[EXTENSION])


def current_user() -> User:
    """The logged-in user; only called behind the login guard."""
    user = g.get("user")
    if not isinstance(user, User):
        raise RuntimeError("current_user() called on a request without a login")
    return user
