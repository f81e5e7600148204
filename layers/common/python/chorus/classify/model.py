"""The committed model file: what it holds, how it is read (at run time) and written (by the training script).

Layout: gzip of one JSON header line followed by little-endian int16 arrays — one weight table per linear output
(`2**HASH_BITS` buckets each), then the language profile table. Integers keep the file small and load with one
`frombytes` per table; each output has its own scale back to floats. The header holds biases, scales, the
sentiment lexicons, the language profile keys and the training metrics; never a training text.
"""
from __future__ import annotations

import gzip
import json
import math
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chorus.classify.features import HASH_BITS
from chorus.classify.language import TrigramProfiles

FORMAT_VERSION = 1
_INT16_MAX = 32767


@dataclass(frozen=True)
class LinearHead:
    """Linear outputs over the hashed feature groups; logit = bias + Σ_group scale/√n · Σ weights[bucket]."""

    classes: tuple[str, ...]
    weights: tuple[Sequence[int], ...]
    weight_scales: tuple[float, ...]
    biases: tuple[float, ...]
    group_scales: tuple[float, ...]

    def logits(self, groups: Sequence[set[int]]) -> list[float]:
        norms = [scale / math.sqrt(len(group)) if group else 0.0 for group, scale in zip(groups, self.group_scales)]
        result = []
        for weights, weight_scale, bias in zip(self.weights, self.weight_scales, self.biases):
            lookup = weights.__getitem__
            total = sum(norm * sum(map(lookup, group)) for group, norm in zip(groups, norms) if group)
            result.append(bias + weight_scale * total)
        return result


@dataclass(frozen=True)
class Model:
    complaint: LinearHead
    """One output: its logit is calibrated so that 0 is the complaint decision threshold."""
    non_complaint_intent: LinearHead
    """Softmax over question, praise and other for a mention that is not a complaint."""
    lexicons: dict[str, dict[str, float]]
    """Word polarity per detected language; `other` gets both, English winning where they disagree."""
    languages: TrigramProfiles
    metadata: dict


def with_other_language(lexicons: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {**lexicons, "other": {**lexicons["nl"], **lexicons["en"]}}


def _quantised(values: Sequence[float]) -> tuple[array, float]:
    largest = max((abs(value) for value in values), default=0.0) or 1.0
    scale = largest / _INT16_MAX
    return array("h", (round(value / scale) for value in values)), scale


def _little_endian(table: array) -> bytes:
    if sys.byteorder == "big":
        table = array(table.typecode, table)
        table.byteswap()
    return table.tobytes()


def _from_little_endian(data: bytes) -> array:
    table = array("h")
    table.frombytes(data)
    if sys.byteorder == "big":
        table.byteswap()
    return table


def dump_model(
    path: Path,
    heads: dict[str, dict],
    lexicons: dict[str, dict[str, float]],
    language_tables: dict,
    metadata: dict,
) -> None:
    """Write the model file. `heads` maps head name to classes, float weight rows, biases and group scales;
    `language_tables` holds languages, trigrams, one log-probability row per trigram, unseen and log priors."""
    header: dict = {"format": FORMAT_VERSION, "hash_bits": HASH_BITS, "metadata": metadata, "heads": {}}
    blobs: list[bytes] = []
    for name, head in heads.items():
        scales = []
        for row in head["weights"]:
            quantised, scale = _quantised(row)
            blobs.append(_little_endian(quantised))
            scales.append(scale)
        header["heads"][name] = {
            "classes": head["classes"], "weight_scales": scales, "biases": head["biases"],
            "group_scales": head["group_scales"],
        }
    flat_profile = [value for row in language_tables["rows"] for value in row]
    quantised_profile, profile_scale = _quantised(flat_profile)
    blobs.append(_little_endian(quantised_profile))
    header["languages"] = {
        "languages": language_tables["languages"], "trigrams": language_tables["trigrams"],
        "scale": profile_scale, "unseen": language_tables["unseen"], "log_priors": language_tables["log_priors"],
    }
    header["lexicons"] = lexicons
    header["blob_sizes"] = [len(blob) for blob in blobs]
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as out:
        out.write(json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() + b"\n")
        for blob in blobs:
            out.write(blob)


def load_model(path: Path) -> Model:
    with gzip.open(path, "rb") as source:
        header = json.loads(source.readline())
        if header["format"] != FORMAT_VERSION or header["hash_bits"] != HASH_BITS:
            raise ValueError(f"{path} is model format {header['format']} with {header['hash_bits']} hash bits; "
                             f"this code reads format {FORMAT_VERSION} with {HASH_BITS}: retrain (`make train`)")
        blobs = iter([_from_little_endian(source.read(size)) for size in header["blob_sizes"]])
    heads = {}
    for name in ("complaint", "non_complaint_intent"):
        head = header["heads"][name]
        heads[name] = LinearHead(
            classes=tuple(head["classes"]),
            weights=tuple(next(blobs) for _ in head["classes"]),
            weight_scales=tuple(head["weight_scales"]),
            biases=tuple(head["biases"]),
            group_scales=tuple(head["group_scales"]),
        )
    profile = header["languages"]
    flat, scale, width = next(blobs), profile["scale"], len(profile["languages"])
    rows = {
        trigram: tuple(value * scale for value in flat[index * width:(index + 1) * width])
        for index, trigram in enumerate(profile["trigrams"])
    }
    languages = TrigramProfiles(
        languages=tuple(profile["languages"]), log_probabilities=rows,
        unseen=tuple(profile["unseen"]), log_priors=tuple(profile["log_priors"]),
    )
    return Model(
        complaint=heads["complaint"], non_complaint_intent=heads["non_complaint_intent"],
        lexicons=with_other_language(header["lexicons"]),
        languages=languages, metadata=header["metadata"],
    )
