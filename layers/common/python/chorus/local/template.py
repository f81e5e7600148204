"""Reads infra/template.yaml (CloudFormation short-form tags included) and resolves intrinsic functions
against the physical resources the local runtime created."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[5]
TEMPLATE_PATH = PROJECT_ROOT / "infra" / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


class Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Sub and Fn::Join with the attributes of resources created so far."""

    def __init__(self, pseudo: dict[str, str]) -> None:
        self.refs: dict[str, str] = dict(pseudo)
        self.attrs: dict[tuple[str, str], str] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.refs[arg]
            if key == "Fn::GetAtt":
                return self.attrs[(arg[0], arg[1])]
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1), extra), text)
            if key == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, name: str, extra: dict[str, Any]) -> str:
        if name in extra:
            return str(extra[name])
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self.attrs[(logical, attribute)]
        return self.refs[name]
