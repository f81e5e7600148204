"""RSS and Atom feeds (Google Alerts feeds included) as a source: the parser and RssFetcher.

The parser turns a document into feed entries: plain-text titles and summaries, real article links, timezone-aware
dates. Pure: bytes in, entries out. What feeds do in practice, not only what the specs say:
- RSS titles and descriptions are HTML more often than not (Google Alerts wraps the matched term in an escaped
  `<b>`, and escapes entities twice: `&amp;#39;`), so both are read as HTML. Atom says what each text is (`type`).
- Google Alerts links point at Google's redirector; the article is its `url` parameter.
- No DTDs: a DOCTYPE (the only place an ENTITY can be declared) makes the document unreadable, so "billion laughs"
  and external entities never get a chance (the standard library has no defusedxml).

RssFetcher fetches a feed with a conditional GET. The watermark holds the feed's validators (ETag, Last-Modified: a
304 costs the server nothing and us no parsing) and a TimeMark over the entries' publication times, so an entry
served again is not a new mention."""
from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

from chorus.platforms.base import (
    Author,
    Credentials,
    FetchResult,
    Mention,
    PermanentFailure,
    SourceKind,
    SourceSpec,
    TimeMark,
    http_url_setting,
    primary_language,
)
from chorus.platforms.transport import CountingTransport, HttpClient, Response, raise_for_outcome, shared_transport

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
# RSS 2.0 and 0.9x have no namespace; RSS 1.0 and 0.90 are RDF with their own.
RSS_NAMESPACES = ("", "{http://purl.org/rss/1.0/}", "{http://my.netscape.com/rdf/simple/0.9/}")
RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_GOOGLE_REDIRECT_HOSTS = frozenset({"www.google.com", "google.com"})


class FeedError(Exception):
    """The document is not a feed this parser will read (not XML, not RSS/Atom, or it declares a DTD)."""


@dataclass(frozen=True)
class FeedEntry:
    key: str  # what identifies the entry across fetches: its id/guid, else its link, else its title
    title: str
    link: str | None
    summary: str
    published: datetime | None  # UTC; None when the entry gives no date that parses
    author: str | None
    language: str | None


def parse_feed(document: bytes) -> list[FeedEntry]:
    """Every entry of an RSS (0.9x, 1.0, 2.0) or Atom document, in document order. Raises FeedError."""
    root = _parse_xml(document)
    if root.tag == f"{ATOM}feed":
        return _atom_entries(root)
    if _local(root.tag) in ("rss", "RDF"):
        return _rss_entries(root)
    raise FeedError(f"not an RSS or Atom document (root element <{_local(root.tag)}>)")


def unwrap_redirect(link: str) -> str:
    """The article behind a Google Alerts redirect (`https://www.google.com/url?rct=j&sa=t&url=<article>&...`)."""
    parts = urlsplit(link)
    if parts.hostname in _GOOGLE_REDIRECT_HOSTS and parts.path == "/url":
        target = (parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q") or [""])[0]
        if urlsplit(target).scheme in ("http", "https"):
            return target
    return link


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment: entities decoded, tags dropped, one line per block, spaces collapsed."""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def plain_text(text: str) -> str:
    """Plain text with its whitespace (including no-break spaces) collapsed to single spaces."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------- XML
class _NoDoctype(ET.TreeBuilder):
    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise FeedError("the document declares a DOCTYPE (entity declarations are refused)")


def _parse_xml(document: bytes) -> ET.Element:
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(document)
        return parser.close()
    except ET.ParseError as error:
        raise FeedError(f"not well-formed XML: {error}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element | None, *tags: str) -> ET.Element | None:
    """The first child whose tag is one of `tags`."""
    if element is None:
        return None
    return next((child for child in element if child.tag in tags), None)


def _rss_child(element: ET.Element | None, name: str) -> ET.Element | None:
    return _child(element, *(namespace + name for namespace in RSS_NAMESPACES))


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _date(value: str) -> datetime | None:
    """In UTC; None for what does not parse or lies beyond what a datetime can hold once in UTC (year 1, 9999)."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)  # Atom and dc:date: RFC 3339
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)  # RSS: RFC 822
        except (TypeError, ValueError, IndexError):
            return None
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        return None


def _entry(key: str, title: str, link: str | None, summary: str, published: datetime | None, author: str,
           language: str | None) -> FeedEntry:
    link = unwrap_redirect(link.strip()) if link and link.strip() else None
    return FeedEntry(key=key.strip() or link or title, title=title, link=link, summary=summary, published=published,
                     author=plain_text(author) or None, language=(language or "").strip() or None)


# ---------------------------------------------------------------------------------------------- RSS
def _rss_entries(root: ET.Element) -> list[FeedEntry]:
    language = _text(_rss_child(_rss_child(root, "channel"), "language"))
    item_tags = {namespace + "item" for namespace in RSS_NAMESPACES}
    entries = []
    # RSS 2.0 nests items in the channel, RSS 1.0 puts them beside it: take them wherever they are.
    for item in (element for element in root.iter() if element.tag in item_tags):
        description = _text(_child(item, CONTENT_ENCODED)) or _text(_rss_child(item, "description"))
        entries.append(_entry(
            key=_text(_rss_child(item, "guid")) or item.get(RDF_ABOUT, ""),
            title=html_to_text(_text(_rss_child(item, "title"))),
            link=_text(_rss_child(item, "link")),
            summary=html_to_text(description),
            published=_date(_text(_rss_child(item, "pubDate")) or _text(_child(item, DC_DATE))),
            author=_text(_child(item, DC_CREATOR)) or _text(_rss_child(item, "author")),
            language=language,
        ))
    return entries


# ---------------------------------------------------------------------------------------------- Atom
def _atom_entries(root: ET.Element) -> list[FeedEntry]:
    feed_language = root.get(XML_LANG)
    return [
        _entry(
            key=_text(_child(entry, f"{ATOM}id")),
            title=_atom_text(_child(entry, f"{ATOM}title")),
            link=_atom_link(entry),
            summary=_atom_text(_child(entry, f"{ATOM}content")) or _atom_text(_child(entry, f"{ATOM}summary")),
            published=_date(_text(_child(entry, f"{ATOM}published")) or _text(_child(entry, f"{ATOM}updated"))),
            author=_text(_child(_child(entry, f"{ATOM}author"), f"{ATOM}name")),
            language=entry.get(XML_LANG) or feed_language,
        )
        for entry in root.iter(f"{ATOM}entry")
    ]


def _atom_text(element: ET.Element | None) -> str:
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind in ("html", "text/html"):
        return html_to_text(_text(element))
    if kind in ("xhtml", "application/xhtml+xml"):
        div = _child(element, XHTML_DIV)
        return html_to_text(_as_html(div)) if div is not None else ""
    return plain_text(_text(element))


def _as_html(element: ET.Element) -> str:
    """XHTML content as plain HTML (tags without their namespace), so html_to_text sees its blocks."""
    tag = _local(element.tag)
    children = "".join(_as_html(child) + html.escape(child.tail or "") for child in element)
    inner = html.escape(element.text or "") + children
    return f"<{tag}>{inner}</{tag}>"


def _atom_link(entry: ET.Element) -> str | None:
    """The `alternate` link (a link without `rel` is one), else the first link."""
    links = [link for link in entry if link.tag == f"{ATOM}link" and link.get("href")]
    alternate = next((link for link in links if link.get("rel", "alternate") == "alternate"), None)
    chosen = alternate if alternate is not None else (links[0] if links else None)
    return chosen.get("href") if chosen is not None else None


# ---------------------------------------------------------------------------------------------- HTML → text
_BLOCKS = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                     "pre", "hr", "table", "section", "article"})
_INVISIBLE = frozenset({"script", "style", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


MAX_REDIRECTS = 3  # feeds move (http → https, a new path); the transport itself never follows redirects
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"


class RssFetcher:
    kind: SourceKind = "rss"

    def __init__(self, transport: HttpClient | None = None) -> None:
        self._transport = CountingTransport(transport or shared_transport())

    def check(self, spec: SourceSpec) -> None:
        http_url_setting(spec, "url")

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        url = http_url_setting(spec, "url")
        started = self._transport.count
        response = self._get(url, watermark, now)
        if response.status == 304:
            return FetchResult([], dict(watermark), self._transport.count - started, not_modified=True)
        try:
            entries = parse_feed(response.body)
        except FeedError as error:
            raise PermanentFailure(f"the rss source {spec.id!r} did not serve a feed: {error}") from None

        fetched_at = datetime.fromtimestamp(now, tz=UTC)
        # A date in the future is a mistake, and as the newest time it would hide every real entry after it.
        unique = {entry.key: replace(entry, published=min(entry.published, fetched_at) if entry.published else None)
                  for entry in reversed(entries)}.values()  # a key repeated in the document: the first one wins
        mark = TimeMark.read(watermark)
        mentions = [_mention(spec, entry, fetched_at) for entry in unique if mark.admits(entry.published, entry.key)]
        next_mark = mark.advanced((entry.published, entry.key) for entry in unique)
        validators = {
            name: response.headers[header]
            for name, header in (("etag", "ETag"), ("last_modified", "Last-Modified"))
            if response.headers.get(header)
        }
        return FetchResult(
            mentions=sorted(mentions, key=lambda mention: mention.created_at),
            watermark={**next_mark.written(), **validators},
            requests=self._transport.count - started,
        )

    def _get(self, url: str, watermark: Mapping[str, str], now: float) -> Response:
        headers = {"Accept": ACCEPT}
        if watermark.get("etag"):
            headers["If-None-Match"] = watermark["etag"]
        if watermark.get("last_modified"):
            headers["If-Modified-Since"] = watermark["last_modified"]
        for _ in range(MAX_REDIRECTS + 1):
            response = self._transport.request("GET", url, headers=headers)
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or not location:
                break
            url = urljoin(url, location)
        if response.status == 304:
            return response
        return raise_for_outcome("GET", response, now)


def _mention(spec: SourceSpec, entry: FeedEntry, fetched_at: datetime) -> Mention:
    """The site is the speaker (a feed entry's author, when named, is a person at that site)."""
    site = urlsplit(entry.link or "")
    return Mention(
        platform="rss",
        platform_id=entry.key,
        text=entry.summary or entry.title,
        created_at=entry.published or fetched_at,
        author=Author(handle=site.hostname or spec.id, name=entry.author,
                      url=f"{site.scheme}://{site.netloc}" if site.hostname else None),
        url=entry.link,
        title=entry.title or None,
        language_hint=primary_language(entry.language) or spec.language_hint,
        source_id=spec.id,
    )
