"""Personal share links: platform share intents with the text filled in, tracked short links `/r/{code}` and the UTM
parameters they add, link-preview bots, and telling a shared post's platform from its URL. Pure.

A tracked code is a person's link to one offer: nine random base62 characters, then one letter for the channel the
link was handed out for (x, l linkedin, b bluesky, m mastodon, f facebook, c copied). One stored link per person and
offer counts clicks per channel; changing the letter only moves a click between that person's own channels.
"""
from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

BASE62 = string.digits + string.ascii_letters
CODE_BASE_LENGTH = 9  # 62**9 ≈ 1.4e16: unguessable for a link that only counts clicks
COPIED = "chorus"  # the plain tracked link, for pasting anywhere
CHANNEL_LETTERS = {"x": "x", "linkedin": "l", "bluesky": "b", "mastodon": "m", "facebook": "f", COPIED: "c"}
CHANNELS_BY_LETTER = {letter: channel for channel, letter in CHANNEL_LETTERS.items()}
TEXT_PLATFORMS = ("x", "linkedin", "bluesky", "mastodon")  # platforms with a suggested text
UTM_MEDIUM = "ambassador"
OURS = ("utm_source", "utm_medium", "utm_campaign")
MAX_URL_LENGTH = 2000

_CODE = re.compile(rf"^[0-9A-Za-z]{{{CODE_BASE_LENGTH}}}[{''.join(CHANNELS_BY_LETTER)}]$")
_TRACKED_PATH = re.compile(rf"/r/([0-9A-Za-z]{{{CODE_BASE_LENGTH}}})[{''.join(CHANNELS_BY_LETTER)}](?![0-9A-Za-z])")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,:;!?)\]}]", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_MASTODON_STATUS_PATH = re.compile(r"^/@[\w.-]+/\d+$")
_MASTODON_STATUS_ID = re.compile(r"^/(?:@[\w.-]+|users/[\w.-]+/statuses)/(\d+)/?$")
_BLUESKY_POST = re.compile(r"^/profile/([\w.:-]+)/post/([a-z0-9]+)/?$")
# Query parameters that only say where a link was clicked: dropped so one post has one normalised URL.
_TRACKING_PARAMS = {"fbclid", "gclid", "igshid", "s", "t", "si", "ref_src", "ref_url", "trk"}
_PLATFORM_HOSTS = {
    "x.com": "x", "twitter.com": "x", "linkedin.com": "linkedin", "lnkd.in": "linkedin", "bsky.app": "bluesky",
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook",
}
# User agents of link unfurlers: they fetch every link in a post to draw its card, which is not a person clicking.
# Mastodon servers fetch as "http.rb/… (Mastodon/4.x; +https://instance/)"; Bluesky's card service is "Cardyb".
LINK_PREVIEW_AGENTS = (
    "slackbot", "slack-imgproxy", "twitterbot", "facebookexternalhit", "facebot", "linkedinbot", "mastodon/",
    "cardyb", "discordbot", "telegrambot", "whatsapp", "skypeuripreview", "iframely", "embedly", "googlebot",
    "bingbot", "applebot", "redditbot", "pinterestbot", "vkshare", "outbrain", "quora link preview", "bitlybot",
    "crawler", "spider",
)


def code_for(base: str, channel: str) -> str:
    return base + CHANNEL_LETTERS[channel]


def parse_code(code: str) -> tuple[str, str] | None:
    """(link base, channel) of a well-formed code; None for anything else (answered 404 without a lookup)."""
    if not _CODE.match(code):
        return None
    return code[:CODE_BASE_LENGTH], CHANNELS_BY_LETTER[code[-1]]


def new_link_base(random_indexes: Iterable[int]) -> str:
    """A link base from nine random numbers in 0..61 (the caller draws them with `secrets`)."""
    base = "".join(BASE62[n] for n in random_indexes)
    if len(base) != CODE_BASE_LENGTH:
        raise ValueError(f"a link base has {CODE_BASE_LENGTH} characters")
    return base


def tracked_url(api_base: str, link_base: str, channel: str) -> str:
    return f"{api_base.rstrip('/')}/r/{code_for(link_base, channel)}"


def tracked_links(api_base: str, link_base: str) -> dict[str, str]:
    """The person's tracked link for each channel."""
    return {channel: tracked_url(api_base, link_base, channel) for channel in CHANNEL_LETTERS}


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL_LENGTH
            and not any(c.isspace() or ord(c) < 32 for c in url))


def with_utm(target: str, source: str, campaign: str) -> str:
    """`target` with utm_source, utm_medium=ambassador and utm_campaign set once each: the target's other parameters
    stay as they were, in order (its own utm_term/utm_content too); its own source, medium or campaign are replaced."""
    parts = urlsplit(target)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in OURS]
    ours = [("utm_source", source), ("utm_medium", UTM_MEDIUM), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(kept + ours, quote_via=quote)))


def mastodon_instance(handle: str | None) -> str | None:
    """"@ann@social.example" → "social.example"; None when the handle names no instance."""
    parts = (handle or "").strip().lstrip("@").split("@")
    if len(parts) != 2 or not parts[0]:
        return None
    host = parts[1].lower()
    return host if _HOSTNAME.match(host) else None


def _query(**params: str) -> str:
    return urlencode(params, quote_via=quote)


def share_intents(texts: Mapping[str, str], links: Mapping[str, str], handles: Mapping[str, str]) -> dict[str, str]:
    """Per platform, the URL that opens its composer with the text and the person's tracked link for that platform
    filled in. X takes the link as `url` (it appends it); LinkedIn and Facebook take only the link (their dialogs
    have no text field: the suggested text is shown for copying); Bluesky's compose intent and Mastodon's share page
    take one text. Mastodon needs the person's instance, from their handle."""
    intents = {
        "x": f"https://x.com/intent/tweet?{_query(text=texts['x'], url=links['x'])}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?{_query(url=links['linkedin'])}",
        "bluesky": f"https://bsky.app/intent/compose?{_query(text=with_link(texts['bluesky'], links['bluesky']))}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?{_query(u=links['facebook'])}",
    }
    instance = mastodon_instance(handles.get("mastodon"))
    if instance:
        intents["mastodon"] = f"https://{instance}/share?{_query(text=with_link(texts['mastodon'], links['mastodon']))}"
    return intents


def with_link(text: str, link: str) -> str:
    return f"{text.rstrip()} {link}"


def is_link_preview(user_agent: str | None) -> bool:
    """A card-drawing bot, or no user agent at all (every browser sends one)."""
    agent = (user_agent or "").strip().lower()
    return not agent or any(marker in agent for marker in LINK_PREVIEW_AGENTS)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "mobile.", "m."):
        if host.startswith(prefix) and host[len(prefix):] in _PLATFORM_HOSTS:
            return host[len(prefix):]
    return host.removeprefix("www.")


def normalise_url(url: str) -> str:
    """One spelling per page: https, host in lower case without www., X's old name replaced, no fragment, no
    trailing slash, no click-tracking or UTM parameters. Two confirmations of the same post are then one share."""
    parts = urlsplit(url.strip())
    host = _host(url.strip())
    host = "x.com" if host == "twitter.com" else host
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith("utm_")]
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit(("https", host + port, path, urlencode(query, quote_via=quote), ""))


def url_key(url: str) -> str:
    """A share's id: its normalised URL hashed (URLs can exceed what a key or a once-marker may hold)."""
    return hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()[:32]


def platform_of(url: str, mastodon_instances: Iterable[str] = ()) -> str:
    """Where a post lives, from its URL: x, linkedin, bluesky, facebook, mastodon (the person's own instance, or a
    Mastodon status path /@user/123 anywhere), or other."""
    host = _host(url)
    if host in _PLATFORM_HOSTS:
        return _PLATFORM_HOSTS[host]
    if host in set(mastodon_instances) or _MASTODON_STATUS_PATH.match(urlsplit(url).path):
        return "mastodon"
    return "other"


def post_id_of(url: str, platform: str, mastodon_instance_host: str | None) -> str | None:
    """The platform id of a confirmed share, so its replies can be counted: a status id on the person's own
    Mastodon instance, or the at:// URI of a bsky.app post link; None for anything else."""
    parts = urlsplit(url.strip())
    if platform == "mastodon" and mastodon_instance_host and _host(url) == mastodon_instance_host:
        found = _MASTODON_STATUS_ID.match(parts.path)
        return found.group(1) if found else None
    if platform == "bluesky":
        found = _BLUESKY_POST.match(parts.path)
        return f"at://{found.group(1)}/app.bsky.feed.post/{found.group(2)}" if found else None
    return None


def urls_in_text(text: str) -> list[str]:
    return _URL_IN_TEXT.findall(text or "")


def urls_in_html(html: str) -> list[str]:
    """Link targets of an HTML post body (Mastodon's `content`), and URLs written out in it."""
    return list(dict.fromkeys(_HREF.findall(html or "") + urls_in_text(re.sub(r"<[^>]+>", " ", html or ""))))


def link_bases_in(urls: Iterable[str]) -> set[str]:
    """The link bases of tracked links (`…/r/<code>`) among `urls`, whatever host serves them."""
    return {match.group(1) for url in urls for match in _TRACKED_PATH.finditer(urlsplit(url).path)}
