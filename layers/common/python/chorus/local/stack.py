"""`make run`: the whole product on one machine. An embedded AWS (moto) on 127.0.0.1, every resource created
from infra/template.yaml, demo data, the REST API served by Chalice's local server, and an in-process scheduler
calling the same handlers Lambda would. Stops cleanly on Ctrl-C or SIGTERM."""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chorus.local.template import PROJECT_ROOT

if TYPE_CHECKING:
    from chorus.local.webapp import Dashboard

REGION = "eu-west-1"
DEFAULT_PORT = 8000


def state_dir() -> Path:
    return Path(os.environ.get("CHORUS_STATE_DIR") or PROJECT_ROOT / ".chorus")


def state_file(port: int) -> Path:
    return state_dir() / f"local-{port}.json"


def configured_port() -> int:
    raw = os.environ.get("CHORUS_PORT", str(DEFAULT_PORT))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"CHORUS_PORT must be a TCP port number, not {raw!r}")
    return int(raw)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class LocalStack:
    def __init__(self, port: int, demo: bool = True, host: str = "127.0.0.1") -> None:
        self.port = port
        self.demo = demo
        self.host = host
        self.url = f"http://{host}:{port}"
        self._parts: list[Any] = []

    def start(self) -> dict[str, Any]:
        if not _port_free(self.host, self.port):
            raise SystemExit(f"port {self.port} on {self.host} is in use: stop what runs there or set CHORUS_PORT")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        from chorus.local import embedded_aws

        moto, endpoint = embedded_aws.start(self.host)
        self._parts.append(moto)
        # Dummy values: moto accepts anything, and nothing here must ever reach a real account.
        os.environ.update({
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            # EMF metric lines would drown the request log in a terminal; on Lambda they go to CloudWatch.
            "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
            # moto sends no email or SMS: subscribers get SQS queues with the same filter policies (GET /mailbox).
            "CHORUS_LOCAL_MAILBOX": "true",
            # The demo feed is served on 127.0.0.1; on AWS a source may only reach public addresses.
            "CHORUS_SOURCES_ALLOW_LOOPBACK": "true",
        })
        from chorus import container
        from chorus.local import demo as demo_data
        from chorus.local.provision import provision
        from chorus.local.queues import QueuePoller, consumers_from_template
        from chorus.local.scheduler import Scheduler, jobs_from_template

        provisioned = provision(REGION)
        os.environ.update(provisioned.environment)
        pool_id = os.environ["CHORUS_USER_POOL_ID"]
        os.environ["CHORUS_JWKS_URL"] = f"{endpoint}/{pool_id}/.well-known/jwks.json"
        os.environ["CHORUS_PUBLIC_API_URL"] = self.url  # acknowledge links in alert emails point here
        container.reset()
        password = self._demo_password()
        try:
            users = demo_data.create_role_users(REGION, pool_id, password)
        except Exception as error:
            if "InvalidPassword" not in type(error).__name__ + str(error):
                raise
            raise SystemExit("CHORUS_DEMO_PASSWORD does not meet the user pool's policy: at least 12 characters, "
                             "with a lower-case letter, a capital and a digit") from None
        seeded = demo_data.seed(container.calendar()) if self.demo else {"channels": 0, "posts": 0}
        seeded["subscribers"] = demo_data.seed_listening(container.subscriptions())
        if self.demo:
            from chorus.local.demo_feed import serve_demo_feed

            feed, feed_url = serve_demo_feed(modified_at=int(time.time()))
            self._parts.append(feed)
            seeded["sources"] = demo_data.seed_sources(container.sources(), feed_url)
            seeded["saved_replies"] = demo_data.seed_saved_replies(container.saved_replies())
            seeded["ambassadors"] = demo_data.seed_ambassadors(self.url)["people"]

        from chorus.local.webapp import Dashboard, dashboard_config

        # The API is on the page's own origin ("" in config.json); the browser calls moto's Cognito directly (moto's
        # server answers CORS preflights), as it calls cognito-idp.<region>.amazonaws.com on AWS. Media thumbnails are
        # presigned GETs of moto's S3 on the same endpoint: the page's img-src allows it.
        dashboard = Dashboard(dashboard_config("", REGION, pool_id, os.environ["CHORUS_USER_POOL_CLIENT_ID"],
                                               f"{endpoint}/"), media_origins=[endpoint])
        server = self._api_server(dashboard)
        threading.Thread(target=server.server.serve_forever, name="chorus-api", daemon=True).start()
        self._parts.append(server)
        jobs = jobs_from_template(provisioned.template)
        scheduler = Scheduler(jobs, REGION)
        scheduler.start()
        self._parts.append(scheduler)
        consumers = consumers_from_template(provisioned.template, provisioned.resources)
        poller = QueuePoller(consumers, REGION)
        poller.start()
        self._parts.append(poller)

        state = {
            "api": self.url,
            "aws_endpoint": endpoint,
            "region": REGION,
            "user_pool_id": pool_id,
            "client_id": os.environ["CHORUS_USER_POOL_CLIENT_ID"],
            "users": users,
            "dashboard": f"{self.url}/",
            "demo_password": password,
            "pid": os.getpid(),
            "schedules": [job.name for job in jobs],
            "queue_consumers": [consumer.name for consumer in consumers],
            "seeded": seeded,
        }
        path = state_file(self.port)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(state, handle, indent=2)
        return state

    @staticmethod
    def _demo_password() -> str:
        """One password for every demo user: CHORUS_DEMO_PASSWORD, or a fresh one each run (on the start banner)."""
        from chorus.local.demo import demo_password

        return os.environ.get("CHORUS_DEMO_PASSWORD") or demo_password()

    def _api_server(self, dashboard: Dashboard) -> Any:
        from chalice.config import Config
        from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

        from chorus.local.gateway import ApiGateway
        from chorus.local.webapp import is_dashboard_path

        if str(PROJECT_ROOT) not in sys.path:
            sys.path.insert(0, str(PROJECT_ROOT))
        import app as app_module

        class QuietHandler(ChaliceRequestHandler):
            # Methods http.server would answer with its own 501 page: the gateway answers 405 in the API's shape.
            do_TRACE = do_CONNECT = ChaliceRequestHandler._generic_handle

            def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
                self.api_gateway = ApiGateway(app_object, config)  # chalice's own LocalGateway, with our answers
                self.local_gateway = self.api_gateway
                BaseHTTPRequestHandler.__init__(self, request, client_address, server)

            def log_message(self, format: str, *args: Any) -> None:  # the app logs one JSON line per request
                pass

            def do_GET(self) -> None:  # the dashboard's files on the API's port, never shadowing an API route
                path = self.path.split("?", 1)[0]
                if not is_dashboard_path(path) or self.api_gateway.declares(path):
                    self._generic_handle()
                    return
                answer = dashboard.answer(self.command, path)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            do_HEAD = do_GET

        app_obj = app_module.app
        if not isinstance(app_obj, LocalChalice):  # thread-local current_request, as `chalice local` does
            CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)
            app_obj.__class__ = CustomLocalChalice
        config = Config.create(chalice_stage="local", app_name="chorus", project_dir=str(PROJECT_ROOT),
                               lambda_timeout=29)
        return LocalDevServer(app_obj, config, self.host, self.port, handler_cls=QuietHandler)

    def stop(self) -> None:
        for part in reversed(self._parts):
            try:
                if hasattr(part, "shutdown") and hasattr(part, "server"):
                    part.shutdown()
                    part.server.server_close()
                else:
                    part.stop()
            except Exception as error:  # noqa: BLE001 - keep stopping the rest
                print(f"while stopping {type(part).__name__}: {error}", file=sys.stderr)
        self._parts.clear()
        state_file(self.port).unlink(missing_ok=True)


def run(demo: bool = True) -> int:
    port = configured_port()
    started = time.perf_counter()
    stack = LocalStack(port, demo=demo)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        state = stack.start()
        seconds = time.perf_counter() - started
        seeded = state["seeded"]
        print(f"Embedded AWS at {state['aws_endpoint']}; {seeded['channels']} channels, {seeded['posts']} demo posts, "
              f"{seeded['subscribers']} alert subscribers, {seeded.get('sources', 0)} sources, "
              f"{seeded.get('ambassadors', 0)} ambassadors; "
              f"schedules: {', '.join(state['schedules']) or 'none'}; "
              f"queue consumers: {', '.join(state['queue_consumers']) or 'none'}", flush=True)
        print(f"Get a token:  .venv/bin/chorus token editor     (roles: {', '.join(state['users'])})", flush=True)
        print(f"Try:          curl -H \"Authorization: Bearer $(.venv/bin/chorus token editor)\" {stack.url}/posts",
              flush=True)
        print(f"Dashboard:    {state['dashboard']}   sign in as demo-<role> (e.g. demo-editor) with password "
              f"{state['demo_password']}", flush=True)
        print(f"Chorus ready at {stack.url} (started in {seconds:.1f} s; Ctrl-C stops)", flush=True)
        stop.wait()
        print("Stopping Chorus...", flush=True)
    finally:
        stack.stop()
    return 0
