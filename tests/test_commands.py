"""HELP, BACK, REPEAT, RESTART, STOP and the adviser request, in both channels and
at several depths; invalid answers at every question; silence on the phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpline.storage.models import CallbackRequest
from tests.conftest import CALLER, Phone

# SMS answers that take a caller to each question, and the words that ask it.
PATH = [
    ("Hi", "Who are you?"),
    ("1", "What is the disagreement about?"),
    ("2", "What date is on the council's decision letter?"),
    ("3 October 2026", "Have you already contacted the council's mediation adviser?"),
    ("yes", "Has the mediation adviser given you a mediation certificate?"),
    ("yes", "What date is on the certificate?"),
    ("20 November 2026", "Which council is it?"),
]
KEYS = ["1", "2", "03102026", "1", "1", "20112026"]


async def _go_to(phone: Phone, depth: int) -> str:
    reply = ""
    for text, _ in PATH[: depth + 1]:
        reply = await phone.text(text)
    assert PATH[depth][1] in reply
    return reply


@pytest.mark.parametrize("depth", range(1, len(PATH)))
@pytest.mark.parametrize("word", ["BACK", "back", "Back.", "go back"])
async def test_sms_back_goes_to_the_previous_question(phone: Phone, depth: int, word: str) -> None:
    await _go_to(phone, depth)
    assert PATH[depth - 1][1] in await phone.text(word)


async def test_sms_back_at_the_first_question_says_so(phone: Phone) -> None:
    await _go_to(phone, 0)
    reply = await phone.text("back")
    assert "This is the first question." in reply and "Who are you?" in reply


async def test_sms_back_then_a_new_answer_changes_the_route(phone: Phone) -> None:
    await _go_to(phone, 2)
    await phone.text("back")
    assert "Which council is it?" in await phone.text("sen support")
    assert "Your route: disagreement resolution." in await phone.text("kent")


@pytest.mark.parametrize("depth", range(len(PATH)))
@pytest.mark.parametrize("word", ["REPEAT", "repeat!", "again"])
async def test_sms_repeat_asks_the_same_question(phone: Phone, depth: int, word: str) -> None:
    asked = await _go_to(phone, depth)
    again = await phone.text(word)
    assert PATH[depth][1] in again
    assert again.splitlines()[-1] == asked.splitlines()[-1]


@pytest.mark.parametrize("depth", [1, 3, 6])
@pytest.mark.parametrize("word", ["RESTART", "Start again", "restart."])
async def test_sms_restart_forgets_the_answers(phone: Phone, depth: int, word: str) -> None:
    await _go_to(phone, depth)
    reply = await phone.text(word)
    assert reply.startswith("OK, starting again.") and "Who are you?" in reply
    await phone.text("4")  # a school this time: straight to the council
    assert "Schools cannot use mediation or appeal." in await phone.text("kent")


@pytest.mark.parametrize("depth", [0, 2, 5])
async def test_sms_help_then_back_to_the_question(phone: Phone, depth: int) -> None:
    await _go_to(phone, depth)
    help_text = await phone.text("HELP")
    assert "general information on SEND disagreements, not legal advice" in help_text
    assert "1 Ask an adviser to call me" in help_text and "4 Back to my question" in help_text
    assert PATH[depth][1] in await phone.text("4")


@pytest.mark.parametrize("depth", [0, 3, 6])
@pytest.mark.parametrize("how", ["ADVISER", "call me", "help-menu"])
async def test_sms_adviser_request_is_recorded_and_the_question_stays(phone: Phone, helpline, depth: int, how: str) -> None:
    await _go_to(phone, depth)
    if how == "help-menu":
        await phone.text("help")
        reply = await phone.text("1")
    else:
        reply = await phone.text(how)
    assert "An adviser will call you back on this number." in reply
    assert PATH[depth][1] in reply
    async with helpline.sessions() as session:
        [request] = (await session.execute(select(CallbackRequest))).scalars().all()
    assert request.channel == "sms"
    assert request.question == ["capacity", "dispute", "decision_date", "contacted_adviser",
                                "has_certificate", "certificate_date", "council"][depth]


async def test_sms_stop_is_confirmed_once_then_silence_until_start(phone: Phone) -> None:
    await _go_to(phone, 2)
    assert "You will get no more messages from the helpline. Text START" in await phone.text("STOP")
    assert await phone.text("hello?") == ""
    assert await phone.text("stop") == ""
    reply = await phone.text("START")
    assert "You will get messages from the helpline again." in reply
    assert PATH[2][1] in reply


@pytest.mark.parametrize(
    "depth, nonsense, re_prompt",
    [
        (0, "banana", "Sorry, I did not understand that."),
        (0, "7", "Sorry, I did not understand that."),
        (1, "the moon", "Sorry, I did not understand that."),
        (2, "yesterday-ish", "Please text the date like this: 3 March 2027."),
        (2, "31/02/2026", "That date is not in the calendar."),
        (2, "3 March 2027", "That date is in the future."),
        (2, "3 March 2025", "That is more than a year ago."),
        (3, "perhaps", "Sorry, I did not understand that."),
        (4, "0", "Sorry, I did not understand that."),
        (5, "1 October 2026", "The certificate cannot be dated before the decision letter."),
        (6, "Narnia", "Sorry, I could not find that council."),
        (6, "dont know", "It is the council that sent the decision letter"),
    ],
)
async def test_sms_invalid_answer_re_prompts_at_every_question(phone: Phone, depth: int, nonsense: str, re_prompt: str) -> None:
    await _go_to(phone, depth)
    reply = await phone.text(nonsense)
    assert reply.startswith(re_prompt)
    assert PATH[depth][1] in reply
    if depth < len(PATH) - 1:
        assert PATH[depth + 1][1] in await phone.text(PATH[depth + 1][0])


async def test_sms_menu_takes_number_word_or_keyword(phone: Phone) -> None:
    await _go_to(phone, 1)
    await phone.text("back")
    assert "What is the disagreement about?" in await phone.text("Parent")
    assert "What date" in await phone.text("two")


async def test_sms_after_the_summary(phone: Phone) -> None:
    for text, _ in PATH:
        await phone.text(text)
    summary = await phone.text("kent")
    assert "Your route:" in summary
    assert "You have had your summary." in await phone.text("thanks")
    assert await phone.text("repeat") == summary


# -- the keypad --------------------------------------------------------------


async def _call_to(phone: Phone, depth: int) -> str:
    heard = await phone.call_through(KEYS[:depth])
    assert PATH[depth][1].replace("Who are you?", "who are you?") in heard
    return heard


async def test_voice_first_menu_says_the_fixed_keys(phone: Phone) -> None:
    heard = await phone.call()
    assert "press star to hear it again, zero to go back, or hash for help" in heard
    assert "general information, not legal advice" in heard
    assert "We keep your phone number and your answers" in heard


@pytest.mark.parametrize("depth", range(1, len(KEYS) + 1))
async def test_voice_zero_goes_back(phone: Phone, depth: int) -> None:
    await _call_to(phone, depth)
    assert PATH[depth - 1][1].replace("Who are you?", "who are you?") in await phone.press("0")


@pytest.mark.parametrize("depth", [0, 2, 4])
async def test_voice_star_repeats(phone: Phone, depth: int) -> None:
    heard = await _call_to(phone, depth)
    again = await phone.press("*")
    assert again.splitlines()[-1] == heard.splitlines()[-1]


@pytest.mark.parametrize("depth", [0, 3, 5])
async def test_voice_hash_help_menu(phone: Phone, helpline, depth: int) -> None:
    await _call_to(phone, depth)
    heard = await phone.press("#")
    assert "To ask an adviser to call you back, press 1." in heard
    assert "To go back to your question, press 4." in heard
    heard = await phone.press("1")
    assert "An adviser will call you back on this number." in heard
    assert PATH[depth][1].replace("Who are you?", "who are you?") in heard
    async with helpline.sessions() as session:
        [request] = (await session.execute(select(CallbackRequest))).scalars().all()
    assert request.channel == "voice"


async def test_voice_help_menu_restart(phone: Phone) -> None:
    await _call_to(phone, 3)
    await phone.press("#")
    assert "OK, let's start again." in await phone.press("2")
    assert "press 1" in phone.heard[-5]


@pytest.mark.parametrize("depth", range(len(KEYS) + 1))
async def test_voice_wrong_key_re_prompts(phone: Phone, depth: int) -> None:
    await _call_to(phone, depth)
    heard = await phone.press("9" if depth not in (2, 5) else "1234")
    assert heard.startswith(("Sorry, I did not get that.", "Please key the date as 8 digits"))
    assert PATH[depth][1].replace("Who are you?", "who are you?") in heard


async def test_voice_silence_three_re_prompts_then_goodbye_and_a_text(phone: Phone, fake_twilio) -> None:
    await _call_to(phone, 1)
    for _ in range(3):
        heard = await phone.silence()
        assert heard.startswith("Sorry, I did not hear anything.")
        assert "What is the disagreement about?" in heard
        assert not phone.hung_up
    heard = await phone.silence()
    assert "We are sending you a text so you can carry on by text. Goodbye." in heard
    assert phone.hung_up
    [texted] = fake_twilio.messages
    assert texted["to"] == CALLER
    assert "you can carry on by text" in texted["body"]
    assert "What is the disagreement about?" in texted["body"] and "2 EHC needs assessment refused" in texted["body"]


async def test_voice_a_right_answer_resets_the_re_prompt_count(phone: Phone) -> None:
    await _call_to(phone, 0)
    for _ in range(3):
        await phone.silence()
    await phone.press("1")
    for _ in range(3):
        await phone.silence()
    assert not phone.hung_up


async def test_voice_stop_from_the_help_menu_means_no_more_texts(phone: Phone, fake_twilio) -> None:
    await _call_to(phone, 1)
    await phone.press("#")
    assert "You will get no more text messages from the helpline." in await phone.press("3")
    assert phone.hung_up
    assert "What is the disagreement about?" in await phone.call()
    await phone.press("8")
    heard = await phone.press("1")
    assert "You asked us not to text you, so we have not sent this summary." in heard
    assert "Your route is to talk" in heard or "SENDIASS" in heard
    assert phone.hung_up and fake_twilio.messages == []
    assert "You will get messages from the helpline again." in await phone.text("START")
