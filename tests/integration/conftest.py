"""Integration tests: moto's server runs in this process (one thread, loopback) so boto3, PynamoDB and the
JWKS download all work as on AWS. Every test gets fresh resources created from infra/template.yaml."""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from chalice.test import Client

from chorus import container
from chorus.core.roles import ROLES
from chorus.local.provision import provision

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from chorus.local import embedded_aws

    server, endpoint = embedded_aws.start()
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    server.stop()
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)


@dataclass
class Stack:
    endpoint: str
    environment: dict[str, str]
    resources: dict[str, dict[str, str]]

    def user(self, role: str, username: str | None = None) -> str:
        """Create a user in the role's group and return a real access token from (moto's) Cognito."""
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool = self.environment["CHORUS_USER_POOL_ID"]
        username = username or f"{role}-{secrets.token_hex(3)}"
        password = f"Test-{secrets.token_urlsafe(10)}-1a"
        cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
        if role in ROLES:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=role)
        result = cognito.initiate_auth(
            ClientId=self.environment["CHORUS_USER_POOL_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return result["AuthenticationResult"]["AccessToken"]


@pytest.fixture
def stack(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    provisioned = provision(REGION)
    for name, value in provisioned.environment.items():
        monkeypatch.setenv(name, value)
    pool = provisioned.environment["CHORUS_USER_POOL_ID"]
    monkeypatch.setenv("CHORUS_JWKS_URL", f"{moto_endpoint}/{pool}/.well-known/jwks.json")
    container.reset()
    yield Stack(moto_endpoint, provisioned.environment, provisioned.resources)
    container.reset()


class Api:
    """The Chalice test client with JSON in and out and a bearer token per call."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None, raw: str | None = None) -> tuple[int, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload)
        text = response.body.decode() if response.body else ""
        return response.status_code, (json.loads(text) if text else None)


@pytest.fixture
def api(stack: Stack) -> Iterator[Api]:
    from app import app

    with Client(app) as client:
        yield Api(client)


@pytest.fixture
def listening(stack: Stack, api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stack, Api]]:
    """The stack and the API with each alert subscriber given a local mailbox queue (see chorus.local.mailbox)."""
    monkeypatch.setenv("CHORUS_LOCAL_MAILBOX", "true")
    container.reset()
    yield stack, api
    container.reset()
