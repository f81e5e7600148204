"""Spikes: far more negative mentions about one facet in one language in the last hour than is usual for that hour.

A mention is *negative* when its intent is `complaint` or its sentiment is at most -0.5. The rule is fixed, not a
setting: the baseline compares counts over weeks, and a changed rule would compare today's counts with yesterday's
counts of something else. Each negative mention adds one to the counter of its *series* (facet and language) and
10-minute bucket, once, when it is first stored. The last hour is the six buckets up to now; the baseline is the same
six buckets on each of the `baseline_days` days before (the same hour of the day, so a quiet night does not make
every morning a spike).

A reading is a spike when its count is at least `min_count` and above mean + k·σ of the baseline. σ is at least
√mean: counts of independent events vary like that (Poisson), and a week of identical hours would otherwise make
one extra complaint a spike. After an alert the series is quiet for `cooldown_minutes`. Pure: callers pass `now`."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chorus.core import time as timing
from chorus.listening.schemas import MentionRecord, SpikeRules, excerpt
from chorus.listening.spikes.schemas import AuthorCount, Example, HoldEffect, Spike, Step, Tally, Term, Watch, threshold

NEGATIVE_SENTIMENT = -0.5
BUCKET = timedelta(minutes=10)
WINDOW_BUCKETS = 6  # the last hour
DAY = timedelta(days=1)
FACETS = ("brand", "company", "employees")
LANGUAGES = ("nl", "en", "other")
DEFAULT_FACET = "brand"  # what POST /mentions assumes when no facet is given
COUNTER_PREFIX = "spike#n#"
# Counters must outlive the longest baseline (28 days) plus the window.
COUNTER_LIFETIME = timedelta(days=30)
NOTIFY_CLAIM = timedelta(seconds=90)  # a run that claimed a spike has this long to send it before another may
TOP_TERMS, TOP_AUTHORS, EXAMPLES = 5, 3, 3
# Words that say nothing about what a spike is about (Dutch and English), for the top terms.
_STOPWORDS = frozenset("""
    de het een en of maar niet geen wel nog al ook dat die dit deze wat wie waar waarom hoe wanneer van voor met op aan
    naar om te bij uit tot door over onder is zijn ben bent was waren heb hebt heeft hebben had kan kun kunt kunnen wil
    moet mag zal zou wordt worden werd dan toch even nu weer echt heel zo gewoon alweer nooit mijn me mij er hier daar
    nou hoor dus ik je jij jou jouw u uw we wij ons onze jullie hij zij ze hun hem haar men als ook meer veel alles
    niks niets iets iemand niemand dag dagen keer jullie gaat gaan doen doet gedaan komt kom krijg krijgen
    the a an and or but not no is are was were be been am do does did can cannot will would should could have has had
    this that these those what who where why how when which of for with on at to from by about just so get got still
    again any there here i you your me my we our us they them their he she his her it its all very too than then out
    up into over after before now day days time
""".split())
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#][\w.@-]+", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- counting
def is_negative(intent: str, sentiment: float) -> bool:
    return intent == "complaint" or sentiment <= NEGATIVE_SENTIMENT


def series_of(record: MentionRecord) -> str | None:
    """`facet#language` of a negative mention (what spikes are counted per); None for one that is not negative."""
    if not is_negative(record.intent, record.sentiment):
        return None
    return f"{record.facet or DEFAULT_FACET}#{record.language}"


def all_series() -> list[str]:
    return [f"{facet}#{language}" for facet in FACETS for language in LANGUAGES]


def said_at(record: MentionRecord) -> datetime:
    """When it was said, never later than when it reached us (a platform's clock may be ahead)."""
    return min(timing.from_iso_utc(record.created_at), timing.from_iso_utc(record.received_at))


def bucket_of(at: datetime) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % int(BUCKET.total_seconds()), UTC)


def counter_name(series: str, bucket: datetime) -> str:
    return f"{COUNTER_PREFIX}{series}#{bucket:%Y%m%dT%H%M}"


def counter_of(record: MentionRecord) -> Tally | None:
    """What a newly stored mention adds to, or None when it is not negative."""
    series = series_of(record)
    if series is None:
        return None
    bucket = bucket_of(said_at(record))
    return Tally(counter_name(series, bucket), int((bucket + COUNTER_LIFETIME).timestamp()))


# ---------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Windows:
    """The counter names one series needs now: its last hour, and the same hour on each earlier day."""

    series: str
    recent: tuple[str, ...]
    baseline: tuple[tuple[str, ...], ...]

    def names(self) -> list[str]:
        return [*self.recent, *(name for day in self.baseline for name in day)]


def windows(series: str, now: datetime, baseline_days: int) -> Windows:
    last = bucket_of(now)
    buckets = [last - BUCKET * n for n in reversed(range(WINDOW_BUCKETS))]
    return Windows(
        series=series,
        recent=tuple(counter_name(series, b) for b in buckets),
        baseline=tuple(tuple(counter_name(series, b - DAY * day) for b in buckets)
                       for day in range(1, baseline_days + 1)),
    )


def baseline_stats(daily_counts: Sequence[int]) -> tuple[float, float]:
    """Mean and σ of the baseline hours; σ is at least √mean (see the module docstring)."""
    if not daily_counts:
        return 0.0, 0.0
    mean = sum(daily_counts) / len(daily_counts)
    variance = sum((c - mean) ** 2 for c in daily_counts) / len(daily_counts)
    return mean, max(math.sqrt(variance), math.sqrt(mean))


@dataclass(frozen=True)
class Reading:
    series: str
    count: int
    mean: float
    sigma: float
    threshold: float
    min_count: int

    @property
    def is_spike(self) -> bool:
        return self.count >= self.min_count and self.count > self.threshold

    @property
    def facet(self) -> str:
        return self.series.split("#", 1)[0]

    @property
    def language(self) -> str:
        return self.series.split("#", 1)[1]


def read(window: Windows, counts: Mapping[str, int], rules: SpikeRules) -> Reading:
    count = sum(counts.get(name, 0) for name in window.recent)
    mean, sigma = baseline_stats([sum(counts.get(name, 0) for name in day) for day in window.baseline])
    return Reading(window.series, count, mean, sigma, threshold(mean, sigma, rules.sigmas), rules.min_count)


@dataclass(frozen=True)
class Evidence:
    terms: list[Term]
    authors: list[AuthorCount]
    examples: list[Example]
    platform: str  # where most of them were said


def evidence(mentions: Sequence[MentionRecord]) -> Evidence:
    """Top terms (in how many mentions), top authors, and three examples: the widest-reaching ones with a link,
    one per author."""
    terms: Counter[str] = Counter()
    for record in mentions:
        terms.update(set(_terms(f"{record.title or ''} {record.text}")))
    by_author: Counter[str] = Counter(r.author_handle for r in mentions)
    followers = {r.author_handle: r.author_followers for r in mentions}
    examples: list[Example] = []
    seen: set[str] = set()
    for record in sorted(mentions, key=lambda r: (r.url is not None, r.reach, r.created_at), reverse=True):
        if record.author_handle in seen:
            continue
        seen.add(record.author_handle)
        examples.append(Example(mention_id=record.id, author_handle=record.author_handle,
                                author_followers=record.author_followers, platform=record.platform,
                                excerpt=excerpt(record.text)[:200], url=record.url))
        if len(examples) == EXAMPLES:
            break
    platforms = Counter(r.platform for r in mentions).most_common(1)
    return Evidence(
        terms=[Term(term=t, mentions=n) for t, n in sorted(terms.items(), key=lambda tn: (-tn[1], tn[0]))[:TOP_TERMS]],
        authors=[AuthorCount(handle=h, mentions=n, followers=followers[h])
                 for h, n in sorted(by_author.items(), key=lambda hn: (-hn[1], hn[0]))[:TOP_AUTHORS]],
        examples=examples,
        platform=platforms[0][0] if platforms else "none",
    )


def _terms(text: str) -> list[str]:
    words = _WORD.findall(_NOISE.sub(" ", text).lower())
    return [w for w in words if len(w) >= 3 and w not in _STOPWORDS]


def spike_id(series: str, detected_at: datetime) -> str:
    return f"{timing.iso_utc(detected_at)}#{series}"


def hold_effect(opted_in: bool, hold_active: bool) -> HoldEffect:
    if hold_active:
        return "already_on"
    return "switched_on" if opted_in else "off"


def new_spike(reading: Reading, found: Evidence, rules: SpikeRules, now: datetime, retention: timedelta,
              crisis_hold: HoldEffect, sms: bool) -> Spike:
    return Spike(
        id=spike_id(reading.series, now), facet=reading.facet, language=reading.language,
        detected_at=timing.iso_utc(now), count=reading.count, mean=round(reading.mean, 2),
        sigma=round(reading.sigma, 2),
        threshold=round(reading.threshold, 2), sigmas=rules.sigmas, min_count=rules.min_count,
        baseline_days=rules.baseline_days, terms=found.terms, authors=found.authors, examples=found.examples,
        platform=found.platform, crisis_hold=crisis_hold, sms=sms, expires_at=int((now + retention).timestamp()),
    )


def next_step(watch: Watch, reading: Reading, now: datetime, rules: SpikeRules) -> Step | None:
    """What a run does for one series: finish a spike whose sender died, raise a new one, or nothing."""
    if watch.pending is not None:
        claimed = watch.claim_until and timing.from_iso_utc(watch.claim_until) > now
        return None if claimed else "resume"
    if reading.is_spike and cooled_down(watch, now, rules):
        return "new"
    return None


def cooled_down(watch: Watch, now: datetime, rules: SpikeRules) -> bool:
    if watch.last_at is None:
        return True
    return timing.from_iso_utc(watch.last_at) + timedelta(minutes=rules.cooldown_minutes) <= now


def claim(watch: Watch, spike: Spike, now: datetime) -> Watch:
    return watch.model_copy(update={"last_at": spike.detected_at, "pending": spike,
                                    "claim_until": timing.iso_utc(now + NOTIFY_CLAIM)})


def reclaim(watch: Watch, now: datetime) -> Watch:
    return watch.model_copy(update={"claim_until": timing.iso_utc(now + NOTIFY_CLAIM)})


def sent(watch: Watch) -> Watch:
    return watch.model_copy(update={"pending": None, "claim_until": None})
