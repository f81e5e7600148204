"""`chorus classify`: JSON lines `{"id": ..., "text": ...}` in, one classification per line out, in order.

Streams: each answer is written (and flushed) before the next line is read, so it works in a pipe that stays
open. A line that is not a JSON object with a string `text` gets `{"id": ..., "error": ...}` in its place and a
message on stderr; the rest is still classified and the exit code is then 1. Blank lines are skipped."""
from __future__ import annotations

import json
import sys
from typing import TextIO

from chorus.listening.classify import Classifier, local_classifier


def _answer(line: str, number: int, classifier: Classifier) -> tuple[dict, str | None]:
    """The output object for one input line, and the error message when the line is bad."""
    try:
        mention = json.loads(line)
    except json.JSONDecodeError as error:
        return {"id": None}, f"line {number}: not JSON ({error.msg} at column {error.colno})"
    if not isinstance(mention, dict):
        return {"id": None}, f"line {number}: expected a JSON object with \"id\" and \"text\""
    if not isinstance(mention.get("text"), str):
        return {"id": mention.get("id")}, f"line {number}: \"text\" is missing or not a string"
    return {"id": mention.get("id"), **classifier.classify(mention["text"]).to_dict()}, None


def run(stdin: TextIO, stdout: TextIO, stderr: TextIO = sys.stderr, classifier: Classifier | None = None) -> int:
    classifier = classifier or local_classifier()
    failed = False
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        answer, error = _answer(line, number, classifier)
        if error:
            failed = True
            answer["error"] = error
            print(error, file=stderr)
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        stdout.flush()
    return 1 if failed else 0
