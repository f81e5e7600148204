"""Crisis hold: stop everything that is scheduled at once, and release it afterwards without surprises."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from chorus.domain import posts as post_rules
from chorus.domain import timing
from chorus.domain.errors import Conflict, Forbidden
from chorus.domain.posts import Status
from chorus.domain.roles import CRISIS_TEAM, Principal
from chorus.services.calendar import Clock, PostStore

RELEASE_MARGIN = timedelta(minutes=2)  # a post due sooner than this after a release waits for an editor instead
PAGE = 100


class StateStore(Protocol):
    def get(self, name: str) -> dict[str, Any]: ...
    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None: ...


class CrisisService:
    def __init__(self, posts: PostStore, state: StateStore, clock: Clock) -> None:
        self.posts = posts
        self.state = state
        self.clock = clock

    def status(self) -> dict[str, Any]:
        return self.state.get("crisis") or {"active": False}

    def active_hold(self) -> dict[str, Any] | None:
        current = self.status()
        return current if current.get("active") else None

    def hold(self, actor: Principal, reason: str) -> dict[str, Any]:
        """Switch the hold on (so nothing new gets scheduled), then hold every scheduled post."""
        self._require(actor)
        now = self.clock()
        hold = {"active": True, "since": timing.iso_utc(now), "by": actor.username, "reason": reason.strip()}
        self.state.put("crisis", hold, hold["since"])
        held, missed = self._each("scheduled", lambda post: post_rules.hold(post, actor, self.clock(), reason))
        hold["held"] = held
        self.state.put("crisis", hold, hold["since"])
        return {**hold, "could_not_hold": missed}

    def release(self, actor: Principal) -> dict[str, Any]:
        """Switch the hold off; posts whose time is still ahead are scheduled again, the others wait for an editor."""
        self._require(actor)
        now = self.clock()
        previous = self.status()
        rescheduled = 0

        def release(post: post_rules.Post) -> post_rules.Post:
            nonlocal rescheduled
            released = post_rules.release(post, actor, self.clock(), RELEASE_MARGIN)
            rescheduled += released.status == Status.SCHEDULED
            return released

        count, missed = self._each("held", release)
        record = {"active": False, "released_at": timing.iso_utc(now), "released_by": actor.username,
                  "previous": {k: v for k, v in previous.items() if k != "previous"}}
        self.state.put("crisis", record, record["released_at"])
        return {"released": count, "rescheduled": rescheduled, "awaiting_decision": count - rescheduled,
                "could_not_release": missed}

    def _each(self, status: str, change: Any) -> tuple[int, list[str]]:
        """Apply `change` to every post in `status`, page by page. A post changed meanwhile is re-read: if it left
        the status it is no longer ours to change; if it keeps changing it is reported, not retried forever."""
        done, missed = 0, set()
        while True:
            page, _ = self.posts.by_status(status, PAGE, None)
            pending = [post for post in page if post.id not in missed]
            if not pending:
                return done, sorted(missed)
            for post in pending:
                for attempt in range(3):
                    try:
                        self.posts.save(change(post))
                        done += 1
                        break
                    except Conflict:
                        fresh = self.posts.get(post.id)
                        if fresh is None or fresh.status != status:
                            break
                        if attempt == 2:
                            missed.add(post.id)
                        post = fresh

    @staticmethod
    def _require(actor: Principal) -> None:
        if not actor.has_any(CRISIS_TEAM):
            raise Forbidden("only masters, editors and PR hold or release publishing")
