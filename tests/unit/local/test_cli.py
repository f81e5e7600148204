"""`chorus token`: what it says when the demo user cannot sign in (issue 11 item 9)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chorus.local import cli

STATE = {"users": {"editor": {"username": "demo-editor", "password": "Demo-pass-1"}}, "region": "eu-west-1",
         "aws_endpoint": "http://127.0.0.1:1", "client_id": "client"}


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHORUS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("CHORUS_PORT", "8799")
    (tmp_path / "local-8799.json").write_text(json.dumps(STATE))


def cognito_answering(monkeypatch: pytest.MonkeyPatch, error_code: str) -> None:
    client = boto3.client("cognito-idp", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("initiate_auth", service_error_code=error_code, service_message="nope")
    stubber.activate()

    def make(*args: Any, **kwargs: Any) -> Any:
        return client

    monkeypatch.setattr(boto3, "client", make)


@pytest.mark.parametrize(("code", "says"), [("UserNotFoundException", "no longer exists"),
                                             ("NotAuthorizedException", "cannot sign in")])
def test_an_erased_or_changed_demo_user_is_named_as_such_not_as_a_stack_that_is_down(
        running: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: str,
        says: str) -> None:
    cognito_answering(monkeypatch, code)
    assert cli.main(["token", "editor"]) == 1
    error = capsys.readouterr().err
    assert says in error and "still up" not in error and "restart `make run`" in error
