"""Validation messages in words (issue 11 item 9): no pydantic phrases, no regular expressions, the field kept."""
from __future__ import annotations

from typing import Literal

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from chorus.calendar.schemas import ChannelCreate
from chorus.http.api import PATTERN_WORDS, plain_message
from chorus.listening.schemas import MentionIn

PYTHON_WORDS = ("Value error", "Extra inputs", "Field required", "Input should", "String should", "^", "\\")


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["draft", "post"]
    url: str = Field(default="https://x", pattern=r"^https?://")
    count: int = 1
    name: str = Field(default="a", min_length=1, max_length=5)


def messages(model: type[BaseModel], data: object) -> list[tuple[str, str]]:
    try:
        model.model_validate(data)
    except pydantic.ValidationError as error:
        return [(".".join(str(p) for p in e["loc"]), plain_message(e)) for e in error.errors(include_url=False)]
    return []


@pytest.mark.parametrize(("data", "expected"), [
    ({"kind": "page"}, ("kind", "must be one of: draft, post")),
    ({"kind": "post", "url": "ftp://x"}, ("url", "must be a web address starting with https://")),
    ({"kind": "post", "extra": 1}, ("extra", "is not a field of this request; check its spelling")),
    ({"kind": "post", "count": "many"}, ("count", "must be a whole number")),
    ({"kind": "post", "name": ""}, ("name", "must not be empty")),
    ({"kind": "post", "name": "abcdefg"}, ("name", "may be at most 5 characters")),
    ({}, ("kind", "is required")),
])
def test_each_kind_of_problem_is_said_in_words(data: dict[str, object], expected: tuple[str, str]) -> None:
    assert messages(Sample, data) == [expected]


def test_our_own_checks_lose_pydantics_value_error_prefix() -> None:
    assert messages(MentionIn, {"platform": "x", "id": "1", "text": "   "}) == [("text", "text must not be blank")]


def test_every_pattern_in_the_api_has_words() -> None:
    for model in (ChannelCreate, MentionIn):
        for _, message in messages(model, {"id": "Not A Slug!", "url": "ftp://x", "platform": "x", "text": "t"}):
            assert not any(word in message for word in PYTHON_WORDS), message
    assert all(not any(w in words for w in PYTHON_WORDS) for words in PATTERN_WORDS.values())


@given(st.dictionaries(st.sampled_from(["kind", "url", "count", "name", "other"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=2))))
def test_no_message_speaks_python_whatever_the_input(data: dict[str, object]) -> None:
    for _, message in messages(Sample, data):
        assert message and not any(word in message for word in PYTHON_WORDS), message
