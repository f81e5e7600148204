"""Pure rules of listening: which conversation a mention joins, the record it is stored as, what language it is in,
whether its praise can be trusted, and who must act on it.

Complaints and questions go to customer care, praise to marketing, and a complaint that spreads (a large audience,
or many people joining in within the hour) to PR as well (seed 004: "when a customer mobilises his network, it
becomes a PR problem"). The rules are data, editable through /routing-rules. Whatever they say, care triages what
the classifier cannot judge: a mention in another language than Dutch or English, and praise with signs of irony."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chorus.core import time as timing
from chorus.listening.schemas import WORDS, Escalation, MentionRecord, Note, RoutingRules, Rule, number
from chorus.platforms.base import Engagement, Mention

# ---------------------------------------------------------------------------------------------- conversations
# A reposted or cross-posted text is the same conversation: its words without links, handles, "RT" and punctuation.
# Only texts of a few words: two people writing just "bedankt!" are not one conversation.
NEAR_DUPLICATE_MIN_WORDS = 5
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@[\w.@-]+")
_REPOST_PREFIX = re.compile(r"^\s*(rt|via)\b:?", re.IGNORECASE)
_NOT_A_WORD = re.compile(r"[^\w]+")


def text_fingerprint(text: str) -> str | None:
    """The same for the same words, whatever links, handles, case and punctuation surround them; None for a text
    too short to tell a repost from a coincidence."""
    words = _NOT_A_WORD.sub(" ", _HANDLE.sub(" ", _LINK.sub(" ", _REPOST_PREFIX.sub("", text))).lower()).split()
    if len(words) < NEAR_DUPLICATE_MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:20]


def conversation_of(mention: Mention, parent_conversation: str | None) -> str:
    """Replies join their parent's conversation (or the thread's root when the parent is unknown to us); the same
    words posted again, anywhere, join the conversation of the first post; anything else starts its own."""
    if parent_conversation:
        return parent_conversation
    if mention.thread_root:
        return f"{mention.platform}#{mention.thread_root}"
    if mention.in_reply_to:
        return f"{mention.platform}#{mention.in_reply_to}"
    fingerprint = text_fingerprint(mention.text)
    return f"text#{fingerprint}" if fingerprint else mention.key


DEFAULT_RETENTION = timedelta(days=90)


def record_of(mention: Mention, *, language: str, intent: str, sentiment: float, complaint_score: float,
              facet: str | None, conversation: str, now: datetime, detected_language: str | None = None,
              retention: timedelta = DEFAULT_RETENTION) -> MentionRecord:
    engagement = mention.engagement or Engagement()
    return MentionRecord(
        id=mention.id, platform=mention.platform, platform_id=mention.platform_id, text=mention.text,
        title=mention.title, url=mention.url, author_handle=mention.author.handle, author_name=mention.author.name,
        author_followers=mention.author.followers, created_at=timing.iso_utc(mention.created_at),
        received_at=timing.iso_utc(now), language=language, detected_language=detected_language, intent=intent,
        sentiment=round(sentiment, 3),
        complaint_score=round(complaint_score, 3), reach=reach_of(mention), facet=facet, source_id=mention.source_id,
        forwarded_by=mention.forwarded_by, in_reply_to=mention.in_reply_to, conversation=conversation,
        replies=engagement.replies, reposts=engagement.reposts, likes=engagement.likes,
        expires_at=int((now + retention).timestamp()),
        notes=forward_notes(mention, now),
    )


def forward_notes(mention: Mention, now: datetime) -> list[Note]:
    """The note an employee forwarded the mention with, as the team's internal note (none without one)."""
    if not mention.forward_note:
        return []
    return [Note(at=timing.iso_utc(now), by=mention.forwarded_by or "unknown", text=mention.forward_note)]


def reach_of(mention: Mention) -> int:
    """How many people may have seen it: the author's followers, plus a rough audience per repost (each reposter's
    followers are rarely known; 100 is a conservative median for personal accounts)."""
    return (mention.author.followers or 0) + 100 * (mention.engagement.reposts if mention.engagement else 0)


# ---------------------------------------------------------------------------------------------- languages
CLASSIFIED_LANGUAGES = ("nl", "en")  # the classifier reads these; anything else is `other`


HINT_MAX_WORDS = 3  # "Prima", "Storing?", "Hallo?": too few words for the classifier to tell


def working_language(classified: str, hint: str | None, text: str) -> str:
    """The language a mention is classified and routed in: the classifier's nl or en; for its `other`, the
    platform's or source's nl or en when the text is a few words in Latin letters. A longer text, or one in
    another script, stays `other`: a Dutch feed's Arabic complaint is not read as Dutch."""
    if classified in CLASSIFIED_LANGUAGES or hint not in CLASSIFIED_LANGUAGES:
        return classified
    words = _NOT_A_WORD.sub(" ", _HANDLE.sub(" ", _LINK.sub(" ", text))).split()
    latin = all(ord(character) < 0x250 for word in words for character in word)
    return hint if latin and len(words) <= HINT_MAX_WORDS else classified


def detected_language(language: str, platform_tag: str | None, closest: str | None) -> str | None:
    """What language a mention is in: Dutch or English as classified; for anything else the platform's own tag
    (X, Mastodon, Bluesky and feeds give one) unless it claims Dutch or English, else the classifier's closest
    language."""
    if language in CLASSIFIED_LANGUAGES:
        return language
    return platform_tag if platform_tag and platform_tag not in CLASSIFIED_LANGUAGES else closest


LANGUAGE_NAMES = {
    "nl": "Dutch", "en": "English", "ar": "Arabic", "tr": "Turkish", "de": "German", "fr": "French", "es": "Spanish",
    "it": "Italian", "pt": "Portuguese", "pl": "Polish", "ro": "Romanian", "da": "Danish", "sv": "Swedish",
    "no": "Norwegian", "fi": "Finnish", "id": "Indonesian", "fa": "Persian", "ur": "Urdu", "ru": "Russian",
    "uk": "Ukrainian", "be": "Belarusian", "sr": "Serbian", "mk": "Macedonian", "bg": "Bulgarian", "el": "Greek",
    "he": "Hebrew", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "th": "Thai", "ka": "Georgian",
    "hy": "Armenian", "hi": "Hindi", "so": "Somali", "ti": "Tigrinya", "am": "Amharic", "pap": "Papiamento",
    "fy": "Frisian",
}


SCRIPT_NAMES = {"Arab": "Arabic", "Cyrl": "Cyrillic", "Deva": "Devanagari", "Beng": "Bengali", "Taml": "Tamil",
                "Ethi": "Ethiopic", "Guru": "Gurmukhi", "Gujr": "Gujarati", "Telu": "Telugu", "Knda": "Kannada",
                "Mlym": "Malayalam", "Sinh": "Sinhala", "Khmr": "Khmer", "Laoo": "Lao", "Mymr": "Burmese",
                "Tibt": "Tibetan"}


def language_name(code: str) -> str:
    """"ar" → "Arabic (ar)"; "und-Deva" → "a language in Devanagari script (und-Deva)"; unknown codes stay as they
    are."""
    if code.startswith("und-"):
        return f"a language in {SCRIPT_NAMES.get(code[4:], code[4:])} script ({code})"
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


# ---------------------------------------------------------------------------------------------- praise to trust
# The classifier reads words, and sarcasm is praise in its words ("Oh great… fantastic service 🙄"). These signs of
# irony are what people use to say the opposite of what the words say; a strong sign is enough, weak signs count
# from two (each alone also turns up in sincere praise). Dutch and English.
_IRONY_EMOJI = re.compile("[🙄😒🙃😑🤡🤦]")
_IRONY_TAG = re.compile(r"#(?:sarcasm|sarcastic|sarcasme|sarcastisch|irony|ironie|not)\b|(?:^|\s)/s\s*$",
                        re.IGNORECASE)
_SARCASTIC_PHRASE = re.compile(
    r"\b(?:thanks?(?: a lot| so much| very much)? for nothing|bedankt voor (?:niks|niets)|dank je de koekoek"
    r"|yeah,? right|what a surprise|wat een verrassing|knap hoor|lekker dan"
    r"|just (?:great|perfect|brilliant|lovely|wonderful)"
    r"|oh,? (?:great|fantastic|wonderful|lovely|perfect|brilliant|joy|geweldig|fantastisch|super|top|mooi|leuk"
    r"|heerlijk|prachtig))\b", re.IGNORECASE)
_REPEATED = re.compile(
    r"\b(?:AGAIN|WEER)\b|\b(?i:alweer|wéér|weer eens|once again|yet again|again and again|as usual|zoals gewoonlijk"
    r"|zoals altijd|for the (?!first\b)\w+ time|voor de (?!eerste\b)\w+ keer)(?!\w)")
_TROUBLE = re.compile(
    r"\b(?:skipped|skipping|skips?|delayed|delays?|cancell?ed|broken|down|outages?|on hold|waiting|waited|missed"
    r"|lost|nobody|no one|never arrived|hung up|cut off|still (?:no|not)|no (?:answer|reply)|not working|too late"
    r"|running late"
    r"|vertraging|vertraagd|uitgevallen|uitval|kapot|storingen|storing|in de wacht|wachten|gewacht|niemand|nooit"
    r"|nog steeds|kwijt|vergeten|overgeslagen|opgehangen|verbroken|te laat|geen (?:antwoord|reactie)"
    r"|werkt niet|doet het niet)\b", re.IGNORECASE)
# Sincere praise often tells the trouble that was solved ("storing binnen een uur opgelost"): then it is no sign.
_SOLVED = re.compile(
    r"\b(?:fix(?:ed|ing)?|solved|sorted|resolved|repaired|replaced|replacement|refunded|found|opgelost|verholpen"
    r"|hersteld|vervangen|teruggestort|teruggevonden|gerepareerd|gemaakt)\b", re.IGNORECASE)
_SCARE_QUOTES = re.compile(r"(?<!\w)[\"“„‘'][^\s\"“”„‘’']+(?: [^\s\"“”„‘’']+){0,2}[\"”’'](?!\w)")
_TRAILING_DOTS = re.compile(r"…|\.{3,}")
_APPLAUSE = re.compile("👏")


@dataclass(frozen=True)
class Irony:
    """The signs of irony found in a text, as written there."""

    strong: tuple[str, ...] = ()  # each alone is a sign: an eye-roll emoji, #sarcasm or /s, "thanks for nothing"
    weak: tuple[str, ...] = ()  # two together are: "AGAIN", trouble ("skipped"), scare quotes, "…", 👏

    @property
    def shown(self) -> bool:
        return bool(self.strong) or len(self.weak) >= 2

    def __str__(self) -> str:
        return ", ".join(f"“{sign}”" for sign in (*self.strong, *self.weak))


def irony_in(text: str) -> Irony:
    """The signs of irony in a text (pure: the same text, the same signs)."""
    strong = [m.group(0).strip() for pattern in (_IRONY_EMOJI, _IRONY_TAG, _SARCASTIC_PHRASE)
              if (m := pattern.search(text))]
    trouble = _TROUBLE.search(text) if not _SOLVED.search(text) else None
    weak = [m.group(0) for m in (_REPEATED.search(text), trouble, _SCARE_QUOTES.search(text),
                                 _TRAILING_DOTS.search(text), _APPLAUSE.search(text)) if m]
    return Irony(tuple(strong), tuple(weak))


CONFIDENT_PRAISE_MAX_COMPLAINT_SCORE = 0.25  # chosen on the hand-written praise (docs/listening.md, measured)
CONFIDENT_PRAISE_MIN_SENTIMENT = 0.2


def is_sincere_praise(record: MentionRecord) -> bool:
    """Praise Chorus may offer editors as content (chorus.advocacy.content): the classifier is confident it is
    praise, in a language it reads, and the text shows no sign of irony."""
    return (record.intent == "praise" and record.language in CLASSIFIED_LANGUAGES
            and record.complaint_score <= CONFIDENT_PRAISE_MAX_COMPLAINT_SCORE
            and record.sentiment >= CONFIDENT_PRAISE_MIN_SENTIMENT and not irony_in(record.text).shown)


NOTIFY_CLAIM = timedelta(seconds=60)
DEFAULT_RULES = RoutingRules(rules=[
    Rule(intent="complaint", team="care", severity="medium", min_complaint_score=0.5),
    Rule(intent="question", team="care", severity="low"),
    Rule(intent="praise", team="marketing", severity="low"),
])


@dataclass(frozen=True)
class Facts:
    """What routing looks at: the classification, the author's audience and the conversation's spread."""

    intent: str
    language: str
    facet: str | None
    complaint_score: float
    followers: int
    distinct_authors: int  # in the conversation, within the escalation window
    interactions: int  # replies + reposts in the conversation, within the window
    detected_language: str | None = None  # for language `other`: what it is in (None: no words to tell)
    irony: Irony = Irony()  # signs of irony in the text (chorus.listening.rules.irony_in)


@dataclass(frozen=True)
class Route:
    team: str
    severity: str
    reason: str
    reason_nl: str | None = field(default=None, compare=False)  # the reason for Dutch subscribers


TRIAGE_TEAM = "care"
TRIAGE_SEVERITY = "medium"


def route(rules: RoutingRules, facts: Facts) -> list[Route]:
    """The teams to alert, most urgent last: the first matching rule; care, to triage, what the classifier cannot
    judge (another language, praise with signs of irony), whatever the rules say; PR when a complaint spreads."""
    matched = next((rule for rule in rules.rules if _matches(rule, facts)), None)
    routes = [Route(matched.team, matched.severity, f"{facts.intent} ({facts.language})",
                    f"{WORDS['nl'].get(facts.intent, facts.intent)} ({facts.language})")] if matched else []
    why_triage = triage_reason(facts)
    if why_triage and all(r.team != TRIAGE_TEAM for r in routes):
        routes.append(Route(TRIAGE_TEAM, TRIAGE_SEVERITY, why_triage, triage_reason(facts, "nl")))
    if matched and facts.intent == "complaint" and matched.team != "pr":
        why = spread_reason(rules.escalation, facts)
        if why:
            routes.append(Route("pr", rules.escalation.severity, why, spread_reason(rules.escalation, facts, "nl")))
    return routes


def triage_reason(facts: Facts, language: str = "en") -> str | None:
    """Why a person must read the mention to know who answers it: never silently dropped, never taken on trust."""
    dutch = language == "nl"
    if facts.language not in CLASSIFIED_LANGUAGES and facts.detected_language:
        if dutch:
            return (f"in een taal die Chorus niet kan beoordelen ({facts.detected_language}; Chorus leest Nederlands "
                    "en Engels): lees het en beslis wie het beantwoordt")
        return (f"in {language_name(facts.detected_language)}, which Chorus cannot classify (it reads Dutch and "
                "English): read it and decide who answers it")
    if facts.intent == "praise" and facts.irony.shown:
        if dutch:
            return (f"een compliment met tekenen van ironie ({facts.irony}): het kan een klacht zijn; lees het en "
                    "beslis wie het beantwoordt")
        return f"praise with signs of irony ({facts.irony}): it may be a complaint; read it and decide who answers it"
    return None


def spread_reason(escalation: Escalation, facts: Facts, language: str = "en") -> str | None:
    dutch = language == "nl"
    window = f"{'binnen' if dutch else 'in'} {escalation.window_minutes} {'minuten' if dutch else 'minutes'}"
    if facts.followers >= escalation.min_followers:
        followers = number(facts.followers, language)
        return f"de schrijver bereikt {followers} volgers" if dutch else f"author reaches {followers} followers"
    if facts.distinct_authors >= escalation.min_distinct_authors:
        if dutch:
            return f"{facts.distinct_authors} mensen deden mee aan het gesprek {window}"
        return f"{facts.distinct_authors} people joined the conversation {window}"
    if facts.interactions >= escalation.min_interactions:
        if dutch:
            return f"{facts.interactions} reacties en reposts {window}"
        return f"{facts.interactions} replies and reposts {window}"
    return None


def _matches(rule: Rule, facts: Facts) -> bool:
    return (
        rule.intent == facts.intent
        and (not rule.languages or facts.language in rule.languages)
        and (not rule.facets or facts.facet in rule.facets)
        and facts.complaint_score >= rule.min_complaint_score
    )


def with_forward(routes: list[Route], team: str | None, forwarded_by: str | None) -> list[Route]:
    """An employee who forwards a mention to a team (seed 001 BEdreiging: pass on what is beyond your knowledge)
    reaches that team whatever the classifier made of it; the teams routing chose are alerted too."""
    if not team or any(r.team == team for r in routes):
        return routes
    return [Route(team, "medium", f"forwarded by {forwarded_by or 'an employee'}",
                  f"doorgestuurd door {forwarded_by or 'een medewerker'}"), *routes]


# ---------------------------------------------------------------------------------------------- switching alerting off
FACETS = ("brand", "company", "employees")
FACET_WORDS = {"brand": "the brand", "company": "the company", "employees": "employees"}


def complaint_gaps(rules: RoutingRules) -> list[str]:
    """Which complaints no team is told about under `rules`, in words ("complaints in English about the company"),
    empty when every complaint in Dutch and English reaches a team. A complaint reaches a team when a rule for
    complaints matches its language and facet (languages and facets left empty match every one). Other languages
    are not counted: care is told about those for triage whatever the rules say."""
    gaps = []
    for language in CLASSIFIED_LANGUAGES:
        missing = [facet for facet in FACETS if not any(
            rule.intent == "complaint" and (not rule.languages or language in rule.languages)
            and (not rule.facets or facet in rule.facets) for rule in rules.rules)]
        if missing:
            about = "" if len(missing) == len(FACETS) else " about " + " or ".join(FACET_WORDS[f] for f in missing)
            gaps.append(f"complaints in {LANGUAGE_NAMES[language]}{about}")
    return gaps


def complaint_teams(rules: RoutingRules) -> set[tuple[str, str]]:
    """The (team, severity) pairs complaints are alerted to under `rules`."""
    return {(rule.team, rule.severity) for rule in rules.rules if rule.intent == "complaint"}

