"""The routes of engagement: GET /mentions/forwarded (your forwards), GET /reports/engagement (the report, JSON or
CSV), /me and /leaderboard under it, and GET and PUT /reports/engagement/settings."""
from __future__ import annotations

from chorus import container
from chorus.advocacy.engagement.rules import GROUPINGS, MAX_PERIOD_DAYS, to_csv
from chorus.advocacy.engagement.schemas import (
    EngagementReport,
    ForwardedMention,
    ForwardedPage,
    Grouping,
    Leaderboard,
    PersonalEngagement,
    ReportSettings,
    ReportSettingsIn,
)
from chorus.core.roles import EDITORS, EVERYONE, MASTERS, Principal
from chorus.http.api import PAGING, Query, Reply, Routes

routes = Routes()


@routes.route("/mentions/forwarded", "GET", "The mentions you forwarded, newest first, and what became of each: teams, "
              "status, assignee, first response, replies", roles=EVERYONE, response=ForwardedPage, query=PAGING)
def my_forwards(principal: Principal, limit: int, cursor: str | None) -> ForwardedPage:
    records, next_cursor = container.forwards().of(principal, limit, cursor)
    return ForwardedPage(items=[ForwardedMention.of(r) for r in records], next_cursor=next_cursor)


PERIOD = (Query("from", "first day counted, YYYY-MM-DD (UTC days; default: 30 days before `to`)"),
          Query("to", "the day after the last day counted (not included; default: tomorrow, so today counts); "
                      f"at most {MAX_PERIOD_DAYS} days in all"))


@routes.route("/reports/engagement", "GET",
              "Who contributes, shares and converses, per person, team or role, with totals "
              "and who is inactive (JSON, or CSV with format=csv)", roles=EDITORS, response=EngagementReport, query=(
                  *PERIOD, Query("by", "one row per person, team or role", enum=GROUPINGS, default="person"),
                  Query("format", "json or csv", enum=("json", "csv"), default="json")))
def engagement_report(principal: Principal, by: Grouping, **options: str | None) -> EngagementReport | Reply:
    # `by` is one of GROUPINGS: the route's enum refuses anything else.
    service = container.engagement_reports()
    result = service.report(service.period(options["from"], options["to"]), by)
    if options["format"] != "csv":
        return result
    name = f"engagement-{result.start}-{result.end}-by-{by}.csv"
    return Reply(to_csv(result), headers={"Content-Type": "text/csv; charset=utf-8",
                                          "Content-Disposition": f'attachment; filename="{name}"'})


@routes.route("/reports/engagement/me", "GET", "Your own engagement row over a period", roles=EVERYONE,
              response=PersonalEngagement, query=PERIOD)
def my_engagement(principal: Principal, **period: str | None) -> PersonalEngagement:
    service = container.engagement_reports()
    chosen = service.period(period["from"], period["to"])
    return PersonalEngagement(start=chosen.start, end=chosen.stop, row=service.mine(principal, chosen))


@routes.route("/reports/engagement/leaderboard", "GET", "The leaderboard, when a social master switched it on (404 "
              "otherwise); people who hide themselves never appear", roles=EVERYONE, response=Leaderboard, query=(
                  *PERIOD, Query("limit", "top this many", type="integer", minimum=1, maximum=100, default=10)))
def engagement_leaderboard(principal: Principal, limit: int, **period: str | None) -> Leaderboard:
    service = container.engagement_reports()
    return service.leaderboard(service.period(period["from"], period["to"]), limit)


@routes.route("/reports/engagement/settings", "GET", "Whether the leaderboard is on", roles=EDITORS,
              response=ReportSettings)
def engagement_settings(principal: Principal) -> ReportSettings:
    return container.engagement_reports().report_settings()


@routes.route("/reports/engagement/settings", "PUT", "Switch the leaderboard on or off (social master)",
              roles=MASTERS, body=ReportSettingsIn, response=ReportSettings)
def change_engagement_settings(principal: Principal, body: ReportSettingsIn) -> ReportSettings:
    return container.engagement_reports().change_settings(body, principal)
