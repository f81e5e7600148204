"""Mention classifier: intent, sentiment, language and complaint score of a social-media text, offline.

    >>> from chorus.listening.classify import classify
    >>> classify("Top service weer, 3 uur in de wacht 👏").intent
    'complaint'

Runs in pure Python on the committed model file (see `chorus.local.train_classifier` for how it is made); the
model loads on first use, not on import. `Classifier` is the port: the local model is
one implementation, a hosted one can stand behind the same interface."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from chorus.listening.classify.features import extract
from chorus.listening.classify.model import OUTPUTS, Model, load_model

MODEL_PATH = Path(__file__).with_name("model.bin.gz")
INTENTS = ("complaint", "question", "praise", "other")


@dataclass(frozen=True)
class Classification:
    intent: str
    """complaint, question, praise or other"""
    sentiment: float
    """-1 (negative) .. 1 (positive)"""
    language: str
    """nl, en or other"""
    detected_language: str | None
    """the closest language: nl, en, or for `other` an ISO 639-1 code (fr, ar, …) or `und-<Script>` when only
    the script is known; None when the text has fewer than two letters"""
    complaint_score: float
    """0..1; 0.5 and above is a complaint"""

    def to_dict(self) -> dict:
        return asdict(self)


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...

    def classify_many(self, texts: Iterable[str]) -> list[Classification]: ...


def _sigmoid(logit: float) -> float:
    if logit < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-logit))


def _softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(logit - top) for logit in logits]
    total = sum(exps)
    return [value / total for value in exps]


class LocalClassifier:
    """The committed linear model, evaluated in pure Python."""

    def __init__(self, model: Model) -> None:
        self._model = model

    def classify(self, text: str) -> Classification:
        model = self._model
        language, lexicon_polarity, groups, closest = extract(text, model.lexicons, model.languages)
        complaint_logit, *other_logits = model.outputs.logits(groups)
        complaint_score = _sigmoid(complaint_logit)
        other_intents = dict(zip(OUTPUTS[1:], _softmax(other_logits), strict=True))
        intent = "complaint" if complaint_score >= 0.5 else max(other_intents, key=other_intents.__getitem__)
        # The model's tone catches what a lexicon cannot: sarcasm ("top service, 3 uur in de wacht") and
        # complaints without a single negative word ("al 3 dagen geen internet").
        model_tone = (1.0 - complaint_score) * other_intents["praise"] - complaint_score
        sentiment = max(-1.0, min(1.0, 0.5 * lexicon_polarity + 0.5 * model_tone))
        return Classification(
            intent=intent, sentiment=round(sentiment, 3), language=language, detected_language=closest,
            complaint_score=round(complaint_score, 4),
        )

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        return [self.classify(text) for text in texts]


@cache
def local_classifier() -> LocalClassifier:
    """The classifier on the committed model, loaded once per process."""
    return LocalClassifier(load_model(MODEL_PATH))


def classify(text: str) -> Classification:
    return local_classifier().classify(text)


def classify_many(texts: Iterable[str]) -> list[Classification]:
    return local_classifier().classify_many(texts)
