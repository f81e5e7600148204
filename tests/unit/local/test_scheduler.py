"""The in-process EventBridge of the local stack (chorus.local.scheduler): schedule expressions, the jobs a SAM
template declares, how a job's handler is invoked, and the loop that fires due jobs.

The loop is driven on simulated time: its clock and its stop event are replaced, so it runs in this thread,
deterministically, without sleeping.
"""
from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chorus.local.scheduler import LambdaContext, Schedule, ScheduledJob, ScheduleError, Scheduler, jobs_from_template

AMS = "Europe/Amsterdam"
NYC = "America/New_York"
REGION = "eu-west-1"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def firings(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    found, moment = [], after
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(moment)
    return found


# --- rate expressions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        ("rate(1 minute)", utc(2026, 6, 5, 12, 34, 56), utc(2026, 6, 5, 12, 35)),
        ("rate(1 minute)", utc(2026, 6, 5, 12, 35), utc(2026, 6, 5, 12, 36)),  # strictly after
        ("rate(1 minute)", utc(2026, 6, 5, 12, 34, 59, 999_999), utc(2026, 6, 5, 12, 35)),
        ("rate(5 minutes)", utc(2026, 6, 5, 12, 34, 56), utc(2026, 6, 5, 12, 35)),
        ("rate(5 minutes)", utc(2026, 6, 5, 12, 35), utc(2026, 6, 5, 12, 40)),
        ("rate(5 minutes)", utc(2026, 6, 5, 12, 35, 0, 1), utc(2026, 6, 5, 12, 40)),
        ("rate(1 hour)", utc(2026, 6, 5, 12, 34, 56), utc(2026, 6, 5, 13)),
        ("rate(1 hour)", utc(2026, 6, 5, 23, 0), utc(2026, 6, 6, 0)),
        ("rate(2 hours)", utc(2026, 6, 5, 12, 34, 56), utc(2026, 6, 5, 14)),
        ("rate(1 day)", utc(2026, 6, 5, 12, 34, 56), utc(2026, 6, 6)),
        ("rate(1 day)", utc(2026, 6, 6), utc(2026, 6, 7)),
        ("rate(1 day)", utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1)),
    ],
)
def test_rate_is_aligned_to_its_period_and_strictly_after(expression: str, moment: datetime,
                                                          expected: datetime) -> None:
    assert Schedule(expression).next_after(moment) == expected


def test_rate_result_is_utc_whatever_zone_the_moment_is_in() -> None:
    moment = datetime(2026, 6, 5, 14, 34, 56, tzinfo=timezone(timedelta(hours=2)))
    result = Schedule("rate(1 hour)").next_after(moment)
    assert result == utc(2026, 6, 5, 13) and result.utcoffset() == timedelta(0)


def test_consecutive_rate_firings_are_one_period_apart() -> None:
    assert firings(Schedule("rate(5 minutes)"), utc(2026, 6, 5, 12, 58, 1), 4) == [
        utc(2026, 6, 5, 13, 0), utc(2026, 6, 5, 13, 5), utc(2026, 6, 5, 13, 10), utc(2026, 6, 5, 13, 15),
    ]


# --- cron expressions -----------------------------------------------------------------------------------------


def test_daily_cron_in_utc() -> None:
    schedule = Schedule("cron(0 9 * * ? *)")
    assert schedule.next_after(utc(2026, 6, 5, 8, 59, 59)) == utc(2026, 6, 5, 9)
    assert schedule.next_after(utc(2026, 6, 5, 9)) == utc(2026, 6, 6, 9)
    assert schedule.next_after(utc(2026, 6, 5, 9, 0, 30)) == utc(2026, 6, 6, 9)
    assert firings(schedule, utc(2026, 12, 30, 12), 3) == [utc(2026, 12, 31, 9), utc(2027, 1, 1, 9), utc(2027, 1, 2, 9)]


def test_cron_in_amsterdam_keeps_local_time_across_the_october_dst_change() -> None:
    """09:00 and 16:00 in Amsterdam are 07:00Z/14:00Z in summer time and 08:00Z/15:00Z after 25 Oct 2026."""
    schedule = Schedule("cron(0 9,16 * * ? *)", AMS)
    assert firings(schedule, utc(2026, 10, 24, 6), 5) == [
        utc(2026, 10, 24, 7), utc(2026, 10, 24, 14),
        utc(2026, 10, 25, 8), utc(2026, 10, 25, 15),
        utc(2026, 10, 26, 8),
    ]


def test_cron_in_amsterdam_across_the_march_dst_change() -> None:
    schedule = Schedule("cron(0 9 * * ? *)", AMS)
    assert firings(schedule, utc(2026, 3, 28, 0), 2) == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)]


def test_cron_with_weekday_names_skips_the_weekend() -> None:
    schedule = Schedule("cron(30 8 ? * MON-FRI *)")
    # 2026-06-05 is a Friday.
    assert schedule.next_after(utc(2026, 6, 5, 9)) == utc(2026, 6, 8, 8, 30)
    assert firings(schedule, utc(2026, 6, 4, 8, 30), 4) == [
        utc(2026, 6, 5, 8, 30), utc(2026, 6, 8, 8, 30), utc(2026, 6, 9, 8, 30), utc(2026, 6, 10, 8, 30),
    ]


@pytest.mark.parametrize("weekday", ["SUN", "1", "sun"])
def test_cron_weekday_one_is_sunday(weekday: str) -> None:
    # AWS numbers days of the week 1-7 starting on Sunday; 2026-06-07 is a Sunday.
    assert Schedule(f"cron(0 12 ? * {weekday} *)").next_after(utc(2026, 6, 3)) == utc(2026, 6, 7, 12)


def test_cron_weekday_list_and_month_names() -> None:
    schedule = Schedule("cron(0 10 ? JAN,JUL MON,WED *)")
    # The first Monday or Wednesday of July 2026 is Wed 1 July; the next after it Mon 6 July.
    assert firings(schedule, utc(2026, 6, 15), 2) == [utc(2026, 7, 1, 10), utc(2026, 7, 6, 10)]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 6, 5, 12, 7, 30), utc(2026, 6, 5, 12, 15)),
        (utc(2026, 6, 5, 12, 15), utc(2026, 6, 5, 12, 30)),
        (utc(2026, 6, 5, 12, 45), utc(2026, 6, 5, 13, 0)),
        (utc(2026, 6, 5, 23, 50), utc(2026, 6, 6, 0, 0)),
    ],
)
def test_cron_step_every_quarter_hour(moment: datetime, expected: datetime) -> None:
    assert Schedule("cron(0/15 * * * ? *)").next_after(moment) == expected


def test_cron_step_with_offset_start() -> None:
    assert firings(Schedule("cron(5/20 * * * ? *)"), utc(2026, 6, 5, 12, 0), 4) == [
        utc(2026, 6, 5, 12, 5), utc(2026, 6, 5, 12, 25), utc(2026, 6, 5, 12, 45), utc(2026, 6, 5, 13, 5),
    ]


def test_cron_ranges_in_hours_and_days_of_month() -> None:
    schedule = Schedule("cron(0 8-9 1-2 * ? *)")
    assert firings(schedule, utc(2026, 6, 30), 5) == [
        utc(2026, 7, 1, 8), utc(2026, 7, 1, 9), utc(2026, 7, 2, 8), utc(2026, 7, 2, 9), utc(2026, 8, 1, 8),
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(0 days)",
        "rate(-5 minutes)",
        "rate(5 weeks)",
        "rate(minutes)",
        "cron(61 * * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 9 32 * ? *)",
        "cron(0 9 0 * ? *)",
        "cron(0 9 * 13 ? *)",
        "cron(0 9 ? * 8 *)",
        "cron(0/0 * * * ? *)",
        "every day",
        "",
        "cron(0 9 * * ?)",
        "cron(0 9 * * ? * *)",
        "cron()",
    ],
)
def test_invalid_expressions_raise_schedule_error(expression: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule(expression)


@pytest.mark.parametrize(("expression", "zone"), [("cron(x 9 * * ? *)", "UTC"), ("cron(0 9 * * ? *)", "Mars/Olympus")])
def test_every_bad_schedule_raises_schedule_error(expression: str, zone: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule(expression, zone)


@pytest.mark.parametrize(
    ("expression", "moment"),
    [
        # 25 Oct 2026: 03:00 CEST -> 02:00 CET at 01:00Z, so 02:00-02:59 local happens twice (00:00Z-02:00Z).
        ("cron(0/15 * * * ? *)", utc(2026, 10, 25, 1, 30)),
        ("cron(* * * * ? *)", utc(2026, 10, 25, 1, 0)),
        ("cron(30 2 * * ? *)", utc(2026, 10, 25, 1, 0)),
    ],
)
def test_next_after_in_the_repeated_hour_of_a_fall_back(expression: str, moment: datetime) -> None:
    """The second pass through 02:xx local has fold=1; adding a minute drops the fold, so the search restarts in
    the first pass (an hour earlier in UTC) and returns a moment *before* the one asked about. A loop started in
    that hour fires such a job at every tick until 02:00Z. EventBridge Scheduler runs each wall-clock time once."""
    result = Schedule(expression, AMS).next_after(moment)
    assert result > moment


def test_cron_time_inside_the_spring_forward_gap_is_skipped() -> None:
    # 29 Mar 2026: 02:00 CET -> 03:00 CEST, 02:30 does not exist that day. Today the schedule fires at 01:30Z (03:30).
    assert Schedule("cron(30 2 * * ? *)", AMS).next_after(utc(2026, 3, 28, 12)) == utc(2026, 3, 30, 0, 30)


# --- properties -----------------------------------------------------------------------------------------------

EXPRESSIONS = [
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(3 hours)",
    "rate(1 day)",
    "cron(0 9 * * ? *)",
    "cron(0 9,16 * * ? *)",
    "cron(30 8 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(45 2 * * ? *)",
]
SCHEDULES = st.builds(Schedule, st.sampled_from(EXPRESSIONS), st.sampled_from(["UTC", AMS, NYC]))
_TRANSITIONS = [utc(2026, 3, 8, 7), utc(2026, 3, 29, 1), utc(2026, 10, 25, 1), utc(2026, 11, 1, 6)]
MOMENTS = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    # near DST transitions, where wall-clock arithmetic goes wrong first
    st.builds(lambda t, s: t + timedelta(seconds=s), st.sampled_from(_TRANSITIONS), st.integers(-4 * 3600, 4 * 3600)),
)


def _clear_of_fall_back(schedule: Schedule, *moments: datetime) -> bool:
    """False inside a repeated fall-back hour (fold=1): a known bug, see test_next_after_in_the_repeated_hour..."""
    from zoneinfo import ZoneInfo

    return all(m.astimezone(ZoneInfo(schedule.zone)).fold == 0 for m in moments)


@settings(max_examples=200, deadline=None)
@given(schedule=SCHEDULES, moment=MOMENTS)
def test_next_after_is_strictly_later(schedule: Schedule, moment: datetime) -> None:
    assume(_clear_of_fall_back(schedule, moment))
    result = schedule.next_after(moment)
    assert result > moment
    assert result.second == 0 and result.microsecond == 0 and result.utcoffset() == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(schedule=SCHEDULES, first=MOMENTS, gap=st.integers(0, 3 * 86400))
def test_next_after_is_monotone(schedule: Schedule, first: datetime, gap: int) -> None:
    second = first + timedelta(seconds=gap)
    assume(_clear_of_fall_back(schedule, first, second))
    assert schedule.next_after(first) <= schedule.next_after(second)


@settings(max_examples=100, deadline=None)
@given(schedule=st.builds(Schedule, st.sampled_from(EXPRESSIONS)), moment=MOMENTS)
def test_next_after_skips_no_firing(schedule: Schedule, moment: datetime) -> None:
    """Nothing fires strictly between a moment and its next firing: next_after(t) for t just before the result is
    the result itself. In UTC only: in a zone, a firing at a time the spring-forward gap skips cannot be reached
    from just before it (see test_cron_time_inside_the_spring_forward_gap_is_skipped)."""
    result = schedule.next_after(moment)
    just_before = max(moment, result - timedelta(seconds=1))
    assert schedule.next_after(just_before) == result


# --- jobs from the template -----------------------------------------------------------------------------------

TEMPLATE: dict[str, Any] = {
    "Resources": {
        "DemoFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/demo",
                "Handler": "handler.handler",
                "Events": {
                    "Nightly": {
                        "Type": "ScheduleV2",
                        "Properties": {
                            "ScheduleExpression": "cron(0 9,16 * * ? *)",
                            "ScheduleExpressionTimezone": AMS,
                        },
                    },
                    "WithInput": {
                        "Type": "ScheduleV2",
                        "Properties": {"ScheduleExpression": "rate(1 hour)", "Input": '{"mode": "digest"}'},
                    },
                    "Paused": {
                        "Type": "ScheduleV2",
                        "Properties": {"ScheduleExpression": "rate(1 minute)", "State": "DISABLED"},
                    },
                    "Off": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)", "Enabled": False}},
                    "Queue": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Q", "Arn"]}, "BatchSize": 10}},
                },
            },
        },
        "Other": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": "functions/other/", "Handler": "app.main", "Events": {}},
        },
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    }
}


def test_jobs_from_template() -> None:
    jobs = {job.name: job for job in jobs_from_template(TEMPLATE)}

    assert set(jobs) == {"DemoFunction.Nightly", "DemoFunction.WithInput"}
    assert jobs["DemoFunction.Nightly"] == ScheduledJob(
        name="DemoFunction.Nightly",
        handler_path="functions.demo.handler:handler",
        schedule=Schedule("cron(0 9,16 * * ? *)", AMS),
        input=None,
    )
    assert jobs["DemoFunction.WithInput"] == ScheduledJob(
        name="DemoFunction.WithInput",
        handler_path="functions.demo.handler:handler",
        schedule=Schedule("rate(1 hour)", "UTC"),
        input={"mode": "digest"},
    )


def test_jobs_from_empty_template() -> None:
    assert jobs_from_template({}) == []


def test_jobs_from_template_reads_a_sam_schedule_event() -> None:
    template = {
        "Resources": {
            "Fetch": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "functions/fetch_mentions",
                    "Handler": "handler.handler",
                    "Events": {"Every5": {"Type": "Schedule",
                                          "Properties": {"Schedule": "rate(5 minutes)", "Enabled": True}}},
                },
            }
        }
    }
    assert jobs_from_template(template) == [
        ScheduledJob("Fetch.Every5", "functions.fetch_mentions.handler:handler", Schedule("rate(5 minutes)"))
    ]


# --- invoking a job -------------------------------------------------------------------------------------------

CALLS: list[tuple[dict[str, Any], Any, int]] = []
FIRED = threading.Event()


def _record(event: dict[str, Any], context: Any) -> str:
    """A handler for the jobs below: referenced by this module's own import name, so the scheduler imports it."""
    CALLS.append((event, context, context.get_remaining_time_in_millis()))
    FIRED.set()
    return f"handled {event.get('time')}"


def _failing(event: dict[str, Any], context: Any) -> None:
    CALLS.append((event, context, context.get_remaining_time_in_millis()))
    raise RuntimeError("boom")


HANDLER = f"{__name__}:_record"


@pytest.fixture(autouse=True)
def _fresh_recorder() -> Iterator[None]:
    CALLS.clear()
    FIRED.clear()
    yield
    CALLS.clear()


def test_run_once_passes_an_eventbridge_event_and_a_lambda_context() -> None:
    job = ScheduledJob("DemoFunction.Nightly", HANDLER, Schedule("cron(0 9 * * ? *)"))

    result = Scheduler([job], REGION).run_once(job, utc(2026, 6, 5, 9))

    assert result == "handled 2026-06-05T09:00:00Z"
    [(event, context, remaining)] = CALLS
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-06-05T09:00:00Z"
    assert event["region"] == REGION
    assert event["resources"] == [f"arn:aws:events:{REGION}:123456789012:rule/DemoFunction.Nightly"]
    assert event["detail"] == {}
    assert isinstance(context, LambdaContext)
    assert context.function_name == "DemoFunction.Nightly"
    assert 0 < remaining <= 60_000


def test_each_invocation_has_its_own_event_and_request_id() -> None:
    job = ScheduledJob("J", HANDLER, Schedule("rate(1 minute)"))
    scheduler = Scheduler([job], REGION)
    scheduler.run_once(job, utc(2026, 6, 5, 9))
    scheduler.run_once(job, utc(2026, 6, 5, 9, 1))
    (first, first_context, _), (second, second_context, _) = CALLS
    assert first["id"] != second["id"]
    assert first_context.aws_request_id != second_context.aws_request_id


def test_run_once_with_input_passes_the_input_instead_of_the_event() -> None:
    job = ScheduledJob("DemoFunction.WithInput", HANDLER, Schedule("rate(1 hour)"), input={"mode": "digest"})
    Scheduler([job], REGION).run_once(job, utc(2026, 6, 5, 9))
    [(event, _, _)] = CALLS
    assert event == {"mode": "digest"}


@pytest.fixture
def handler_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package laid out like functions/<name>/handler.py, importable from tmp_path only."""
    root = f"chorus_test_functions_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / root / "demo"
    folder.mkdir(parents=True)
    (folder / "handler.py").write_text(
        "SEEN = []\n"
        "def handler(event, context):\n"
        "    SEEN.append((event['source'], event['time'], context.function_name))\n"
        "    return len(SEEN)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m == root or m.startswith(root + ".")]:
        del sys.modules[name]


def test_template_job_runs_the_handler_its_code_uri_names(handler_package: str) -> None:
    template = {
        "Resources": {
            "DemoFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": f"{handler_package}/demo",
                    "Handler": "handler.handler",
                    "Events": {"Tick": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 minute)"}}},
                },
            }
        }
    }
    [job] = jobs_from_template(template)
    assert job.handler_path == f"{handler_package}.demo.handler:handler"

    assert Scheduler([job], REGION).run_once(job, utc(2026, 6, 5, 9, 1)) == 1

    module = sys.modules[f"{handler_package}.demo.handler"]
    assert module.SEEN == [("aws.events", "2026-06-05T09:01:00Z", "DemoFunction.Tick")]


# --- the loop -------------------------------------------------------------------------------------------------


class SimulatedTime(threading.Event):
    """A clock that only moves when the loop waits, and a stop event that trips once the clock passes `end`."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__()
        self.now = start
        self.end = end
        self.waits: list[float] = []
        self._stopped = False

    def clock(self) -> datetime:
        return self.now

    # threading.Event's interface, as far as the loop uses it
    def is_set(self) -> bool:
        return self._stopped

    def set(self) -> None:
        self._stopped = True

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None, "the loop always wakes up to check the schedule"
        self.waits.append(timeout)
        self.now += timedelta(seconds=timeout)
        if self.now >= self.end:
            self._stopped = True
        return self._stopped


P = ParamSpec("P")
T = TypeVar("T")


class InlinePool(ThreadPoolExecutor):
    """Runs submitted work at once, in order, in this thread."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        done: Future[T] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


def _run_loop(jobs: list[ScheduledJob], start: datetime, end: datetime) -> SimulatedTime:
    time = SimulatedTime(start, end)
    scheduler = Scheduler(jobs, REGION, clock=time.clock)
    scheduler._stop = time
    scheduler._pool.shutdown()
    scheduler._pool = InlinePool()
    scheduler._loop()
    return time


def test_loop_fires_each_due_job_at_its_times() -> None:
    jobs = [
        ScheduledJob("Minutely", HANDLER, Schedule("rate(1 minute)")),
        ScheduledJob("EvenMinutes", HANDLER, Schedule("cron(0/2 * * * ? *)")),
        ScheduledJob("Daily", HANDLER, Schedule("cron(0 9 * * ? *)")),
    ]

    time = _run_loop(jobs, start=utc(2026, 6, 5, 12, 0, 0) + timedelta(milliseconds=500),
                     end=utc(2026, 6, 5, 12, 5, 30))

    fired = [(context.function_name, event["time"]) for event, context, _ in CALLS]
    assert fired == [
        ("Minutely", "2026-06-05T12:01:00Z"),
        ("Minutely", "2026-06-05T12:02:00Z"),
        ("EvenMinutes", "2026-06-05T12:02:00Z"),
        ("Minutely", "2026-06-05T12:03:00Z"),
        ("Minutely", "2026-06-05T12:04:00Z"),
        ("EvenMinutes", "2026-06-05T12:04:00Z"),
        ("Minutely", "2026-06-05T12:05:00Z"),
    ]
    # It wakes at least every second and never spins faster than every 50 ms.
    assert time.waits and all(0.05 <= w <= 1.0 for w in time.waits)


def test_loop_fires_once_per_due_time_even_when_a_handler_fails(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = [ScheduledJob("Broken", f"{__name__}:_failing", Schedule("rate(1 minute)"))]

    _run_loop(jobs, start=utc(2026, 6, 5, 12, 0, 30), end=utc(2026, 6, 5, 12, 3, 10))

    assert [event["time"] for event, _, _ in CALLS] == [
        "2026-06-05T12:01:00Z", "2026-06-05T12:02:00Z", "2026-06-05T12:03:00Z",
    ]
    out = capsys.readouterr().out
    assert out.count("scheduled job Broken failed") == 3 and "RuntimeError: boom" in out


def test_loop_without_jobs_stops() -> None:
    time = _run_loop([], start=utc(2026, 6, 5, 12), end=utc(2026, 6, 5, 12, 0, 3))
    assert CALLS == [] and time.waits == [1.0, 1.0, 1.0]


def test_start_and_stop_run_the_loop_in_a_thread() -> None:
    """Real thread and pool; the clock jumps two minutes after the first reading, so a job is due at once."""
    readings = iter([utc(2026, 6, 5, 12, 0, 10)])
    later = utc(2026, 6, 5, 12, 2, 10)
    scheduler = Scheduler(
        [ScheduledJob("Minutely", HANDLER, Schedule("rate(1 minute)"))], REGION, clock=lambda: next(readings, later)
    )
    scheduler.start()
    try:
        assert FIRED.wait(timeout=2), "the due job never ran"
    finally:
        scheduler.stop()
    assert scheduler._thread is not None and not scheduler._thread.is_alive()
    assert [event["time"] for event, _, _ in CALLS] == ["2026-06-05T12:01:00Z"]
