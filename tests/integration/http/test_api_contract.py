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


def _response_schemas(spec: dict) -> dict[str, dict]:
    """Every schema a 2xx answer can contain, by name, following references."""
    schemas = spec["components"]["schemas"]
    found: dict[str, dict] = {}

    def follow(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.rsplit("/", 1)[1] not in found:
                name = ref.rsplit("/", 1)[1]
                found[name] = schemas[name]
                follow(schemas[name])
            for value in node.values():
                follow(value)
        elif isinstance(node, list):
            for value in node:
                follow(value)

    for ops in spec["paths"].values():
        for operation in ops.values():
            follow({code: answer for code, answer in operation["responses"].items() if code.startswith("2")})
    return found


def test_every_list_answers_items_and_next_cursor_and_no_answer_has_a_null_list(api: Api) -> None:
    spec = api.call("GET", "/openapi.json")[1]
    lists = []
    for path, ops in spec["paths"].items():
        schema = ops.get("get", {}).get("responses", {}).get("200", {}).get("content", {}).get(
            "application/json", {}).get("schema", {})
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        properties = spec["components"]["schemas"].get(name, {}).get("properties", {})
        if properties.get("items", {}).get("type") == "array":
            lists.append(path)
            assert "next_cursor" in properties, f"GET {path} ({name}) answers items without next_cursor"
    assert {"/alerts", "/channels", "/sources", "/spikes", "/subscriptions", "/posts", "/mentions"} <= set(lists)
    for name, schema in _response_schemas(spec).items():
        for field, prop in schema.get("properties", {}).items():
            kinds = {option.get("type") for option in prop.get("anyOf", [])}
            assert not {"array", "null"} <= kinds, f"{name}.{field} is a list that can be null: answer [] instead"


def test_only_health_and_openapi_are_public(api: Api) -> None:
    for spec_route in app_module.api.routes:
        path = spec_route.path.replace("{id}", "anything").replace("{token}", "anything")
        status, body = api.call(spec_route.method, path, body={} if spec_route.method != "GET" else None)
        if spec_route.path in ("/health", "/openapi.json"):
            assert status == 200
        elif spec_route.path in ("/r/{code}", "/calendar/feed/{token}"):  # a secret in the URL: "anything" is none
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
