"""Language detection on the committed profiles, short texts included."""
import pytest

from chorus.listening.classify import local_classifier
from chorus.listening.classify.language import detect_language


def language_of(text: str) -> str:
    return detect_language(text, local_classifier()._model.languages)


# Not here: one-word texts whose trigrams fit English or Italian as well ("Storing?", "Prima", "Hallo?"); the
# limits section of docs/classifier.md lists them.
@pytest.mark.parametrize("text", [
    "Bedankt!", "Dank je wel", "Balen", "Waarom?", "Klopt niet", "Nog steeds niks ontvangen", "Helaas",
    "ff checken of het nu werkt", "@KlikTel storing bij jullie?", "Hoe zit het met mijn bestelling #vraag",
    "Super, dank u wel voor uw hulp",
])
def test_dutch(text):
    assert language_of(text) == "nl"


@pytest.mark.parametrize("text", [
    "Thanks!", "Thank you", "Why?", "Not working", "Still nothing", "@PowerCoCare outage?",
    "Where is my order #help", "I love it", "Please fix this",
])
def test_english(text):
    assert language_of(text) == "en"


@pytest.mark.parametrize("text", [
    "Vielen Dank für die schnelle Hilfe, das war wirklich sehr nett",
    "Je voudrais savoir quand ma commande sera livrée",
    "¿Dónde está mi pedido? Llevo dos semanas esperando",
    "Grazie mille per il vostro aiuto, siete stati gentilissimi",
    "Dziękuję bardzo za szybką odpowiedź",
    "Спасибо за помощь",
    "ご協力ありがとうございます",
    "👍👍🎉", "", "   ", "12345", "https://example.com/a @someone",
])
def test_other_languages_and_no_language(text):
    assert language_of(text) == "other"
