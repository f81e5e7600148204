"""Language detection on the committed profiles, short texts included."""
import pytest

from chorus.listening.classify import local_classifier
from chorus.listening.classify.language import closest_language, detect_language


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


def closest_of(text: str) -> str | None:
    return closest_language(text, local_classifier()._model.languages)


# Issue 11, item 22: a mention in another language is triaged by care with the language it is in, so the answer can
# be given in it (or passed to a colleague who speaks it).
@pytest.mark.parametrize(("text", "closest"), [
    ("الخدمة سيئة جدا ولا أحد يرد على الهاتف منذ ثلاثة أيام", "ar"),
    ("سلام، چرا سفارش من هنوز نرسیده است؟ خیلی بد است", "fa"),
    ("یہ سروس بہت خراب ہے، کوئی فون نہیں اٹھاتا", "ur"),
    ("Спасибо за помощь, всё работает", "ru"),
    ("Это ужасный сервис", "ru"),
    ("Дякую за допомогу, все працює", "uk"),
    ("Ευχαριστώ πολύ για τη βοήθεια", "el"),
    ("תודה רבה על העזרה", "he"),
    ("ご協力ありがとうございます", "ja"),
    ("谢谢你们的帮助", "zh"),
    ("도와주셔서 감사합니다", "ko"),
    ("ขอบคุณมากสำหรับความช่วยเหลือ", "th"),
    ("Vielen Dank für die schnelle Hilfe, das war wirklich sehr nett", "de"),
    ("Je voudrais savoir quand ma commande sera livrée", "fr"),
    ("¿Dónde está mi pedido? Llevo dos semanas esperando", "es"),
    ("Dziękuję bardzo za szybką odpowiedź", "pl"),
    ("Nog steeds niks ontvangen", "nl"),
    ("Still nothing", "en"),
])
def test_the_closest_language_names_other_languages(text: str, closest: str) -> None:
    assert closest_of(text) == closest
    assert language_of(text) == (closest if closest in ("nl", "en") else "other")


@pytest.mark.parametrize(("text", "closest"), [
    ("हमारी सेवा के बारे में आपकी राय", "und-Deva"),  # Hindi, Marathi and Nepali share the script
    ("Сервис ужасен", "und-Cyrl"),  # Russian or Bulgarian: nothing in it tells them apart
])
def test_a_script_shared_by_several_languages_is_named_by_its_script(text: str, closest: str) -> None:
    assert closest_of(text) == closest


@pytest.mark.parametrize("text", ["👍👍🎉", "", "   ", "12345", "https://example.com/a @someone", "a"])
def test_no_letters_no_language(text: str) -> None:
    assert closest_of(text) is None
