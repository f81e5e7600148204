"""Reddit: a search of submissions, site-wide or in one subreddit, through the OAuth API with an app-only token.

The token comes from `POST https://www.reddit.com/api/v1/access_token` (grant_type=client_credentials, the app's
client id and secret as Basic auth) and is kept in this fetcher until shortly before it expires; a 401 on a search
gets one fresh token and one retry.

The watermark is a TimeMark on `created_utc` (plus the fullnames at that second), not Reddit's `before=<fullname>`:
search drops removed posts, and a removed anchor makes `before` answer empty for ever. Pages are read newest first
(`sort=new`) and followed with `after` while every post on a page is new. Search covers submissions only."""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from chorus.platforms.base import (
    MAX_PAGES,
    Author,
    BadSetting,
    Credentials,
    CredentialsRejected,
    Engagement,
    FetchResult,
    Mention,
    OutcomeUnknown,
    SourceKind,
    SourceSpec,
    TimeMark,
    TransientFailure,
    count,
    required_credential,
    required_setting,
)
from chorus.platforms.transport import CountingTransport, HttpClient, Response, raise_for_outcome, shared_transport

PAGE_SIZE = 100  # Reddit's maximum `limit`
TOKEN_MARGIN_SECONDS = 60.0  # renew a little early: a token that expires mid-poll costs a 401 and a retry
# Reddit throttles generic user agents; it asks for `<platform>:<app id>:<version> (by /u/<user>)`.
DEFAULT_USER_AGENT = "python:chorus-listening:1.0 (social listening)"
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}(\+[A-Za-z0-9][A-Za-z0-9_]{1,20})*$")  # one, or a+b+c


class RedditFetcher:
    kind: SourceKind = "reddit"

    def __init__(self, transport: HttpClient | None = None, api_url: str = "https://oauth.reddit.com",
                 token_url: str = "https://www.reddit.com/api/v1/access_token") -> None:
        self._transport = CountingTransport(transport or shared_transport())
        self._api_url = api_url.rstrip("/")
        self._token_url = token_url
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}  # (client id, secret) → (token, valid until)

    def check(self, spec: SourceSpec) -> None:
        _search_of(spec)

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        query, subreddit = _search_of(spec)
        client = (
            required_credential(spec, credentials, "client_id"),
            required_credential(spec, credentials, "client_secret"),
        )
        user_agent = (credentials.get("user_agent") if credentials else None) or DEFAULT_USER_AGENT
        path = f"/r/{subreddit}/search" if subreddit else "/search"
        params = {"q": query, "sort": "new", "type": "link", "limit": str(PAGE_SIZE), "raw_json": "1",
                  **({"restrict_sr": "1"} if subreddit else {})}
        started = self._transport.count
        mark = TimeMark.read(watermark)
        first_poll = not watermark

        served: list[tuple[datetime, str]] = []
        found: dict[str, Mention] = {}
        capped = False
        after: str | None = None
        for page_number in range(1, MAX_PAGES + 1):
            page_query = urlencode({**params, **({"after": after} if after else {})})
            listing = self._search(client, user_agent, f"{path}?{page_query}", now)
            posts = [child["data"] for child in listing.get("children") or []
                     if isinstance(child, dict) and child.get("kind") == "t3" and _readable(child.get("data"))]
            served += [(_created(post), post["name"]) for post in posts]
            fresh = [post for post in posts if mark.admits(_created(post), post["name"]) and post["name"] not in found]
            found.update((post["name"], _mention(spec, post)) for post in fresh)
            after = listing.get("after") if isinstance(listing.get("after"), str) else None
            if first_poll or not fresh or len(fresh) < len(posts) or not after:
                break  # first poll: the newest page only; otherwise: caught up (a post seen before, or the end)
            if page_number == MAX_PAGES:
                capped = True
                break

        return FetchResult(
            mentions=sorted(found.values(), key=lambda mention: (mention.created_at, mention.platform_id)),
            watermark=mark.advanced(served).written() if served else dict(watermark),
            requests=self._transport.count - started,
            capped=capped,
        )

    def _search(self, client: tuple[str, str], user_agent: str, path_and_query: str, now: float) -> dict[str, Any]:
        response = self._get(path_and_query, self._token(client, user_agent, now), user_agent)
        if response.status == 401:  # revoked or expired early: one fresh token, one retry
            self._tokens.pop(client, None)
            response = self._get(path_and_query, self._token(client, user_agent, now), user_agent)
        body = raise_for_outcome("GET", response, now).json() or {}
        return (body.get("data") or {}) if isinstance(body, dict) else {}

    def _get(self, path_and_query: str, token: str, user_agent: str) -> Response:
        return self._transport.request("GET", f"{self._api_url}{path_and_query}",
                                       headers={"Authorization": f"Bearer {token}", "User-Agent": user_agent})

    def _token(self, client: tuple[str, str], user_agent: str, now: float) -> str:
        cached = self._tokens.get(client)
        if cached and cached[1] > now:
            return cached[0]
        basic = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode("ascii")
        try:
            response = self._transport.request("POST", self._token_url, body=b"grant_type=client_credentials", headers={
                "Authorization": f"Basic {basic}", "User-Agent": user_agent,
                "Content-Type": "application/x-www-form-urlencoded",
            })
            answer = raise_for_outcome("POST", response, now).json()
        except OutcomeUnknown as error:  # asking for a token changes nothing: a lost answer is only a failed try
            raise TransientFailure(f"getting a Reddit token: {error}") from None
        answer = answer if isinstance(answer, dict) else {}
        token, lifetime = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token:
            raise CredentialsRejected(f"Reddit gave no access token ({answer.get('error') or 'no error given'})")
        valid_for = float(lifetime) if isinstance(lifetime, (int, float)) else 3600.0
        self._tokens[client] = (token, now + valid_for - TOKEN_MARGIN_SECONDS)
        return token


def _search_of(spec: SourceSpec) -> tuple[str, str]:
    """The query and the subreddit(s) to search ('' for all of Reddit)."""
    query = required_setting(spec, "query")
    subreddit = (spec.settings.get("subreddit") or "").strip().removeprefix("/").removeprefix("r/")
    if subreddit and not _SUBREDDIT.match(subreddit):
        raise BadSetting("subreddit", f"the reddit source {spec.id!r} has setting 'subreddit' {subreddit!r}: "
                                      "expected a subreddit name such as 'thenetherlands'")
    return query, subreddit


def _readable(post: Any) -> bool:
    return (
        isinstance(post, dict)
        and isinstance(post.get("name"), str)
        and isinstance(post.get("created_utc"), (int, float))
        and isinstance(post.get("permalink"), str)
    )


def _text(post: dict[str, Any], name: str) -> str:
    value = post.get(name)
    return value if isinstance(value, str) else ""


def _created(post: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(post["created_utc"], tz=UTC)


def _mention(spec: SourceSpec, post: dict[str, Any]) -> Mention:
    author = post.get("author") if isinstance(post.get("author"), str) else "[deleted]"
    title = _text(post, "title")
    selftext = _text(post, "selftext")
    return Mention(
        platform="reddit",
        platform_id=post["name"],
        text=selftext.strip() or title,
        created_at=_created(post),
        author=Author(handle=f"u/{author}",
                      url=f"https://www.reddit.com/user/{author}" if author != "[deleted]" else None),
        url=f"https://www.reddit.com{post['permalink']}",
        title=title or None,
        language_hint=spec.language_hint,
        engagement=Engagement(replies=count(post.get("num_comments")), reposts=count(post.get("num_crossposts")),
                              likes=count(post.get("score"))),
        source_id=spec.id,
    )
