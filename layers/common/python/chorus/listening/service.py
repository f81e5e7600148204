"""Use cases of listening: take mentions in, make sense of them, and tell the right team once.

process() is safe to repeat: SQS may deliver a message twice and a Lambda may die between any two steps. The
mention is stored with a conditional put (an exact duplicate stops there), routing finishes by marking it `routed`,
and each alert is one item per (team, conversation): created once, notified by whoever claims it, counted after.

Also the routing rules, the alerts (mentions themselves are read and worked in chorus.inbox), and the alert
subscribers: stored per organisation, each one an SNS subscription with its filter policy."""
from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from chorus.core import time as timing
from chorus.core.errors import Conflict, NotFound, Stale, ValidationError, require_version
from chorus.core.observability import logger
from chorus.core.retry import retry_on_conflict
from chorus.core.roles import LISTENERS, Principal
from chorus.core.time import Clock
from chorus.listening.escalation import rules as escalation
from chorus.listening.rules import (
    DEFAULT_RULES,
    NOTIFY_CLAIM,
    Facts,
    Route,
    complaint_gaps,
    complaint_teams,
    conversation_of,
    detected_language,
    forward_notes,
    irony_in,
    record_of,
    route,
    with_forward,
    working_language,
)
from chorus.listening.schemas import (
    Alert,
    MentionIn,
    MentionRecord,
    RoutingRules,
    RoutingRulesVersion,
    Subscription,
    SubscriptionChange,
    SubscriptionIn,
    Texts,
    excerpt,
)
from chorus.listening.spikes import rules as spikes
from chorus.listening.spikes.schemas import Tally
from chorus.platforms.base import Mention, mention_id

RULES_STATE = "routing_rules"
SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2}


class ClassificationLike(Protocol):
    # Read-only: a classification is a frozen result (chorus.listening.classify.Classification).
    @property
    def intent(self) -> str: ...
    @property
    def sentiment(self) -> float: ...
    @property
    def language(self) -> str: ...
    @property
    def complaint_score(self) -> float: ...
    @property
    def detected_language(self) -> str | None: ...


class Mentions(Protocol):
    def get(self, key: str, now: datetime) -> MentionRecord | None: ...
    def create(self, record: MentionRecord, counter: Tally | None = None) -> MentionRecord | None: ...
    def save(self, record: MentionRecord) -> MentionRecord: ...
    def conversation_since(self, conversation: str, since: datetime, now: datetime,
                           limit: int = 500) -> list[MentionRecord]: ...


class Alerts(Protocol):
    def get(self, alert_id: str, now: datetime) -> Alert | None: ...
    def create(self, alert: Alert) -> Alert | None: ...
    def save(self, alert: Alert) -> Alert: ...
    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]: ...
    def page(self, since: datetime, now: datetime, limit: int,
             cursor: str | None) -> tuple[list[Alert], str | None]: ...


class State(Protocol):
    def get(self, name: str) -> dict[str, Any]: ...
    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None: ...
    def take_token(self, name: str, slots: int, expires_at: int) -> bool: ...


class IngestQueue(Protocol):
    def send(self, mention: Mention, facet: str | None) -> None: ...


class AlertSink(Protocol):
    """The alerts topic. With `translations`, the message is in `written_in` and each translation is published too,
    each marked with its language for the subscriptions to choose (chorus.listening.store.LocalizedAlerts)."""

    def send(self, subject: str, message: str, *, sms_text: str | None = None, written_in: str | None = None,
             translations: Mapping[str, Texts] | None = None, **attributes: str) -> None: ...


class RulesStore(Protocol):
    def current(self) -> RoutingRulesVersion | None: ...
    def save(self, rules: RoutingRulesVersion) -> RoutingRulesVersion: ...
    def versions(self, limit: int, cursor: str | None) -> tuple[list[RoutingRulesVersion], str | None]: ...


class AckLinks(Protocol):
    def link(self, alert_id: str, team: str, now: datetime) -> str | None: ...


class Forwards(Protocol):
    """The ambassador programme (chorus.advocacy.engagement.service.Forwards): a forward counts for its forwarder."""

    def count(self, principal: Principal, mention_id: str) -> object: ...


class ListeningService:
    def __init__(self, mentions: Mentions, alerts: Alerts, state: State, queue: IngestQueue, notifier: AlertSink,
                 classify: Callable[[str], ClassificationLike], clock: Clock, retention: timedelta,
                 ack_links: AckLinks | None = None, forwards: Forwards | None = None,
                 rules_store: RulesStore | None = None) -> None:
        self.rules_store = rules_store or StateRules(state)
        self.mentions = mentions
        self.alerts = alerts
        self.state = state
        self.queue = queue
        self.notifier = notifier
        self.classify = classify
        self.clock = clock
        self.retention = retention
        self.ack_links = ack_links
        self.forwards = forwards

    # ------------------------------------------------------------------ in
    def ingest(self, body: MentionIn, principal: Principal) -> dict[str, str]:
        """POST /mentions: queue a mention for processing (the same pipeline as fetched ones). A forward (the body
        says forwarded_by, to or note, or the caller does not work the inbox) is recorded as the caller's: a
        forward cannot be put in someone else's name."""
        forward = body.is_forward or not principal.has_any(LISTENERS)
        if forward:
            body = body.model_copy(update={"forwarded_by": principal.username})
        now = self.clock()
        mention = body.to_mention(now)
        self.queue.send(mention, body.facet or "brand")
        if forward:
            self._mark_forwarded(mention, now)
            if self.forwards is not None:
                self.forwards.count(principal, mention.id)
        logger.info("mention queued", extra={"mention": mention.id, "by": principal.username, "forward": forward})
        return {"id": mention.id, "status": "queued"}

    def _mark_forwarded(self, mention: Mention, now: datetime) -> None:
        """A mention Chorus found before it was forwarded is processed already (the queued copy is a duplicate):
        the forwarder and their note go on the stored one, so the forwarder can follow it up. Its routing stays."""
        def mark(attempt: int) -> None:
            record = self.mentions.get(mention.id, now)
            if record is None or record.forwarded_by:
                return  # the queued copy stores it as forwarded, or someone forwarded it first
            notes = [*record.notes, *forward_notes(mention, now)]
            self.mentions.save(record.model_copy(update={"forwarded_by": mention.forwarded_by, "notes": notes}))

        retry_on_conflict(mark, f"mention {mention.id} kept changing; forward it again")

    # ------------------------------------------------------------------ processing
    def process(self, mention: Mention, facet: str | None) -> str:
        now = self.clock()
        record = self.mentions.get(mention.id, now)
        if record is not None and record.routed:
            return "duplicate"
        if record is None:
            record = self._store(mention, facet, now)
            if record is None:
                return "duplicate"
        rules = self.rules()
        routes = with_forward(route(rules, self._facts(record, rules, now)), mention.forwarded_to, mention.forwarded_by)
        for each in routes:
            self._alert(record, each, now, rules)
        self._mark_routed(record, routes)
        return ",".join(f"{r.team}:{r.severity}" for r in routes) or "stored"

    def _store(self, mention: Mention, facet: str | None, now: datetime) -> MentionRecord | None:
        parent = self._parent(mention, now)
        result = self.classify(mention.text)
        language = working_language(result.language, mention.language_hint, mention.text)
        record = record_of(
            mention, language=language, intent=result.intent, sentiment=result.sentiment,
            complaint_score=result.complaint_score, facet=facet, now=now, retention=self.retention,
            conversation=conversation_of(mention, parent.conversation if parent else None),
            detected_language=detected_language(language, mention.language_hint, result.detected_language),
        )
        # A negative mention is counted for spike detection in the same write that stores it: exactly once.
        return self.mentions.create(record, counter=spikes.counter_of(record))

    def _parent(self, mention: Mention, now: datetime) -> MentionRecord | None:
        for platform_id in (mention.in_reply_to, mention.thread_root):
            if platform_id:
                found = self.mentions.get(mention_id(mention.platform, platform_id), now)
                if found:
                    return found
        return None

    def _facts(self, record: MentionRecord, rules: RoutingRules, now: datetime) -> Facts:
        window = timedelta(minutes=rules.escalation.window_minutes)
        recent = self.mentions.conversation_since(record.conversation, now - window, now)
        if all(r.id != record.id for r in recent):
            recent.append(record)  # an old post that only now reached us still counts itself
        return Facts(
            intent=record.intent, language=record.language, facet=record.facet, complaint_score=record.complaint_score,
            followers=record.author_followers or 0,
            distinct_authors=len({r.author_handle.lower() for r in recent}),
            interactions=sum(r.replies + r.reposts for r in recent) + len(recent) - 1,
            detected_language=record.detected_language, irony=irony_in(record.text),
        )

    def _alert(self, record: MentionRecord, decided: Route, now: datetime, rules: RoutingRules) -> None:
        alert_id = Alert.id_for(record.conversation, decided.team)
        alert = self.alerts.get(alert_id, now)
        if alert is None:
            alert = Alert(
                id=alert_id, team=decided.team, severity=decided.severity, reason=decided.reason,
                reason_nl=decided.reason_nl, intent=record.intent,
                language=record.language, detected_language=record.detected_language, platform=record.platform,
                facet=record.facet, mention_id=record.id,
                conversation=record.conversation, author_handle=record.author_handle,
                author_followers=record.author_followers, excerpt=excerpt(record.text), url=record.url,
                created_at=timing.iso_utc(now), expires_at=record.expires_at,
                notify_claim_until=timing.iso_utc(now + NOTIFY_CLAIM),
            )
            alert = alert.model_copy(update={"escalate_at": escalation.next_escalate_at(alert, rules.escalation)})
            if decided.severity == "high":
                alert = alert.model_copy(update={"sms": self.sms_budget(decided.team, now, rules)})
            created = self.alerts.create(alert)
            if created is not None:
                self._notify(created, now)
                return
            alert = self.alerts.get(alert_id, now)
            if alert is None:
                return
        if alert.mention_id != record.id:
            self._count(alert, now)
        elif alert.notify_claimable(now):
            self._claim_and_notify(alert, now)  # the Lambda that created it died before telling anyone
        elif not alert.notified_at:
            # Another worker holds the claim (or died holding it): fail this message so the queue brings it back
            # after the claim ended, and the mention is marked routed only once its alert went out.
            raise Conflict(f"alert {alert.id} is being sent by another worker; the queue will retry")

    def _count(self, alert: Alert, now: datetime) -> None:
        """One more mention on an alert; a count lost to a hot alert is only a number, never worth failing for."""
        def count(attempt: int) -> None:
            current = alert if attempt == 0 else self.alerts.get(alert.id, now)
            if current is not None:
                self.alerts.save(current.model_copy(update={"mentions": current.mentions + 1}))

        try:
            retry_on_conflict(count, f"alert {alert.id} kept changing")
        except Conflict:
            logger.warning("a mention was not counted on its alert", extra={"alert": alert.id})

    def _claim_and_notify(self, alert: Alert, now: datetime) -> None:
        try:
            claim_until = timing.iso_utc(now + NOTIFY_CLAIM)
            claimed = self.alerts.save(alert.model_copy(update={"notify_claim_until": claim_until}))
        except Conflict:
            return  # someone else claimed it
        self._notify(claimed, now)

    def _notify(self, alert: Alert, now: datetime) -> None:
        link = self.ack_links.link(alert.id, alert.team, now) if self.ack_links else None

        def texts(language: str) -> Texts:
            # SMS stays short: the link is for email, where a click opens the acknowledge page.
            address = f"{link}&lang={language}" if link else None
            return Texts(alert.subject(language), alert.message(address, language),
                         alert.message(None, language) if link else None)

        english = texts("en")
        self.notifier.send(english.subject, english.message, sms_text=english.sms_text, written_in="en",
                           translations={"nl": texts("nl")}, **alert.attributes())
        try:
            self.alerts.save(alert.model_copy(update={"notified_at": timing.iso_utc(now), "notify_claim_until": None}))
        except Conflict:
            pass  # counted or acknowledged meanwhile; its claim ends and it is never notified again once noted

    def sms_budget(self, team: str, now: datetime, rules: RoutingRules) -> bool:
        """At most `sms_per_hour` alerts per team carry the SMS attribute each clock hour (SMS subscriptions filter
        on it); the rest still reach email subscribers."""
        if rules.sms_per_hour == 0:
            return False
        hour = now.strftime("%Y%m%d%H")
        expires_at = int((now + timedelta(hours=2)).timestamp())
        return self.state.take_token(f"sms#{team}#{hour}", rules.sms_per_hour, expires_at)

    def _mark_routed(self, record: MentionRecord, routes: list[Route]) -> None:
        teams = [r.team for r in routes]
        severity = max((r.severity for r in routes), key=SEVERITY_ORDER.__getitem__, default=None)

        def mark(attempt: int) -> None:
            current = record if attempt == 0 else self.mentions.get(record.id, self.clock())
            if current is not None:
                self.mentions.save(current.model_copy(update={"teams": teams, "severity": severity, "routed": True}))

        retry_on_conflict(mark, f"mention {record.id} kept changing while it was routed; the queue will retry")

    # ------------------------------------------------------------------ rules
    def rules(self) -> RoutingRulesVersion:
        """The current routing rules (the built-in defaults, version 0, until someone saves rules)."""
        return self.rules_store.current() or RoutingRulesVersion.model_validate(DEFAULT_RULES.model_dump())

    def set_rules(self, rules: RoutingRules, principal: Principal, expected_version: int | None = None,
                  confirm_no_complaint_route: bool = False) -> RoutingRulesVersion:
        """Save `rules` as the next version, with who and when. With `expected_version` (If-Match) only on the
        version the person read: a change since is a 412, never overwritten. Rules under which some complaints reach
        no team are a 400 unless `confirm_no_complaint_route` says that is meant."""
        gaps = complaint_gaps(rules)
        if gaps and not confirm_no_complaint_route:
            raise ValidationError(
                "confirm_no_complaint_route",
                f"with these rules no team is told about {'; '.join(gaps)}: such complaints are stored and shown in "
                "the inbox, but nobody gets an alert, an escalation or a PR alert when one spreads. If that is what "
                'you want, send the same rules with "confirm_no_complaint_route": true', gaps=gaps)
        current = self.rules()
        require_version(current.version, expected_version, "the routing rules")
        saved = RoutingRulesVersion(**rules.model_dump(include=set(RoutingRules.model_fields)),
                                    version=current.version + 1,
                                    changed_by=principal.username, changed_at=timing.iso_utc(self.clock()),
                                    no_complaint_route=bool(gaps))
        try:
            self.rules_store.save(saved)
        except Stale:
            if expected_version is not None:
                require_version((self.rules_store.current() or current).version, expected_version, "the routing rules")
            raise
        logger.info("routing rules changed", extra={"by": principal.username, "rules": len(rules.rules),
                                                    "version": saved.version, "no_complaint_route": gaps})
        return saved

    def rule_versions(self, limit: int, cursor: str | None) -> tuple[list[RoutingRulesVersion], str | None]:
        return self.rules_store.versions(limit, cursor)

    # ------------------------------------------------------------ alerts (mentions are read and worked in chorus.inbox)
    def recent_alerts(self, hours: int, limit: int, cursor: str | None = None) -> tuple[list[Alert], str | None]:
        """GET /alerts: a page of the alerts of the last `hours`, newest first, and where the next page starts."""
        now = self.clock()
        return self.alerts.page(now - timedelta(hours=hours), now, limit, cursor)

    def alert(self, alert_id: str) -> Alert:
        alert = self.alerts.get(alert_id, self.clock())
        if alert is None:
            raise NotFound(f"no alert {alert_id!r}")
        return alert

    def acknowledge(self, alert_id: str, principal: Principal) -> Alert:
        """Someone is on it: no escalation stage is sent after this (`escalate_at` goes, so the alert leaves the
        escalation index). An alert that ended already (acknowledged, or its mention answered) stays as it ended."""
        now = self.clock()

        def acknowledge(attempt: int) -> Alert:
            alert = self.alerts.get(alert_id, now)
            if alert is None:
                raise NotFound(f"no alert {alert_id!r}")
            if alert.status != "open":
                return alert
            return self.alerts.save(escalation.ended(alert, "acknowledged", principal.username, now))

        return retry_on_conflict(acknowledge, f"alert {alert_id} kept changing; try again")

    def end_alerts(self, mention: MentionRecord, by: str) -> list[Alert]:
        """The inbox answered, resolved or ignored `mention` (chorus.container.EndAlerts): the open alerts raised for
        it end as such, by `by`, and escalate no further. Alerts of its conversation raised for another mention stay
        open. Safe to repeat: an alert that ended is left as it is."""
        ending = escalation.ending_for(mention.status)
        if ending is None:
            return []
        now = self.clock()

        def end(alert_id: str) -> Alert | None:
            def attempt(number: int) -> Alert | None:
                alert = self.alerts.get(alert_id, now)
                if alert is None or alert.mention_id != mention.id or alert.status != "open":
                    return None
                return self.alerts.save(escalation.ended(alert, ending, by, now))

            return retry_on_conflict(attempt, f"alert {alert_id} kept changing; try again")

        ended = [alert for team in mention.teams if (alert := end(Alert.id_for(mention.conversation, team)))]
        if ended:
            logger.info("alerts ended", extra={"mention": mention.id, "alerts": [a.id for a in ended],
                                               "status": ending, "by": by})
        return ended


class Store(Protocol):
    """Subscriptions, each change written together with its entry in the history."""

    def all(self) -> list[dict]: ...
    def get(self, item_id: str) -> dict | None: ...
    def create(self, item_id: str, data: dict, change: dict | None = None) -> bool: ...
    def delete(self, item_id: str, change: dict | None = None) -> bool: ...
    def history(self, limit: int, cursor: str | None) -> tuple[list[dict], str | None]: ...


class Gateway(Protocol):
    def subscribe(self, subscription: Subscription) -> str: ...
    def unsubscribe(self, subscription_arn: str) -> None: ...


class SubscriptionService:
    def __init__(self, store: Store, gateway: Gateway, clock: Clock,
                 rules: Callable[[], RoutingRules] | None = None) -> None:
        self.store = store
        self.gateway = gateway
        self.clock = clock
        self.rules = rules or (lambda: DEFAULT_RULES)

    def create(self, body: SubscriptionIn, principal: Principal) -> Subscription:
        now = self.clock()
        subscription = Subscription(
            id=f"sub-{secrets.token_hex(4)}", name=body.name, team=body.team, protocol=body.protocol,
            endpoint=body.endpoint, language=body.language,
            min_severity=body.min_severity or ("high" if body.protocol == "sms" else "low"),
            created_by=principal.username, created_at=timing.iso_utc(now),
        )
        subscription = subscription.model_copy(update={"sns_subscription": self.gateway.subscribe(subscription)})
        self.store.create(subscription.id, subscription.model_dump(mode="json"),
                          _change(subscription, "subscribed", principal, now))
        return subscription

    def all(self) -> list[Subscription]:
        return [Subscription.model_validate(data) for data in self.store.all()]

    def delete(self, subscription_id: str, principal: Principal, confirm_no_complaint_subscriber: bool = False) -> None:
        """Stop a subscription. Stopping the last one that receives every complaint alert of a team complaints go
        to is a 409 unless `confirm_no_complaint_subscriber` says that is meant."""
        subscriptions = self.all()
        subscription = next((s for s in subscriptions if s.id == subscription_id), None)
        if subscription is None:
            raise NotFound(f"no subscription {subscription_id!r}")
        left = [s for s in subscriptions if s.id != subscription_id]
        unheard = sorted(f"{team} ({severity})" for team, severity in complaint_teams(self.rules())
                         if subscription.receives(team, severity) and not any(s.receives(team, severity) for s in left))
        if unheard and not confirm_no_complaint_subscriber:
            raise Conflict(
                f"this is the last email subscription receiving the complaint alerts of {', '.join(unheard)}: without "
                "it nobody is told about new complaints (they still reach the inbox, the digest goes to nobody and "
                "SMS only carries a few urgent ones). Subscribe someone else first, or repeat with "
                "?confirm_no_complaint_subscriber=true", teams=unheard)
        change = _change(subscription, "unsubscribed", principal, self.clock())
        change["confirmed_no_complaint_subscriber"] = bool(unheard)
        if subscription.sns_subscription and subscription.sns_subscription.startswith("arn:"):
            self.gateway.unsubscribe(subscription.sns_subscription)
        self.store.delete(subscription_id, change)

    def history(self, limit: int, cursor: str | None) -> tuple[list[SubscriptionChange], str | None]:
        items, next_cursor = self.store.history(limit, cursor)
        return [SubscriptionChange.model_validate(item) for item in items], next_cursor


def _change(subscription: Subscription, change: str, principal: Principal, now: datetime) -> dict[str, Any]:
    # `moment` orders the history: two changes in one second keep their order.
    return {"at": timing.iso_utc(now), "moment": now.isoformat(timespec="microseconds"), "by": principal.username,
            "change": change,
            "subscription": subscription.masked().model_dump(mode="json", exclude={"sns_subscription"})}


class StateRules:
    """Routing rules kept as one unversioned state value: for fakes and tests that give a State only."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.saved: list[RoutingRulesVersion] = []

    def current(self) -> RoutingRulesVersion | None:
        stored = self.state.get(RULES_STATE)
        return RoutingRulesVersion.model_validate(stored) if stored else None

    def save(self, rules: RoutingRulesVersion) -> RoutingRulesVersion:
        self.state.put(RULES_STATE, rules.model_dump(mode="json"), rules.changed_at or "")
        self.saved.append(rules)
        return rules

    def versions(self, limit: int, cursor: str | None) -> tuple[list[RoutingRulesVersion], str | None]:
        return list(reversed(self.saved))[:limit], None
