"""A small atproto Lexicon validator for tests: enough of the schema language to check the records and bodies the
Bluesky connector sends (and the fake answers it gets) against the official lexicons in ../shared/data."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import regex

FORMATS = {
    "did": re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]+$"),
    "handle": re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"),
    "at-uri": re.compile(r"^at://[^/\s]+(/[a-zA-Z0-9.-]+(/[a-zA-Z0-9._~:-]+)?)?$"),
    "cid": re.compile(r"^b[a-z2-7]{20,}$"),
    "nsid": re.compile(r"^[a-zA-Z]([a-zA-Z0-9-]*\.){2,}[a-zA-Z][a-zA-Z0-9]*$"),
    "language": re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$"),
    "uri": re.compile(r"^[a-z][a-z0-9+.-]*:\S+$"),
    "record-key": re.compile(r"^[a-zA-Z0-9_~.:-]{1,512}$"),
}
FORMATS["at-identifier"] = re.compile(f"{FORMATS['did'].pattern}|{FORMATS['handle'].pattern}")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")  # RFC 3339 with a zone


class Lexicons:
    def __init__(self, root: Path) -> None:
        documents = (json.loads(p.read_text(encoding="utf-8")) for p in root.rglob("*.json"))
        self.docs = {doc["id"]: doc for doc in documents}

    def errors(self, value: Any, ref: str, part: str | None = None) -> list[str]:
        """Everything wrong with `value` against `ref` ("nsid" or "nsid#def"); `part` picks "record" of a record
        def, or "input"/"output" of a procedure or query."""
        schema, context = self._resolve(ref, ref.split("#")[0])
        if part == "record":
            schema = schema["record"]
        elif part:
            schema = schema[part]["schema"]
        found: list[str] = []
        self._check(value, schema, context, ref, found)
        return found

    def _resolve(self, ref: str, context: str) -> tuple[dict[str, Any], str]:
        nsid, _, name = ref.partition("#")
        nsid = nsid or context
        return self.docs[nsid]["defs"][name or "main"], nsid

    def _check(self, value: Any, schema: dict[str, Any], context: str, where: str, found: list[str]) -> None:
        kind = schema["type"]
        if kind == "ref":
            target, target_context = self._resolve(schema["ref"], context)
            self._check(value, target, target_context, where, found)
        elif kind == "union":
            refs = {self._full(ref, context) for ref in schema["refs"]}
            type_ = value.get("$type") if isinstance(value, dict) else None
            if self._full(type_ or "", context) not in refs:
                found.append(f"{where}: $type {type_!r} is not one of {sorted(refs)}")
            elif type_ is not None and type_.split("#")[0] in self.docs:
                target, target_context = self._resolve(type_, type_.split("#")[0])
                self._check(value, target, target_context, where, found)
        elif kind in ("object", "params"):
            if not isinstance(value, dict):
                found.append(f"{where}: expected an object")
                return
            for name in schema.get("required", []):
                if name not in value:
                    found.append(f"{where}.{name}: required")
            for name, item in value.items():
                if name in schema.get("properties", {}) and not (item is None and name in schema.get("nullable", [])):
                    self._check(item, schema["properties"][name], context, f"{where}.{name}", found)
        elif kind == "array":
            if not isinstance(value, list):
                found.append(f"{where}: expected an array")
                return
            if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
                found.append(f"{where}: {len(value)} items")
            for index, item in enumerate(value):
                self._check(item, schema["items"], context, f"{where}[{index}]", found)
        elif kind == "string":
            self._check_string(value, schema, where, found)
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                found.append(f"{where}: expected an integer")
            elif value < schema.get("minimum", value) or value > schema.get("maximum", value):
                found.append(f"{where}: {value} out of range")
        elif kind == "boolean" and not isinstance(value, bool):
            found.append(f"{where}: expected a boolean")

    def _check_string(self, value: Any, schema: dict[str, Any], where: str, found: list[str]) -> None:
        if not isinstance(value, str):
            found.append(f"{where}: expected a string")
            return
        if len(value.encode("utf-8")) > schema.get("maxLength", float("inf")):  # lexicon lengths count UTF-8 bytes
            found.append(f"{where}: longer than {schema['maxLength']} bytes")
        if len(regex.findall(r"\X", value)) > schema.get("maxGraphemes", float("inf")):
            found.append(f"{where}: longer than {schema['maxGraphemes']} graphemes")
        form = schema.get("format")
        if form == "datetime":
            if not DATETIME.match(value) or datetime.fromisoformat(value).tzinfo is None:
                found.append(f"{where}: not an RFC 3339 datetime: {value!r}")
        elif form in FORMATS and not FORMATS[form].match(value):
            found.append(f"{where}: not a {form}: {value!r}")

    @staticmethod
    def _full(ref: str, context: str) -> str:
        nsid, _, name = ref.partition("#")
        return f"{nsid or context}#{name or 'main'}"
