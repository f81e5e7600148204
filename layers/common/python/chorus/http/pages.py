"""The small pages behind the signed links in mails, in the reader's language (nl or en): an alert email's acknowledge
link and a policy mail's link. Opening a link shows the alert or the policy and a button (mail scanners open every
link, so opening must change nothing); the button POSTs to the same URL, and the answer says who acknowledged it."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from chorus.http.api import Query
from chorus.listening.schemas import LANGUAGES, Alert

if TYPE_CHECKING:
    from chorus.advocacy.people.schemas import Policy

# The pages speak the reader's language: the links in alert and policy mails name it.
PAGE_LANGUAGE = Query("lang", "the page's language (the mail's link names the reader's)", enum=LANGUAGES, default="en")

# The URL carries the signature: no Referer may leak it, no frame may hide the button, no cache may keep the page.
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Robots-Tag": "noindex",
}


PAGE_WORDS = {
    "en": {"title": "Acknowledge alert", "ask": "Acknowledge this alert as <b>{who}</b>? Its escalation stops.",
           "button": "Acknowledge", "acknowledged": "Acknowledged", "ended": "Its mention was {status}",
           "by": "by", "at": "at", "someone": "someone", "done": "Alert {status}",
           "acknowledged_status": "acknowledged", "answered": "answered", "resolved": "resolved", "ignored": "ignored",
           "open": "open"},
    "nl": {"title": "Melding oppakken",
           "ask": "Pak je deze melding op als <b>{who}</b>? Dan escaleert hij niet verder.",
           "button": "Ik pak het op", "acknowledged": "Opgepakt", "ended": "Het bericht is {status}",
           "by": "door", "at": "om", "someone": "iemand", "done": "Melding {status}",
           "acknowledged_status": "opgepakt", "answered": "beantwoord", "resolved": "afgehandeld",
           "ignored": "genegeerd", "open": "open"},
}


def confirm(alert: Alert, who: str, language: str = "en") -> str:
    """The page a link opens, in `language` (nl or en). The form has no action: it posts to this very URL,
    signature and language included."""
    if alert.status != "open":  # acknowledged, or its mention answered, resolved or ignored
        return done(alert, language)
    words = PAGE_WORDS[language]
    body = (
        f"<p>{words['ask'].format(who=escape(who))}</p>"
        f"{_alert(alert, language)}"
        f'<form method="post"><button type="submit">{words["button"]}</button></form>'
    )
    return _page(words["title"], body, language)


def done(alert: Alert, language: str = "en") -> str:
    words = PAGE_WORDS[language]
    who = escape(alert.acknowledged_by or words["someone"])
    when = escape(alert.acknowledged_at or "")
    status = words["acknowledged_status" if alert.status == "acknowledged" else alert.status]
    how = words["acknowledged"] if alert.status == "acknowledged" else words["ended"].format(status=status)
    return _page(words["done"].format(status=status),
                 f"<p>{how} {words['by']} <b>{who}</b> {words['at']} {when}.</p>{_alert(alert, language)}", language)


def _alert(alert: Alert, language: str) -> str:
    web = alert.url if alert.url and alert.url.startswith(("https://", "http://")) else None
    link = f'<p><a href="{escape(web)}" rel="noreferrer noopener">{escape(web)}</a></p>' if web else ""
    return (f"<h2>{escape(alert.subject(language))}</h2><blockquote>{escape(alert.excerpt)}</blockquote>"
            f"<p>{escape(alert.why(language))}</p>{link}")


POLICY_WORDS = {
    "en": {"title": "Social-media policy {version}", "hello": "Hello {name},",
           "ask": "Please read the policy. Until you acknowledge it, you receive no content to share.",
           "also": "The policy is also published here:", "button": "I have read it and agree",
           "done_title": "Policy {version} acknowledged", "done": "Thank you, {name}: you acknowledged policy "
           "{version} on {when}.", "old": "This link is for policy {version}, which is no longer the current one. "
           "The current policy is {current}: the newest message about it has your link.",
           "none": "No social-media policy has been published yet."},
    "nl": {"title": "Socialemediabeleid {version}", "hello": "Hallo {name},",
           "ask": "Lees het beleid. Zolang je het niet bevestigd hebt, krijg je geen berichten om te delen.",
           "also": "Het beleid staat ook hier:", "button": "Ik heb het gelezen en ga akkoord",
           "done_title": "Beleid {version} bevestigd", "done": "Dank je, {name}: je hebt beleid {version} bevestigd "
           "op {when}.", "old": "Deze link is voor beleid {version}, dat niet meer het huidige is. Het huidige beleid "
           "is {current}: het nieuwste bericht erover bevat jouw link.",
           "none": "Er is nog geen socialemediabeleid gepubliceerd."},
}


def policy(name: str, version: str, current: Policy | None, acknowledged_at: str | None, language: str) -> str:
    """The page a policy mail's link opens: the policy and a button (opening it changes nothing); once acknowledged,
    when. The form has no action: it posts to this very URL, signature included."""
    words = POLICY_WORDS[language]
    if current is None:
        return _page(words["title"].format(version=version), f"<p>{words['none']}</p>", language)
    if current.version != version:
        return _page(words["title"].format(version=version),
                     f"<p>{escape(words['old'].format(version=version, current=current.version))}</p>", language)
    if acknowledged_at:
        return policy_done(name, current, acknowledged_at, language)
    url = escape(current.url or "")
    also = f'<p>{words["also"]} <a href="{url}" rel="noreferrer noopener">{url}</a></p>' if current.url else ""
    text = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in (current.text or "").split("\n\n") if paragraph)
    body = (f"<p>{escape(words['hello'].format(name=name))}</p><p>{escape(words['ask'])}</p>"
            f"<blockquote><p><b>{escape(current.summary)}</b></p>{text}</blockquote>{also}"
            f'<form method="post"><button type="submit">{escape(words["button"])}</button></form>')
    return _page(words["title"].format(version=version), body, language)


def policy_done(name: str, current: Policy, acknowledged_at: str, language: str) -> str:
    words = POLICY_WORDS[language]
    done = words["done"].format(name=name, version=current.version, when=acknowledged_at)
    return _page(words["done_title"].format(version=current.version), f"<p>{escape(done)}</p>", language)


def _page(title: str, body: str, language: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{escape(title)} · Chorus</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
        "blockquote{border-left:3px solid #ccc;margin:1rem 0;padding-left:1rem}"
        "button{font-size:1.1rem;padding:.6rem 1.4rem}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


LINK_NOT_FOUND = _page("Link not found", "<p>This link does not exist. Check that it was copied whole.</p>")
