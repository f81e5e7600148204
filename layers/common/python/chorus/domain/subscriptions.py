"""People who receive alerts by email or SMS, per team and minimum severity. Each subscription becomes an SNS
subscription whose filter policy selects the alerts it receives, so SNS, not our code, decides who gets what."""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chorus.domain.routing import Severity, Team, severities_from

EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164, as SNS requires


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="who this is, e.g. 'Care desk' or 'Anna (PR)'")
    team: Team
    protocol: Literal["email", "sms"]
    endpoint: str = Field(min_length=3, max_length=254, description="an email address, or a phone number in E.164 (+31612345678)")
    min_severity: Severity | None = Field(default=None, description="default: low for email; SMS is for high severity only")

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> "SubscriptionIn":
        if self.protocol == "email" and not EMAIL_ADDRESS.match(self.endpoint):
            raise ValueError("endpoint must be an email address for protocol email")
        if self.protocol == "sms":
            if not E164_PHONE.match(self.endpoint):
                raise ValueError("endpoint must be a phone number in E.164 form (+31612345678) for protocol sms")
            if self.min_severity not in (None, "high"):
                raise ValueError("SMS is only for high severity: leave min_severity out or set it to high")
        return self


class Subscription(BaseModel):
    id: str
    name: str
    team: str
    protocol: Literal["email", "sms"]
    endpoint: str
    min_severity: str
    created_by: str
    created_at: str
    sns_subscription: str | None = None  # the SNS subscription ARN ("pending confirmation" until an email is confirmed)

    def filter_policy(self) -> dict[str, Any]:
        severities = severities_from(self.min_severity)
        if self.protocol == "sms":
            return {"team": [self.team], "severity": severities, "sms": ["yes"]}  # within the team's hourly SMS budget
        # Email also gets the team's digest, whatever the minimum severity: a digest carries `kind=digest` and no
        # severity (nor `sms`), so only this branch of the $or matches it, and SMS subscriptions never do.
        return {"team": [self.team], "$or": [{"severity": severities}, {"kind": ["digest"]}]}

    def masked(self) -> "Subscription":
        """For listings: enough of the address to recognise it, not enough to harvest it."""
        if self.protocol == "email":
            local, _, domain = self.endpoint.partition("@")
            shown = f"{local[:2]}…@{domain}"
        else:
            shown = f"{self.endpoint[:4]}…{self.endpoint[-2:]}"
        return self.model_copy(update={"endpoint": shown})
