"""The two small pages behind an alert email's acknowledge link: opening the link shows the alert and a button
(mail scanners open every link, so opening must change nothing); the button POSTs to the same URL, and the answer
says who acknowledged it."""
from __future__ import annotations

from html import escape

from chorus.listening.schemas import Alert

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


def confirm(alert: Alert, who: str) -> str:
    """The page a link opens. The form has no action: it posts to this very URL, signature included."""
    if alert.status != "open":  # acknowledged, or its mention answered, resolved or ignored
        return done(alert)
    body = (
        f"<p>Acknowledge this alert as <b>{escape(who)}</b>? Its escalation stops.</p>"
        f"{_alert(alert)}"
        '<form method="post"><button type="submit">Acknowledge</button></form>'
    )
    return _page("Acknowledge alert", body)


def done(alert: Alert) -> str:
    who = escape(alert.acknowledged_by or "someone")
    when = escape(alert.acknowledged_at or "")
    how = "Acknowledged" if alert.status == "acknowledged" else f"Its mention was {alert.status}"
    return _page(f"Alert {alert.status}", f"<p>{how} by <b>{who}</b> at {when}.</p>{_alert(alert)}")


def _alert(alert: Alert) -> str:
    web = alert.url if alert.url and alert.url.startswith(("https://", "http://")) else None
    link = f'<p><a href="{escape(web)}" rel="noreferrer noopener">{escape(web)}</a></p>' if web else ""
    return f"<h2>{escape(alert.subject())}</h2><blockquote>{escape(alert.excerpt)}</blockquote>{link}"


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{escape(title)} · Chorus</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
        "blockquote{border-left:3px solid #ccc;margin:1rem 0;padding-left:1rem}"
        "button{font-size:1.1rem;padding:.6rem 1.4rem}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


LINK_NOT_FOUND = _page("Link not found", "<p>This link does not exist. Check that it was copied whole.</p>")
