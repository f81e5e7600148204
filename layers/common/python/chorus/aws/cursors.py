"""DynamoDB persistence with PynamoDB. The tables themselves are defined once, in infra/template.yaml;
these models name the attributes and indexes the code reads (tests/infra checks that both agree).

Access patterns (see README "Data model"):
  post by id ............................ PostsTable key `id`                         GetItem
  calendar: posts in a date range ...... GSI `calendar` month + publish_at             Query per month in range
  calendar for one channel ............. GSI `calendar` + filter `contains(channels)`  Query per month in range
  posts by workflow status ............. GSI `by_status` status + updated_at           Query
  posts the publisher must look at ..... GSI `due` queue + due_at (sparse)             Query due_at <= now + 1 min
  a channel's local outbox ............. OutboxTable key channel_id + key             Query / conditional Put
  organisation state (crisis hold) ..... StateTable key org + name                     GetItem / Put
  channels of the organisation ......... ChannelsTable key org + id                    Query"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chorus.core.errors import ValidationError

MAX_PAGE = 100  # the most items one page of any listing returns


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError("cursor", "is not a cursor this API returned") from None
    if not isinstance(state, dict):
        raise ValidationError("cursor", "is not a cursor this API returned")
    return state
