"""The API describes itself completely, answers JSON errors, logs one line per request and emits EMF metrics."""
from __future__ import annotations

import json

import pytest

import app as app_module
from tests.integration.conftest import Api, Stack


def test_openapi_describes_every_route_with_its_bodies(api: Api) -> None:
    status, spec = api.call("GET", "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    chalice_routes = {(path, method) for path, methods in app_module.app.routes.items() for method in methods}
    described = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    assert described == chalice_routes
    for spec_route in app_module.api.routes:
        operation = spec["paths"][spec_route.path][spec_route.method.lower()]
        if spec_route.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"]
        if spec_route.response is not None:
            ok = operation["responses"][str(spec_route.status)]
            ref = ok["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"]
        if spec_route.roles is not None:
            assert operation["security"] == [{"bearer": []}] and "401" in operation["responses"]
    post_schema = spec["components"]["schemas"]["Post-Output"]
    assert {"publish_at", "publish_at_local", "audit", "status", "on_behalf_of"} <= set(post_schema["properties"])


def test_only_health_and_openapi_are_public(api: Api) -> None:
    for spec_route in app_module.api.routes:
        path = spec_route.path.replace("{id}", "anything")
        status, body = api.call(spec_route.method, path, body={} if spec_route.method != "GET" else None)
        if spec_route.path in ("/health", "/openapi.json"):
            assert status == 200
        elif spec_route.path == "/r/{code}":  # the tracked short link is public too; "anything" is no link
            assert status == 404, spec_route.method
        else:
            assert status == 401 and body["error"]["code"] == "unauthorized", spec_route.path


def test_a_user_without_a_chorus_role_is_forbidden(api: Api, stack: Stack) -> None:
    stranger = stack.user("none-of-ours")
    status, body = api.call("GET", "/posts", stranger)
    assert status == 403 and "roles" in body["error"]["message"]


def test_each_request_logs_one_record_and_errors_become_emf_metrics(
        api: Api, stack: Stack, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    token = stack.user("creator")
    capfd.readouterr()
    caplog.clear()
    api.call("POST", "/posts", token, raw="{broken")
    logged = [r for r in caplog.records if r.name == "chorus" and r.getMessage() == "request"]
    assert len(logged) == 1 and (vars(logged[0])["status"], vars(logged[0])["route"]) == (400, "/posts")  # extras
    emf = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert len(emf) == 1 and emf[0]["ClientErrors"] == [1.0]
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Chorus"


def test_a_body_that_is_not_json_is_415_in_our_error_shape_and_creates_nothing(api: Api, stack: Stack) -> None:
    token = stack.user("creator")
    status, body = api.call("POST", "/posts", token, raw='{"text": "x"}',
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"
    assert api.call("GET", "/posts?status=draft", token)[1]["items"] == []
