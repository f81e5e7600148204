"""The hand-written Dutch and English mentions: enough of each intent, stable unique ids, a held-out fifth."""
from collections import Counter

from chorus.listening.classify import INTENTS
from chorus.local.train_classifier import is_test, load_hand_written


def test_hand_written_examples_are_well_formed():
    examples = load_hand_written()
    ids = [example.id for example in examples]

    assert len(ids) == len(set(ids))
    assert all(example.intent in INTENTS and example.text.strip() for example in examples)
    assert len({example.text for example in examples}) == len(examples)


def test_each_language_has_every_intent_in_training_and_test():
    examples = load_hand_written()
    counts = Counter((example.language, example.intent, is_test(example.id)) for example in examples)

    assert sum(example.language == "nl" for example in examples) >= 600
    assert sum(example.language == "en" for example in examples) >= 300
    for language in ("nl", "en"):
        for intent in INTENTS:
            assert counts[(language, intent, False)] >= 40
            assert counts[(language, intent, True)] >= 10
