"""The weekly report's routes: `GET /reports/weekly` (JSON), `GET /reports/weekly/{page}` (the HTML page,
`2026-W49.html`), `POST /reports/weekly/build` (masters: build a week now), and `GET /reports/mentions/export` (a
period's mentions as CSV). The posts of a period are `GET /calendar/export`, engagement `GET /reports/engagement
?format=csv`: not repeated here."""
from __future__ import annotations

from chorus import container
from chorus.core import time as timing
from chorus.core.errors import NotFound, ValidationError
from chorus.core.roles import LISTENERS, MASTERS, Principal
from chorus.http.api import Query, Reply, Routes
from chorus.reports.rules import mentions_csv
from chorus.reports.schemas import BuildResult, WeeklyReport

routes = Routes()
WEEK = Query("week", "ISO week, e.g. 2026-W49 (default: last week, Monday to Sunday in the organisation's time zone)")


@routes.route("/reports/weekly", "GET", "The weekly report for the team's meeting (404 until it is built: on Monday "
              "morning for the week before)", roles=LISTENERS, response=WeeklyReport, query=(WEEK,))
def weekly_report(principal: Principal, week: str | None) -> WeeklyReport:
    service = container.weekly_reports()
    return service.stored(service.week(week))


@routes.route("/reports/weekly/{page}", "GET", "The weekly report as one printable HTML page: `2026-W49.html`",
              roles=LISTENERS)
def weekly_page(principal: Principal, page: str) -> Reply:
    name, dot, extension = page.partition(".")
    if not dot or extension != "html":
        raise NotFound("the report's page is /reports/weekly/<ISO week>.html, e.g. /reports/weekly/2026-W49.html")
    service = container.weekly_reports()
    return Reply(service.page(service.week(name)), headers={
        "Content-Type": "text/html; charset=utf-8",
        # Self-contained: nothing to load; links open elsewhere, never run anything here.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                   "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"})


@routes.route("/reports/weekly/build", "POST", "Build a week's report now (default: last week; the current week "
              "gives the report so far). Stores it again; the report team is mailed once per finished week",
              roles=MASTERS, response=BuildResult, query=(
                  WEEK, Query("mail", "mail the report team (once per week, after it ended)", enum=("yes", "no"),
                              default="yes")))
def build_weekly_report(principal: Principal, week: str | None, mail: str) -> BuildResult:
    service = container.weekly_reports()
    return service.build(service.week(week), mail=mail == "yes")


@routes.route("/reports/mentions/export", "GET", "The mentions received in a period as CSV for a spreadsheet (from "
              "included, to not; at most 93 days)", roles=LISTENERS, query=(
                  Query("from", "start: a date (local midnight) or a date-time"),
                  Query("to", "end, not included: a date or a date-time")))
def export_mentions(principal: Principal, **period: str | None) -> Reply:
    start, end = period["from"], period["to"]
    if not start or not end:
        raise ValidationError("from" if not start else "to", "give the period: from and to")
    mentions, since, until = container.weekly_reports().mentions_export(start, end)
    zone = timing.zone(container.settings().timezone)
    name = f"chorus-mentions-{since.astimezone(zone):%Y-%m-%d}-{until.astimezone(zone):%Y-%m-%d}.csv"
    return Reply(mentions_csv(mentions), headers={"Content-Type": "text/csv; charset=utf-8",
                                                  "Content-Disposition": f'attachment; filename="{name}"'})
