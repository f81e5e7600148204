"""parse_feed: RSS 0.9x/1.0/2.0 and Atom into plain-text entries with real links; DTDs refused; never a crash."""
from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.platforms.rss import FeedError, html_to_text, parse_feed, unwrap_redirect


def rss(items: str, channel_extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">'
            f"<channel><title>t</title>{channel_extra}{items}</channel></rss>").encode()


def atom(entries: str, lang: str = "") -> bytes:
    lang_attr = f' xml:lang="{lang}"' if lang else ""
    return f'<feed xmlns="http://www.w3.org/2005/Atom"{lang_attr}><title>t</title>{entries}</feed>'.encode()


# ------------------------------------------------------------------------------------------- RSS
def test_an_rss_item_becomes_plain_text_with_its_guid_date_author_and_language() -> None:
    (entry,) = parse_feed(rss(
        "<item><title>Gemeente &amp;amp; &lt;b&gt;Chorus&lt;/b&gt; &amp;#39;t beste</title>"
        "<link>https://nieuws.example/a</link><guid isPermaLink=\"false\">item-1</guid>"
        "<description>&lt;p&gt;Eerste&amp;nbsp;alinea&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;&lt;p&gt;Tweede&lt;/p&gt;</description>"
        "<pubDate>Wed, 10 Jul 2019 11:53:37 +0200</pubDate><dc:creator>Jan  Jansen</dc:creator>"
        '<atom:link href="https://ignored.example" rel="self"/></item>',
        channel_extra="<language>nl-NL</language>",
    ))
    assert entry.key == "item-1"
    assert entry.title == "Gemeente & Chorus 't beste"
    assert entry.link == "https://nieuws.example/a"
    assert entry.summary == "Eerste alinea\nTweede"
    assert entry.published == datetime(2019, 7, 10, 9, 53, 37, tzinfo=UTC)
    assert (entry.author, entry.language) == ("Jan Jansen", "nl-NL")


def test_full_content_is_preferred_over_the_description_and_the_link_is_the_key_without_a_guid() -> None:
    (entry,) = parse_feed(rss("<item><title>T</title><link> https://a.example/x </link><description>kort</description>"
                              "<content:encoded><![CDATA[<p>lang <i>verhaal</i></p>]]></content:encoded></item>"))
    assert (entry.key, entry.link, entry.summary, entry.published) == (
        "https://a.example/x", "https://a.example/x", "lang verhaal", None)


def test_rss_1_0_items_beside_the_channel_are_read() -> None:
    document = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
                b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://a.example/"><title>t</title></channel>'
                b'<item rdf:about="https://a.example/1"><title>Een</title><link>https://a.example/1</link>'
                b"<dc:date>2026-08-01T12:00:00Z</dc:date></item></rdf:RDF>")
    (entry,) = parse_feed(document)
    assert (entry.key, entry.title, entry.published) == (
        "https://a.example/1", "Een", datetime(2026, 8, 1, 12, tzinfo=UTC))


# ------------------------------------------------------------------------------------------- Atom
def test_atom_text_constructs_follow_their_type() -> None:
    (entry,) = parse_feed(atom(
        '<entry xml:lang="en-GB"><id>urn:1</id><title type="text">a &amp;amp; b</title>'
        '<link rel="self" href="https://a.example/self"/><link href="https://a.example/post"/>'
        "<updated>2026-08-01T12:00:00+02:00</updated>"
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
        "<p>Een <b>twee</b></p><p>drie</p></div></content>"
        "<author><name>Piet</name></author></entry>"
    ))
    assert entry.title == "a &amp; b"  # type="text" is plain text: what looks like an entity stays
    assert entry.link == "https://a.example/post"  # a link without rel is the alternate
    assert entry.summary == "Een twee\ndrie"
    assert entry.published == datetime(2026, 8, 1, 10, tzinfo=UTC)
    assert (entry.author, entry.language) == ("Piet", "en-GB")


def test_atom_published_wins_over_updated_and_the_feed_language_is_inherited() -> None:
    (entry,) = parse_feed(atom(
        '<entry><id>urn:2</id><title type="html">&lt;b&gt;Vet&lt;/b&gt; &amp;amp; zo</title>'
        "<published>2026-08-01T08:00:00Z</published><updated>2026-08-02T08:00:00Z</updated>"
        '<summary type="html">&lt;p&gt;s&lt;/p&gt;</summary><author><name></name></author></entry>', lang="nl"))
    assert (entry.title, entry.summary, entry.author, entry.language) == ("Vet & zo", "s", None, "nl")
    assert entry.published == datetime(2026, 8, 1, 8, tzinfo=UTC)


def test_google_alerts_links_are_unwrapped_and_titles_cleaned() -> None:
    link = "https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://krant.example/artikel%3Fid%3D7&amp;ct=ga&amp;usg=AF"
    (entry,) = parse_feed(atom(
        "<entry><id>tag:google.com,2013:googlealerts/feed:1</id>"
        '<title type="html">&lt;b&gt;Chorus&lt;/b&gt; wint&amp;nbsp;...</title>'
        f'<link href="{link}"></link><published>2026-08-01T12:00:00Z</published>'
        f'<content type="html">Het bedrijf&amp;#39;s &lt;b&gt;Chorus&lt;/b&gt;&amp;nbsp;...</content></entry>'))
    assert entry.link == "https://krant.example/artikel?id=7"
    assert entry.title == "Chorus wint ..."
    assert entry.summary == "Het bedrijf's Chorus ..."


@pytest.mark.parametrize("link, article", [
    ("https://www.google.com/url?rct=j&sa=t&url=https://a.example/x&ct=ga", "https://a.example/x"),
    ("https://google.com/url?q=http://a.example/y&sa=D", "http://a.example/y"),
    ("https://www.google.com/url?url=javascript:alert(1)", "https://www.google.com/url?url=javascript:alert(1)"),
    ("https://www.google.com/search?url=https://a.example", "https://www.google.com/search?url=https://a.example"),
    ("https://a.example/url?url=https://b.example", "https://a.example/url?url=https://b.example"),
])
def test_only_a_google_redirect_to_a_web_page_is_unwrapped(link: str, article: str) -> None:
    assert unwrap_redirect(link) == article


def test_html_to_text_drops_markup_scripts_and_spare_whitespace() -> None:
    assert html_to_text("<div>  a &lt;b&gt;\n\n<style>p{}</style><br>c&#39;d&nbsp;e</div>") == "a <b>\nc'd e"


# ------------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("document", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<rss><channel><item><title>&b;</title></item></channel></rss>",
    b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd"><rss/>',
    b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><item><title>&xxe;</title></item></channel></rss>',
    '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>'.encode("utf-16"),
], ids=["billion-laughs", "external-dtd", "external-entity", "utf-16"])
def test_documents_with_a_doctype_are_refused(document: bytes) -> None:
    with pytest.raises(FeedError, match="DOCTYPE"):
        parse_feed(document)


@pytest.mark.parametrize("document", [b"", b"<html><body>Not found</body></html>", b"{}", b"<rss><channel>"])
def test_what_is_not_a_feed_says_so(document: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(document)


# ------------------------------------------------------------------------------------------- properties
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=80)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_entries_or_a_feed_error(document: bytes) -> None:
    try:
        parse_feed(document)
    except FeedError:
        pass


DATE_LIKE = XML_TEXT | st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()) | st.from_regex(
    r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{1,5} \d\d:\d\d:\d\d [+-]\d{4}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(title=XML_TEXT, description=XML_TEXT, date=DATE_LIKE, kind=st.sampled_from(["rss", "atom-html", "atom-text"]))
def test_arbitrary_text_in_titles_descriptions_and_dates_never_breaks_parsing(title: str, description: str, date: str,
                                                                              kind: str) -> None:
    """Raw text where HTML is expected (`<`, `&` without `;`, half tags), dates at the ends of time: parsed."""
    if kind == "rss":
        document = rss(f"<item><title>{escape(title)}</title><description>{escape(description)}</description>"
                       f"<pubDate>{escape(date)}</pubDate></item>")
    else:
        content_type = kind.removeprefix("atom-")
        document = atom(f'<entry><id>urn:x</id><title type="{content_type}">{escape(title)}</title>'
                        f'<content type="{content_type}">{escape(description)}</content>'
                        f"<updated>{escape(date)}</updated></entry>")
    (entry,) = parse_feed(document)
    assert isinstance(entry.title, str) and isinstance(entry.summary, str)
    assert entry.published is None or entry.published.utcoffset() == timedelta(0)


GENERATED_ENTRY = st.fixed_dictionaries({
    "title": XML_TEXT,
    "path": st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=20),
    "query": st.text(max_size=20),
    "wrapped": st.booleans(),
    "published": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
})


def render(kind: str, entries: list[dict]) -> bytes:
    """Titles as feeds write them: HTML-escaped (RSS, Atom type="html"), then XML-escaped."""
    parts = []
    for number, entry in enumerate(entries):
        title = escape(html.escape(entry["title"]))
        link = article_link(entry)
        if entry["wrapped"]:
            link = f"https://www.google.com/url?rct=j&sa=t&url={quote(link, safe='')}&ct=ga"
        if kind == "rss":
            date = entry["published"].strftime("%a, %d %b %Y %H:%M:%S +0000")
            parts.append(f"<item><guid>id-{number}</guid><title>{title}</title><link>{escape(link)}</link><pubDate>{date}</pubDate></item>")
        else:
            parts.append(f'<entry><id>id-{number}</id><title type="html">{title}</title><link href={quoteattr(link)}/>'
                         f"<published>{entry['published'].isoformat()}</published></entry>")
    return rss("".join(parts)) if kind == "rss" else atom("".join(parts))


def article_link(entry: dict) -> str:
    return f"https://site.example/{entry['path']}?q={quote(entry['query'], safe='')}"


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(["rss", "atom"]), entries=st.lists(GENERATED_ENTRY, max_size=8))
def test_every_generated_entry_comes_out_once_with_its_title_unescaped_and_link_unwrapped(kind: str,
                                                                                          entries: list[dict]) -> None:
    parsed = parse_feed(render(kind, entries))
    assert [entry.key for entry in parsed] == [f"id-{number}" for number in range(len(entries))]
    for made, entry in zip(entries, parsed, strict=True):
        assert entry.title == " ".join(made["title"].split())
        assert entry.link == article_link(made)
        microsecond = 0 if kind == "rss" else made["published"].microsecond  # RSS dates have whole seconds
        assert entry.published == made["published"].replace(microsecond=microsecond)
