"""An in-process EventBridge: finds every schedule the template declares (SAM `Schedule`/`ScheduleV2` events of a
function) and calls that function's handler at those times, with the event and context Lambda would pass."""
from __future__ import annotations

import importlib
import json
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext

from chorus.core.time import Clock

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.+)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
MONTH_NAMES = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}


class ScheduleError(ValueError):
    pass


def _field_values(spec: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    """One AWS cron field as the set of values it allows; None for '*' or '?' (anything)."""
    if spec in ("*", "?"):
        return None
    values: set[int] = set()
    for part in spec.upper().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = names.get(first) or int(first)
            end = (names.get(last) or int(last)) if last else (high if step_text else start)
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ScheduleError(f"cron field {spec!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


@dataclass(frozen=True)
class Schedule:
    """An EventBridge schedule expression, `rate(...)` or `cron(min hour day-of-month month day-of-week year)`."""

    expression: str
    zone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            self.next_after(datetime(2026, 1, 1, tzinfo=UTC))  # validates the expression
        except ScheduleError:
            raise
        except (ValueError, KeyError, ZoneInfoNotFoundError) as error:
            raise ScheduleError(f"{self.expression!r} ({self.zone}): {error}") from None

    def next_after(self, moment: datetime) -> datetime:
        rate = RATE.match(self.expression.strip())
        if rate:
            count, unit = int(rate.group(1)), rate.group(2)
            if count <= 0 or (count == 1) == unit.endswith("s"):
                raise ScheduleError(f"{self.expression}: a positive number, with a singular unit only for 1")
            period = count * UNIT_SECONDS[unit.rstrip("s")]
            epoch = int(moment.timestamp())
            return datetime.fromtimestamp(epoch - epoch % period + period, UTC)
        cron = CRON.match(self.expression.strip())
        if not cron:
            raise ScheduleError(f"{self.expression!r} is neither rate(...) nor cron(...)")
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(f"{self.expression}: cron needs 6 fields")
        minutes = _field_values(fields[0], 0, 59, {})
        hours = _field_values(fields[1], 0, 23, {})
        days = _field_values(fields[2], 1, 31, {})
        months = _field_values(fields[3], 1, 12, MONTH_NAMES)
        weekdays = _field_values(fields[4], 1, 7, DAY_NAMES)
        zone = ZoneInfo(self.zone)
        # Walk UTC minutes and look at each one's wall clock: a local time that does not exist (spring forward)
        # never comes up, and one that happens twice (fall back) fires only at its first occurrence.
        instant = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            local = instant.astimezone(zone)
            if (
                local.fold == 0
                and (months is None or local.month in months)
                and (days is None or local.day in days)
                and (weekdays is None or (local.isoweekday() % 7) + 1 in weekdays)
                and (hours is None or local.hour in hours)
                and (minutes is None or local.minute in minutes)
            ):
                return instant
            instant += timedelta(minutes=1)
        raise ScheduleError(f"{self.expression} never fires within a year")


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    handler_path: str  # module:function, e.g. functions.publish_due_posts.handler:handler
    schedule: Schedule
    input: dict[str, Any] | None = None


def function_events(template: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(function, handler path as module:function, event name, event) for every event of every SAM function."""
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        code = str(props.get("CodeUri", "")).strip("/").replace("/", ".")
        module, _, function = str(props.get("Handler", "")).rpartition(".")
        for event_name, event in (props.get("Events") or {}).items():
            yield name, f"{code}.{module}:{function}", event_name, event


def jobs_from_template(template: dict[str, Any]) -> list[ScheduledJob]:
    jobs = []
    for name, handler_path, event_name, event in function_events(template):
        if event.get("Type") not in ("Schedule", "ScheduleV2"):
            continue
        spec = event.get("Properties", {})
        if spec.get("Enabled") is False or spec.get("State") == "DISABLED":
            continue
        payload = spec.get("Input")
        jobs.append(ScheduledJob(
            name=f"{name}.{event_name}",
            handler_path=handler_path,
            schedule=_event_schedule(event["Type"], spec),
            input=json.loads(payload) if isinstance(payload, str) else payload,
        ))
    return jobs


def _event_schedule(kind: str, spec: dict[str, Any]) -> Schedule:
    """SAM names the expression `Schedule` on a Schedule event and `ScheduleExpression` on a ScheduleV2 event."""
    if kind == "ScheduleV2":
        return Schedule(spec["ScheduleExpression"], spec.get("ScheduleExpressionTimezone", "UTC"))
    return Schedule(spec["Schedule"])


class LambdaContext(PowertoolsLambdaContext):
    """What a handler may read from Lambda's context object: the powertools type the handlers are annotated with,
    filled in as Lambda would."""

    def __init__(self, function_name: str, timeout_seconds: int = 60) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._memory_limit_in_mb = 512
        self._invoked_function_arn = f"arn:aws:lambda:local:123456789012:function:{function_name}"
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "local"
        self._deadline = datetime.now(UTC) + timedelta(seconds=timeout_seconds)

    # powertools declares it a staticmethod returning 0; Lambda's own context counts down per invocation, as here.
    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self._deadline - datetime.now(UTC)).total_seconds() * 1000))


def resolve_handler(handler_path: str) -> Callable[[dict[str, Any], Any], Any]:
    module_name, _, function = handler_path.partition(":")
    return getattr(importlib.import_module(module_name), function)


def scheduled_event(job: ScheduledJob, at: datetime, region: str) -> dict[str, Any]:
    if job.input is not None:
        return dict(job.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/{job.name}"],
        "detail": {},
    }


class Scheduler:
    def __init__(self, jobs: list[ScheduledJob], region: str, clock: Clock | None = None) -> None:
        self.jobs = jobs
        self.region = region
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chorus-job")

    def run_once(self, job: ScheduledJob, at: datetime) -> Any:
        handler = resolve_handler(job.handler_path)
        return handler(scheduled_event(job, at, self.region), LambdaContext(job.name))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="chorus-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        due = {job.name: job.schedule.next_after(self.clock()) for job in self.jobs}
        while not self._stop.is_set():
            now = self.clock()
            for job in self.jobs:
                if due[job.name] <= now:
                    self._pool.submit(self._invoke, job, due[job.name])
                    due[job.name] = job.schedule.next_after(now)
            wake = min(due.values(), default=now + timedelta(seconds=60))
            self._stop.wait(max(0.05, min(1.0, (wake - self.clock()).total_seconds())))

    def _invoke(self, job: ScheduledJob, at: datetime) -> None:
        try:
            self.run_once(job, at)
        except Exception:  # noqa: BLE001 - on AWS a failed async invoke is retried, then dead-lettered
            print(f"scheduled job {job.name} failed:\n{traceback.format_exc()}", flush=True)
