"""Praise Chorus can trust (issue 11, item 11): the classifier reads sarcasm as praise when its words are praise
("Fantastic service… 🙄"), so a pure rule looks for signs of irony, and only confident praise without them is offered
to editors as content. Dutch and English, written for these tests (not taken from the training examples)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.listening.rules import irony_in, is_sincere_praise
from chorus.listening.schemas import MentionRecord

IRONIC = [
    # English
    "Oh great, the bin collection skipped our street AGAIN. Fantastic service… 🙄",
    "Wow, thanks a lot for nothing @CityWaste",
    "Brilliant, my train is cancelled yet again #not",
    "Just great. Internet down for the third time this week",
    "Great job @PowerCo, another outage... as usual",
    "Love waiting 2 hours on hold, really “excellent” service",
    "Amazing customer care, they hung up on me 😒",
    "Best delivery company ever, parcel lost for the second time /s",
    # Dutch
    "Geweldig, wéér vertraging. Top geregeld NS…",
    "Bedankt voor niks @KlikTel",
    "Top service weer, al 2 uur in de wacht 👏",
    "Super hoor, voor de derde keer deze week een storing 🙃",
    "Wat een “klantvriendelijke” service, alweer geen antwoord",
    "Knap hoor, weer eens een storing",
    "Fijne verzekeraar heb ik, #sarcasme",
    "Oh leuk, pakket WEER kwijt",
]

SINCERE = [
    # English
    "Fantastic service, thank you so much!",
    "Great help again, thanks!",
    "Thanks for fixing the outage so quickly!",
    "Item arrived broken but they sent a replacement the next day. Brilliant 👏",
    "You guys are the best 💪",
    "Lovely staff at the desk today... thank you",
    "Shoutout to \"Jess\" in the store, so helpful",
    "Finally a customer service team that actually solves problems. Thank you!",
    # Dutch
    "Dank jullie wel voor de snelle hulp…",
    "Internet doet het weer, top geholpen!",
    "Storing binnen een uur opgelost. Complimenten!",
    "Respect voor de storingsdienst die om 23:00 nog aan het werk was 👏",
    "Super geholpen door 'Sanne' van de klantenservice",
    "Wat een fijne en snelle hulp vandaag, dank je wel! 😊",
    "Vertraging, maar wel meteen een duidelijke melding in de app. Netjes opgelost.",
    "Goed bezig @gemeente_Dalstad, grofvuil binnen 2 dagen opgehaald",
]


@pytest.mark.parametrize("text", IRONIC)
def test_sarcasm_shows_signs_of_irony(text: str) -> None:
    irony = irony_in(text)
    assert irony.shown, irony


@pytest.mark.parametrize("text", SINCERE)
def test_sincere_praise_shows_none(text: str) -> None:
    irony = irony_in(text)
    assert not irony.shown, irony


def test_the_signs_are_named_so_a_person_sees_why() -> None:
    irony = irony_in("Oh great, the bin collection skipped our street AGAIN. Fantastic service… 🙄")
    assert str(irony) == "“🙄”, “Oh great”, “AGAIN”, “skipped”, “…”"
    assert str(irony_in("Dank je wel!")) == ""


def test_one_weak_sign_is_not_irony_but_two_are() -> None:
    assert not irony_in("Thanks for the help…").shown  # trailing dots alone
    assert not irony_in("Waited a while but it was worth it").shown  # trouble alone
    assert irony_in("Waited a while for this…").shown  # trouble and trailing dots


STRONG_SIGNS = [" 🙄", " 🙃", " #sarcasm", " #ironie", " /s", " Thanks for nothing.", " Bedankt voor niets!",
                " Oh geweldig.", " 🤦‍♀️"]
HARMLESS = ["", " @NS_online", " #dank", " https://t.co/abc", " 😊", " 🙏", " Thank you!", " Dank je wel!"]


@settings(max_examples=300)
@given(st.text(max_size=200), st.sampled_from(STRONG_SIGNS))
def test_one_strong_sign_is_enough_whatever_the_text(text: str, sign: str) -> None:
    assert irony_in(text + sign).shown


@settings(max_examples=300)
@given(st.sampled_from(SINCERE), st.lists(st.sampled_from(HARMLESS), max_size=3))
def test_handles_links_and_thanks_do_not_make_sincere_praise_ironic(text: str, extra: list[str]) -> None:
    assert not irony_in(text + "".join(extra)).shown


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_text_gets_an_answer(text: str) -> None:
    irony = irony_in(text)
    assert irony.shown == (bool(irony.strong) or len(irony.weak) >= 2)


# ---------------------------------------------------------------------------------------------- confident praise
def praise(text: str = "Fantastic service, thank you so much!", **fields: object) -> MentionRecord:
    values: dict[str, object] = dict(
        id="m1", platform="x", platform_id="1", text=text, author_handle="fan", created_at="2026-11-20T09:00:00Z",
        received_at="2026-11-20T09:00:00Z", language="en", intent="praise", sentiment=0.7, complaint_score=0.02,
        reach=10, conversation="x#1", teams=["marketing"], routed=True, expires_at=1_900_000_000)
    values.update(fields)
    return MentionRecord.model_validate(values)


def test_sincere_praise_is_confident_praise_without_irony() -> None:
    assert is_sincere_praise(praise())
    assert is_sincere_praise(praise("Super geholpen, dank jullie wel!", language="nl"))


@pytest.mark.parametrize("fields", [
    {"intent": "complaint"},
    {"intent": "other"},
    {"complaint_score": 0.3},  # the model half thought it a complaint
    {"sentiment": 0.1},  # barely positive
    {"language": "other"},  # the classifier reads only Dutch and English
    {"text": "Oh great, the bin collection skipped our street AGAIN. Fantastic service… 🙄"},
])
def test_anything_less_is_not(fields: dict[str, object]) -> None:
    assert not is_sincere_praise(praise().model_copy(update=fields))
