"""Page cursors of the API's listings: where the next page starts (a store's DynamoDB key or merge state), encoded
as opaque URL-safe text, and the largest page any listing returns."""
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
