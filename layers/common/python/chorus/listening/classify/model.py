"""The committed model file: what it holds, how it is read (at run time) and written (by the training script).

Layout: gzip of one JSON header line followed by little-endian arrays: the used feature buckets (uint32), one
int16 weight column per output over those buckets, and one int16 column of trigram log-probabilities per
language. Integers keep the file small and load with one `frombytes` each; every column has its own scale back
to floats. The header holds biases, scales, the sentiment lexicons, the language profile keys and the training
report; never a training text."""
from __future__ import annotations

import gzip
import json
import math
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chorus.listening.classify.features import HASH_BITS
from chorus.listening.classify.language import TrigramProfiles

FORMAT_VERSION = 1
OUTPUTS = ("complaint", "question", "praise", "other")
"""The complaint logit (calibrated: 0 is the decision threshold), then the logits of a softmax over the
intents of a mention that is not a complaint."""
_INT16_MAX = 32767


@dataclass(frozen=True)
class LinearOutputs:
    """Linear outputs over the hashed feature groups: logit = bias + Σ_group scale/√n · Σ weight[bucket]."""

    rows: Mapping[int, tuple[float, ...]]
    """bucket → its weight in every output; buckets no training example had are absent (weight 0)"""
    biases: tuple[float, ...]
    group_scales: tuple[float, ...]

    def logits(self, groups: Sequence[set[int]]) -> list[float]:
        totals = list(self.biases)
        for group, scale in zip(groups, self.group_scales, strict=True):
            rows = list(filter(None, map(self.rows.get, group)))
            if rows:
                norm = scale / math.sqrt(len(group))
                columns = zip(*rows, strict=True)
                totals = [total + norm * sum(column) for total, column in zip(totals, columns, strict=True)]
        return totals


@dataclass(frozen=True)
class Model:
    outputs: LinearOutputs
    lexicons: dict[str, dict[str, float]]
    """word polarity per detected language; `other` gets both, English winning where they disagree"""
    languages: TrigramProfiles
    metadata: dict


def with_other_language(lexicons: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {**lexicons, "other": {**lexicons["nl"], **lexicons["en"]}}


def _quantised(values: Sequence[float]) -> tuple[array, float]:
    largest = max(map(abs, values), default=0.0) or 1.0
    scale = largest / _INT16_MAX
    return array("h", [round(value / scale) for value in values]), scale


def _little_endian(table: array) -> bytes:
    if sys.byteorder == "big":
        table = array(table.typecode, table)
        table.byteswap()
    return table.tobytes()


def _read(source, typecode: str, count: int) -> array:
    table = array(typecode)
    table.frombytes(source.read(count * table.itemsize))
    if sys.byteorder == "big":
        table.byteswap()
    return table


def dump_model(
    path: Path,
    buckets: Sequence[int],
    weights: Mapping[str, Sequence[float]],
    biases: Mapping[str, float],
    group_scales: Sequence[float],
    lexicons: dict[str, dict[str, float]],
    profiles: TrigramProfiles,
    metadata: dict,
) -> None:
    """Write the model file; `weights[output][i]` is the weight of `buckets[i]`, for every name in OUTPUTS."""
    trigrams = sorted(profiles.log_probabilities)
    columns = [_quantised(weights[name]) for name in OUTPUTS]
    profile_columns = [
        _quantised([profiles.log_probabilities[gram][index] for gram in trigrams])
        for index in range(len(profiles.languages))
    ]
    header = {
        "format": FORMAT_VERSION, "hash_bits": HASH_BITS, "metadata": metadata,
        "outputs": list(OUTPUTS), "buckets": len(buckets), "weight_scales": [scale for _, scale in columns],
        "biases": [biases[name] for name in OUTPUTS], "group_scales": list(group_scales),
        "languages": list(profiles.languages), "trigrams": trigrams,
        "trigram_scales": [scale for _, scale in profile_columns], "unseen": list(profiles.unseen),
        "log_priors": list(profiles.log_priors), "lexicons": lexicons,
    }
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as out:
        out.write(json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() + b"\n")
        out.write(_little_endian(array("I", buckets)))
        for column, _ in columns + profile_columns:
            out.write(_little_endian(column))


def load_model(path: Path) -> Model:
    with gzip.open(path, "rb") as source:
        header = json.loads(source.readline())
        layout = (header["format"], header["hash_bits"], tuple(header["outputs"]))
        if layout != (FORMAT_VERSION, HASH_BITS, OUTPUTS):
            raise ValueError(f"{path} has layout {layout}; this code reads {(FORMAT_VERSION, HASH_BITS, OUTPUTS)}:"
                             " retrain with `make train`")
        buckets = _read(source, "I", header["buckets"])
        columns = [_read(source, "h", header["buckets"]) for _ in header["outputs"]]
        profile_columns = [_read(source, "h", len(header["trigrams"])) for _ in header["languages"]]
    weights = [[value * scale for value in column]
               for column, scale in zip(columns, header["weight_scales"], strict=True)]
    outputs = LinearOutputs(
        rows=dict(zip(buckets, zip(*weights, strict=True), strict=True)),
        biases=tuple(header["biases"]), group_scales=tuple(header["group_scales"]),
    )
    log_probabilities = [
        [value * scale for value in column]
        for column, scale in zip(profile_columns, header["trigram_scales"], strict=True)
    ]
    languages = TrigramProfiles(
        languages=tuple(header["languages"]),
        log_probabilities=dict(zip(header["trigrams"], zip(*log_probabilities, strict=True), strict=True)),
        unseen=tuple(header["unseen"]), log_priors=tuple(header["log_priors"]),
    )
    return Model(outputs, with_other_language(header["lexicons"]), languages, header["metadata"])
