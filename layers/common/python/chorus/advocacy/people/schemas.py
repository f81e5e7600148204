"""Shapes of the ambassador programme's people: a person (with the checks that normalise their handles, contact
details, team and topics), a person as the API shows them, the social-media policy, the inventory of where people
are active, and the request and response bodies of /ambassadors, /policy and /inventory (validated on the way in,
documented in /openapi.json). Who may change what is chorus.advocacy.people.rules.

A person is offered content only while opted in, not erased, in the publisher role and having acknowledged the current
policy version. A person is known everywhere else by `id` only, so erasing their personal data keeps the anonymous
counts."""
from __future__ import annotations

import re
from typing import Annotated, Literal, get_args
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from chorus.core import phones
from chorus.core.errors import ValidationError
from chorus.core.roles import Principal
from chorus.listening.schemas import EMAIL_ADDRESS, Language

ProgrammeRole = Literal["master", "editor", "creator", "publisher"]
PROGRAMME_ROLES: tuple[str, ...] = get_args(ProgrammeRole)
NotifyBy = Literal["email", "sms", "none"]
Rhythm = Literal["immediate", "daily", "weekly"]
# The platforms Chorus shares to and reads from; their handles are checked against each platform's own syntax.
SHARE_PLATFORMS = ("mastodon", "bluesky", "x", "linkedin")
# Where else employees are active (seed 002: the inventory); handles are kept as given, lightly cleaned.
OTHER_PLATFORMS = ("instagram", "facebook", "threads", "tiktok", "youtube", "blog")
PLATFORMS = SHARE_PLATFORMS + OTHER_PLATFORMS
CreateOutcome = Literal["created", "id_taken", "username_taken"]
ERASED_NAME = "erased"
MAX_TOPICS = 20
# A DNS hostname; also atproto's handle syntax.
_HOSTNAME = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
_MASTODON_USER = r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*"  # Mastodon's Account::USERNAME_RE
_CHECKS = {
    "mastodon": re.compile(rf"@{_MASTODON_USER}@{_HOSTNAME}"),
    "bluesky": re.compile(_HOSTNAME),
    "x": re.compile(r"[a-z0-9_]{1,15}"),
    "linkedin": re.compile(r"[a-z0-9][a-z0-9-]{1,98}[a-z0-9]"),  # the /in/<slug> of a public profile URL
    "instagram": re.compile(r"[a-z0-9._]{1,30}"),
    "threads": re.compile(r"[a-z0-9._]{1,30}"),
    "tiktok": re.compile(r"[a-z0-9._]{2,24}"),
    "youtube": re.compile(r"@[a-z0-9._-]{3,30}"),
    "facebook": re.compile(r"[a-z0-9.]{5,50}"),
    "blog": re.compile(r"https?://\S{4,500}"),
}
_EXAMPLES = {
    "mastodon": "@ann@social.example", "bluesky": "ann.bsky.social", "x": "ann", "linkedin": "ann-de-vries",
    "instagram": "ann.dv", "threads": "ann.dv", "tiktok": "ann.dv", "youtube": "@annvlogs", "facebook": "ann.devries",
    "blog": "https://ann.example/blog",
}
# A profile URL a person may paste instead of the handle: host -> the path prefix before the handle.
_PROFILE_URLS = {
    "bluesky": {"bsky.app": "/profile/"},
    "x": {"x.com": "/", "twitter.com": "/", "mobile.twitter.com": "/"},
    "linkedin": {"linkedin.com": "/in/"},
    "instagram": {"instagram.com": "/"},
    "threads": {"threads.net": "/@", "threads.com": "/@"},
    "tiktok": {"tiktok.com": "/@"},
    "youtube": {"youtube.com": "/"},
    "facebook": {"facebook.com": "/"},
}
_TEAM = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_TOPIC = re.compile(r"[\w][\w -]{0,39}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


# ---------------------------------------------------------------------------------------------------- handles
def normalise_handle(platform: str, raw: str) -> str:
    """The one spelling of a handle Chorus stores and compares, from what a person types or pastes (with or without
    @, in another case, or as a profile URL): Mastodon `@user@host`, Bluesky `name.host`, X `name` without @,
    LinkedIn the profile slug. Raises ValidationError (field `platforms.<platform>`) for anything else."""
    field = f"platforms.{platform}"
    if platform not in PLATFORMS:
        raise ValidationError("platforms", f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}")
    text = raw.strip()
    if platform == "blog":
        handle = text
    elif platform == "mastodon":
        handle = _mastodon(text)
    else:
        handle = _from_profile_url(platform, text).lower()
        if platform != "youtube":
            handle = handle.removeprefix("@")
        elif not handle.startswith("@"):
            handle = f"@{handle}"
    if not _CHECKS[platform].fullmatch(handle) or len(handle) > 253:
        raise ValidationError(field, f"{raw!r} is not a {platform} handle; for example {_EXAMPLES[platform]}")
    return handle


def _mastodon(text: str) -> str:
    if "://" not in text:
        return "@" + text.removeprefix("@").lower()
    parts = _url(text)  # https://host/@user
    path = parts.path.strip("/") if parts else ""
    if parts and path.startswith("@") and "/" not in path:
        return f"{path.lower()}@{(parts.hostname or '').lower()}"
    return text


def _from_profile_url(platform: str, text: str) -> str:
    parts = _url(text if "://" in text else f"https://{text}") if "/" in text else None
    if parts is None:
        return text
    host = (parts.hostname or "").lower().removeprefix("www.")
    prefix = _PROFILE_URLS.get(platform, {}).get(host)
    if prefix is None or not parts.path.startswith(prefix):
        return text  # not a profile URL of this platform: refused by the syntax check
    rest = parts.path[len(prefix):].strip("/")
    return ("@" if prefix.endswith("@") else "") + rest if "/" not in rest else text


def _url(text: str) -> SplitResult | None:
    try:
        return urlsplit(text)
    except ValueError:  # e.g. an unclosed [ of an IPv6 host
        return None


# ---------------------------------------------------------------------------------------------------- field checks
def _name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL_ADDRESS.match(value) or len(value) > 254:
        raise ValueError("must be an email address, e.g. ann@example.org")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _phone(value: str) -> str:
    """E.164 (as SNS needs for SMS), from the way people write it: 06 1234 5678, +31 6 1234 5678, 0031 6 …"""
    try:
        return phones.e164(value)
    except phones.InvalidPhone as problem:
        raise ValueError(str(problem)) from None


def _team(value: str) -> str:
    value = value.strip().lower()
    if not _TEAM.fullmatch(value):
        raise ValueError("must be a short lower-case name of letters, digits and dashes, e.g. sales")
    return value


def _roles(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - set(PROGRAMME_ROLES))
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}; the programme's roles are {', '.join(PROGRAMME_ROLES)}")
    return [role for role in PROGRAMME_ROLES if role in value]


def _topics(value: list[str]) -> list[str]:
    topics = list(dict.fromkeys(" ".join(t.split()).lower() for t in value))
    if len(topics) > MAX_TOPICS:
        raise ValueError(f"at most {MAX_TOPICS} topics")
    for topic in topics:
        if not _TOPIC.fullmatch(topic):
            raise ValueError(f"{topic!r} is not a topic: up to 40 letters, digits, spaces or dashes")
    return topics


def _platforms(value: dict[str, str]) -> dict[str, str]:
    return {platform: normalise_handle(platform, handle) for platform, handle in sorted(value.items())}


def _username(value: str) -> str:
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError("must be the Cognito username this person logs in with (no spaces)")
    return value


Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_name)]
Email = Annotated[str, Field(max_length=254, description="e.g. ann@example.org"), AfterValidator(_email)]
Phone = Annotated[str, Field(max_length=40, description="with country code: +31612345678"), AfterValidator(_phone)]
Team = Annotated[str, Field(max_length=40, description="e.g. sales, hr"), AfterValidator(_team)]
Roles = Annotated[list[str], Field(description=f"a subset of {', '.join(PROGRAMME_ROLES)}"), AfterValidator(_roles)]
Topics = Annotated[list[str], Field(description="interests, for offers per topic"), AfterValidator(_topics)]
Handles = Annotated[dict[str, str], Field(description=f"platform -> handle; platforms: {', '.join(PLATFORMS)}"),
                    AfterValidator(_platforms)]
Username = Annotated[str, Field(max_length=128, description="the Cognito username this person logs in with"),
                     AfterValidator(_username)]


# ---------------------------------------------------------------------------------------------------- people
class Person(BaseModel):
    id: str = Field(description="opaque (p + hex); the only key of this person anywhere else")
    username: str | None = Field(
        description="the Cognito username this person logs in with (none for outside publishers)")
    name: str
    email: str | None
    phone: str | None = Field(description="E.164, e.g. +31612345678")
    team: str
    roles: list[str] = Field(description=f"a subset of {', '.join(PROGRAMME_ROLES)}")
    platforms: dict[str, str] = Field(description="platform -> normalised handle")
    topics: list[str]
    opted_in: bool = Field(description="by the person themselves; they can opt out at any time")
    policy_version: str | None = Field(description="the policy version this person acknowledged")
    policy_acknowledged_at: str | None
    training_completed_at: str | None
    notify_by: NotifyBy = Field(description="how they want offers")
    rhythm: Rhythm = Field(description="never more often than this")
    named_consent: bool = Field(description="agreed to be named or tagged in the organisation's posts")
    hide_from_leaderboard: bool
    language: Language = Field(default="nl", description="the language of the messages the programme sends them: nl "
                               "(Dutch) or en (English)")
    created_at: str
    updated_at: str
    version: int = 0
    erased_at: str | None = Field(default=None, description="personal data erased; the counts stay")

    def can_receive_offers(self, current_policy: str | None) -> bool:
        """Opted in, not erased, and the current policy acknowledged (the pool also needs the publisher role)."""
        return (self.opted_in and self.erased_at is None and current_policy is not None
                and self.policy_version == current_policy)

    def missing_steps(self, current_policy: str | None) -> list[str]:
        """What still stands between this person and offered content, in words for the person."""
        if self.erased_at is not None:
            return ["this person's data was erased"]
        missing = []
        if "publisher" not in self.roles:
            missing.append("the publisher role (a social master gives it)")
        if not self.opted_in:
            missing.append("opting in (POST /ambassadors/me/opt-in)")
        if current_policy is None:
            missing.append("a published social-media policy (a social master publishes it)")
        elif self.policy_version != current_policy:
            missing.append(f"acknowledging policy version {current_policy} (POST /ambassadors/me/acknowledge-policy)")
        return missing

    def eligibility(self) -> str | None:
        """The partition of the eligible-publishers index this person belongs in, or None. It names the acknowledged
        policy version, so publishing a new version leaves everyone out of the new partition until they acknowledge."""
        if self.opted_in and self.erased_at is None and "publisher" in self.roles and self.policy_version:
            return eligible_partition(self.policy_version)
        return None

    def is_principal(self, principal: Principal) -> bool:
        return self.username is not None and self.username.casefold() == principal.username.casefold()

    def erased(self, stamp: str) -> Person:
        """Without personal data: id, team, roles and dates stay, so the counts keep meaning per team and role."""
        return self.model_copy(update={
            "username": None, "name": ERASED_NAME, "email": None, "phone": None, "platforms": {}, "topics": [],
            "opted_in": False, "policy_version": None, "policy_acknowledged_at": None, "notify_by": "none",
            "named_consent": False, "hide_from_leaderboard": True, "erased_at": stamp, "updated_at": stamp,
        })

    def view(self, current_policy: str | None) -> Ambassador:
        receives = current_policy is not None and self.eligibility() == eligible_partition(current_policy)
        return Ambassador(**self.model_dump(), receives_offers=receives, waiting_for=self.missing_steps(current_policy))


class Ambassador(Person):
    """A person as the API shows them: with whether they receive offers now, and if not, why."""

    receives_offers: bool
    waiting_for: list[str]


def eligible_partition(policy_version: str) -> str:
    return f"eligible#{policy_version}"


class PersonIn(BaseModel):
    """A social master adds a person. Opt-in, consent and preferences are the person's own to set later."""

    model_config = ConfigDict(extra="forbid")
    username: Username | None = Field(default=None, description="leave out for outside publishers")
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    team: Team
    roles: Roles = Field(default_factory=lambda: ["publisher"])
    platforms: Handles = Field(default_factory=dict)
    topics: Topics = Field(default_factory=list)
    language: Language = Field(default="nl", description="nl (Dutch) or en (English): the language of their messages")


class PersonChange(BaseModel):
    """Only the fields sent change (null clears username, email or phone). Who may change what: `check_change`."""

    model_config = ConfigDict(extra="forbid")
    username: Username | None = None
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    team: Team | None = None
    roles: Roles | None = None
    platforms: Handles | None = Field(default=None, description="replaces the whole map")
    topics: Topics | None = None
    notify_by: NotifyBy | None = None
    rhythm: Rhythm | None = None
    named_consent: bool | None = None
    hide_from_leaderboard: bool | None = None
    language: Language | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> PersonChange:
        for name in sorted(NOT_NULL & self.model_fields_set):
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


NOT_NULL = frozenset(PersonChange.model_fields) - {"username", "email", "phone"}


# ---------------------------------------------------------------------------------------------------- policy
class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(description="a new version name after the current one, e.g. 2026-2 after 2026-1 (numbers "
                                     "compare as numbers: 2026-10 comes after 2026-9); everyone acknowledges it again")
    summary: str = Field(min_length=1, max_length=1000, description="what changed, in a few lines")
    text: str | None = Field(default=None, max_length=50_000, description="the policy itself")
    url: str | None = Field(default=None, max_length=2000, description="or where it is published")

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.fullmatch(value):
            raise ValueError("must be up to 40 letters, digits, dots, dashes or underscores, e.g. 2026-2")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://\S+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _has_content(self) -> PolicyIn:
        if not self.text and not self.url:
            raise ValueError("give the policy's text, its url, or both")
        return self


class Policy(BaseModel):
    version: str
    summary: str
    text: str | None
    url: str | None
    published_at: str
    published_by: str

    def announcement(self, language: str = "en", link: str | None = None) -> tuple[str, str, str]:
        """(subject, email text, SMS text) asking a reader of `language` (nl or en) to read and acknowledge this
        version: at `link`, their own signed page (chorus.http.signing.PolicyLinks), or without one, in Chorus."""
        if language == "nl":
            subject = f"Nieuw socialemediabeleid {self.version}"
            action = (f"Lees het en bevestig dat je het gelezen hebt: {link}" if link else
                      "Bevestig in Chorus dat je het gelezen hebt (je social master helpt je als dat niet lukt).")
            lines = [f"Socialemediabeleid {self.version} is gepubliceerd. Wat er verandert: {self.summary}", "",
                     "Zolang je het niet bevestigd hebt, krijg je geen berichten om te delen.", action]
            if self.url:
                lines.append(f"Het beleid staat ook hier: {self.url}")
            sms = f"Chorus: nieuw socialemediabeleid {self.version}. " + (f"Lezen en bevestigen: {link}" if link
                                                                         else "Bevestig het in Chorus.")
        else:
            subject = f"New social-media policy {self.version}"
            action = (f"Read it and acknowledge it here: {link}" if link else
                      "Acknowledge it in Chorus (your social master helps if you cannot).")
            lines = [f"Social-media policy {self.version} was published. What changes: {self.summary}", "",
                     "Until you acknowledge it, you receive no content to share.", action]
            if self.url:
                lines.append(f"The policy is also published here: {self.url}")
            sms = f"Chorus: new social-media policy {self.version}. " + (f"Read and acknowledge: {link}" if link
                                                                        else "Acknowledge it in Chorus.")
        return subject, "\n".join(lines), sms


class PolicyVersion(BaseModel):
    """A published version, as the list of versions shows it (GET /policy has the current one's text)."""

    version: str
    summary: str
    url: str | None
    published_at: str
    published_by: str = Field(description="the username of the master who published it")
    current: bool = Field(description="the version everyone must have acknowledged to receive offers")


class PolicyVersionPage(BaseModel):
    items: list[PolicyVersion] = Field(description="newest first")
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


# ---------------------------------------------------------------------------------------------------- inventory
class PresenceEntry(BaseModel):
    id: str
    name: str
    team: str
    handle: str


class PlatformPresence(BaseModel):
    platform: str
    people: int = Field(description="how many people are active there")
    share: float = Field(description="of all people, 0..1")
    who: list[PresenceEntry]


class Inventory(BaseModel):
    """Seed 002 step 2: where the organisation's people are active."""

    people: int = Field(description="people in the programme (erased people not counted)")
    active_somewhere: int = Field(description="with at least one platform")
    on_no_platform: int
    opted_in: int
    platforms: list[PlatformPresence] = Field(description="most people first")


class AmbassadorPage(BaseModel):
    items: list[Ambassador]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(description="the current policy's version (GET /policy): you have read it")


class TrainingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completed: bool = Field(description="true records today as the training date; false clears it")
