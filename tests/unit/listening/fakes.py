"""In-memory stand-ins for the listening service's ports (stores with the real conditional semantics)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from chorus.advocacy.engagement.service import ForwardedMentions
from chorus.core import time as timing
from chorus.core.errors import Stale
from chorus.listening.digests.service import DigestSink
from chorus.listening.schemas import Alert, MentionRecord, Texts
from chorus.listening.service import Alerts, AlertSink, IngestQueue, Mentions, State
from chorus.listening.spikes import service as spikes
from chorus.listening.spikes.schemas import Tally
from chorus.platforms.base import Mention

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


T = TypeVar("T")


def paged(found: list[T], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """A page of an in-memory listing; the cursor is where the next page starts."""
    start = int(cursor or 0)
    return found[start:start + limit], str(start + limit) if len(found) > start + limit else None


class Identified(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=Identified)


class VersionedStore(Generic[Item]):
    """Items with optimistic locking, like the DynamoDB repositories: save() of a stale copy is a Conflict."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[int, Item]] = {}
        self.read_versions: dict[str, int] = {}

    def _get(self, key: str) -> Item | None:
        if key not in self.items:
            return None
        version, value = self.items[key]
        self.read_versions[key] = version
        return value

    def _create(self, value: Item) -> Item | None:
        if value.id in self.items:
            return None
        self.items[value.id] = (1, value)
        self.read_versions[value.id] = 1
        return value

    def _save(self, value: Item) -> Item:
        version, _ = self.items[value.id]
        if self.read_versions.get(value.id) != version:
            raise Stale("changed meanwhile")
        self.items[value.id] = (version + 1, value)
        self.read_versions[value.id] = version + 1
        return value


class MemoryMentions(VersionedStore[MentionRecord], Mentions, ForwardedMentions):
    def __init__(self) -> None:
        super().__init__()
        self.counters: dict[str, int] = {}  # spike counters, added to atomically with the first store

    def create(self, record: MentionRecord, counter: Tally | None = None) -> MentionRecord | None:
        created = self._create(record)
        if created is not None and counter is not None:
            self.counters[counter.name] = self.counters.get(counter.name, 0) + 1
        return created

    def save(self, record: MentionRecord) -> MentionRecord:
        return self._save(record)

    def get(self, key: str, now: datetime) -> MentionRecord | None:
        record = self._get(key)
        return None if record is None or record.expired(now) else record

    def forwarded_by(self, username: str, now: datetime, limit: int,
                     cursor: str | None) -> tuple[list[MentionRecord], str | None]:
        """MentionRepository.forwarded_by: the mentions `username` forwarded, newest first, a page at a time."""
        mine = sorted((r for _, r in self.items.values() if r.forwarded_by == username and not r.expired(now)),
                      key=lambda r: r.received_at, reverse=True)
        start = int(cursor or 0)
        return mine[start:start + limit], str(start + limit) if start + limit < len(mine) else None

    def conversation_since(self, conversation: str, since: datetime, now: datetime,
                           limit: int = 500) -> list[MentionRecord]:
        return [r for _, r in self.items.values()
                if r.conversation == conversation and r.created_at >= since.strftime("%Y-%m-%dT%H:%M:%SZ")
                and not r.expired(now)]


class MemoryAlerts(VersionedStore[Alert], Alerts):
    def get(self, alert_id: str, now: datetime) -> Alert | None:
        return self._get(alert_id)

    def create(self, alert: Alert) -> Alert | None:
        return self._create(alert)

    def save(self, alert: Alert) -> Alert:
        return self._save(alert)

    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]:
        """AlertRepository.recent: created since `since`, not expired, newest first."""
        found = [alert for _, alert in self.items.values()
                 if alert.created_at >= timing.iso_utc(since) and alert.expires_at > now.timestamp()]
        return sorted(found, key=lambda alert: alert.created_at, reverse=True)[:limit]

    def page(self, since: datetime, now: datetime, limit: int, cursor: str | None) -> tuple[list[Alert], str | None]:
        return paged(self.recent(since, now, 10**6), limit, cursor)


class MemoryState(State):
    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()

    def get(self, name: str) -> dict[str, Any]:
        return dict(self.values.get(name, {}))

    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None:
        self.values[name] = dict(value)

    def take_token(self, name: str, slots: int, expires_at: int) -> bool:
        for slot in range(slots):
            if f"{name}#{slot}" not in self.tokens:
                self.tokens.add(f"{name}#{slot}")
                return True
        return False


@dataclass
class Sent:
    subject: str
    message: str
    attributes: dict[str, str]
    sms_text: str | None = None  # what SMS subscribers get when it differs from the email
    translations: Mapping[str, Texts] = field(default_factory=dict)  # the same message for other languages' readers


@dataclass
class MemoryNotifier(AlertSink, spikes.AlertSink, DigestSink):
    sent: list[Sent] = field(default_factory=list)

    def send(self, subject: str, message: str, *, sms_text: str | None = None, **attributes: Any) -> None:
        # Listening's alerts come with their translations (AlertSink); spikes and digests in one language.
        attributes.pop("written_in", None)
        translations: Mapping[str, Texts] = attributes.pop("translations", None) or {}
        self.sent.append(Sent(subject, message, attributes, sms_text, dict(translations)))


@dataclass
class MemoryQueue(IngestQueue):
    messages: list[tuple[Mention, str | None]] = field(default_factory=list)

    def send(self, mention: Mention, facet: str | None) -> None:
        self.messages.append((mention, facet))


@dataclass(frozen=True)
class Verdict:
    intent: str
    sentiment: float
    language: str
    complaint_score: float
    detected_language: str | None = None


def keyword_classifier(text: str) -> Verdict:
    """A transparent stand-in for the trained model, so these tests exercise routing, not the model's opinions."""
    lowered = text.lower()
    language = "nl" if any(w in lowered.split() for w in ("de", "het", "een", "niet", "mijn", "al", "weer")) else "en"
    detected: str | None = language
    if any("\u0600" <= character <= "\u06ff" for character in text):
        language, detected = "other", "ar"
    elif "merci" in lowered:
        language, detected = "other", "fr"
    elif not any(character.isalpha() for character in text):
        language, detected = "other", None
    if "klacht" in lowered or "schandalig" in lowered or "terrible" in lowered or "سيئة" in text:
        return Verdict("complaint", -0.8, language, 0.95, detected)
    if "?" in text:
        return Verdict("question", 0.0, language, 0.2, detected)
    if "bedankt" in lowered or "thanks" in lowered or "merci" in lowered:
        return Verdict("praise", 0.8, language, 0.05, detected)
    return Verdict("other", 0.0, language, 0.1, detected)
