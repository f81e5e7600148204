"""The committed model on mentions it never saw: shapes and ranges, and clear cases of each intent."""
import pytest

from chorus.listening.classify import INTENTS, Classification, classify, classify_many

# Written for these tests, not taken from the training examples.
CLEAR_CASES = [
    ("nl", "complaint", "@KlikTel sinds maandag geen internet en niemand belt terug. Dit is echt belachelijk"),
    ("nl", "complaint", "Trein weer uitgevallen, derde keer deze week te laat op mijn werk. Bedankt NS 🙄"),
    ("nl", "complaint", "Mijn retour is al een maand binnen en ik heb nog steeds mijn geld niet terug"),
    ("nl", "question", "Tot hoe laat is het gemeentehuis op donderdag open?"),
    ("nl", "question", "Kan ik mijn abonnement ook online omzetten naar een ander pakket?"),
    ("nl", "praise", "Wat een fijne en snelle hulp van jullie medewerker vandaag, dank je wel! 😊"),
    ("nl", "praise", "Complimenten voor de chauffeur die vanochtend op me wachtte. Top!"),
    ("nl", "other", "Wij zoeken een collega voor ons klantcontactteam in Zwolle. Solliciteer via https://werkenbij.example/kc"),
    ("nl", "other", "Zaterdag organiseren we een open dag in onze nieuwe vestiging. Iedereen is welkom!"),
    ("en", "complaint", "Been waiting 3 weeks for my refund and nobody answers my emails. Awful service."),
    ("en", "complaint", "@PowerCoCare the app has been broken for days and I can't pay my bill"),
    ("en", "question", "What time does the store on High Street open on Saturdays?"),
    ("en", "praise", "Thank you so much for sorting this out so quickly, really appreciate it! 🙏"),
    ("en", "other", "We're hiring! Join our customer care team in Leeds: https://jobs.example/care"),
]


@pytest.mark.parametrize(("language", "intent", "text"), CLEAR_CASES)
def test_clear_mentions_get_their_intent_and_language(language, intent, text):
    verdict = classify(text)

    assert (verdict.intent, verdict.language) == (intent, language)


def test_sarcastic_praise_is_a_complaint():
    verdict = classify("Geweldige service weer, al 2 uur in de wacht bij de klantenservice 👏")

    assert verdict.intent == "complaint"
    assert verdict.sentiment < 0


@pytest.mark.parametrize("text", ["Fantastisch geholpen, dank jullie wel!", "Great help today, thanks a lot!"])
def test_praise_is_positive(text):
    assert classify(text).sentiment > 0.2


@pytest.mark.parametrize("text", ["Waardeloze service, nooit meer!", "Terrible service, never again!"])
def test_complaints_are_negative(text):
    assert classify(text).sentiment < -0.2


@pytest.mark.parametrize("text", ["Hoe laat vertrekt de laatste bus?", "What time does the last bus leave?"])
def test_plain_questions_are_near_neutral(text):
    assert abs(classify(text).sentiment) < 0.25


def test_classification_shape_and_ranges():
    verdict = classify("@ModeMarkt mijn pakket is nog niet binnen")

    assert isinstance(verdict, Classification)
    assert set(verdict.to_dict()) == {"intent", "sentiment", "language", "detected_language", "complaint_score"}
    assert verdict.intent in INTENTS
    assert verdict.language in ("nl", "en", "other")
    assert -1.0 <= verdict.sentiment <= 1.0
    assert 0.0 <= verdict.complaint_score <= 1.0


@pytest.mark.parametrize(("text", "language", "detected"), [
    ("الخدمة سيئة جدا ولا أحد يرد على الهاتف منذ ثلاثة أيام", "other", "ar"),
    ("Le service est nul, personne ne répond depuis trois jours", "other", "fr"),
    ("Al drie dagen geen internet en niemand neemt op", "nl", "nl"),
    ("👍👍", "other", None),
])
def test_the_detected_language_names_what_other_is(text, language, detected):
    verdict = classify(text)

    assert (verdict.language, verdict.detected_language) == (language, detected)


def test_complaint_score_and_intent_agree():
    for verdict in classify_many(text for _, _, text in CLEAR_CASES):
        assert (verdict.intent == "complaint") == (verdict.complaint_score >= 0.5)


def test_classify_many_keeps_order():
    texts = [text for _, _, text in CLEAR_CASES]

    assert classify_many(texts) == [classify(text) for text in texts]
