"""The engine: one caller's turn, from what they did to what the helpline does.

Pure: no database, no clock, no network. The web layer loads the conversation,
calls `Engine.step`, renders the turn for its channel and saves the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from helpline.directory import Council, Directory
from helpline.engine import intents as i
from helpline.engine.conversation import Conversation
from helpline.engine.intents import Intent
from helpline.engine.machine import ANSWER, FlowMachine
from helpline.engine.reading import CHOICES, UNKNOWN, read_answer
from helpline.engine.turn import Line, OptOut, RequestCallback, Summary, TextCaller, Turn
from helpline.flow import HELP, Flow
from helpline.prompts import Catalogue
from helpline.rules.reminders import Reminder, plan
from helpline.rules.routes import Advice, Capacity, Dispute, Situation, advise

# Deployments with more councils than keys say so and carry on by SMS.
MAX_VOICE_COUNCILS = 8
RETURN = "return"  # the help menu's "back to my question"


@dataclass
class Engine:
    flow: Flow
    catalogue: Catalogue
    directory: Directory
    voice_councils: list[Council] = field(default_factory=list)
    reminder_days: tuple[int, ...] = (14, 7, 2)

    def __post_init__(self) -> None:
        self.machine = FlowMachine(self.flow)

    def step(self, conv: Conversation, intent: Intent, today: date) -> Turn:
        """Decide one turn. Changes `conv` in place; returns what to say and do."""
        turn = Turn(intent.channel)
        if conv.opted_out:
            if intent.command == i.START:
                conv.opted_out = False
                turn.lines.append(Line("messages.restarted_messages"))
                return self._ask(conv, turn, today)
            if intent.channel == "sms":
                if intent.command == i.HELP:
                    turn.lines.append(Line("messages.help_opted_out"))  # carriers require HELP to be answered
                else:
                    turn.silent = True
                return turn
        if intent.command == i.START or (intent.command == i.UPDATE and not self._at_end(conv)):
            intent = Intent(intent.channel, text=intent.text)  # "yes" is an answer when opted in
        if conv.state is None:
            conv.state = self.flow.start
            turn.lines += [Line("messages.welcome"), *self._keys(turn)]
            return self._ask(conv, turn, today)
        if intent.command == i.ARRIVE:
            turn.lines += [Line("messages.welcome_back"), *self._keys(turn)]
            return self._ask(conv, turn, today)
        if intent.command is not None:
            return self._command(conv, intent.command, turn, today)
        return self._answer(conv, intent, turn, today)

    # -- commands -----------------------------------------------------------

    def _command(self, conv: Conversation, command: str, turn: Turn, today: date) -> Turn:
        if command in (i.HELP, i.UPDATE) and conv.state != command and command in self.flow.questions:
            conv.history.append(conv.state)
            self.machine.fire(conv, command)
        elif command in (i.REMINDERS_OFF, i.REMINDERS_ON):
            conv.answers["reminders"] = "no" if command == i.REMINDERS_OFF else "yes"
            turn.lines.append(Line(f"messages.{command}"))
            turn.reminders = self._reminders(conv, today)
        elif command in (i.BACK, RETURN):
            self._back(conv, turn)
        elif command == i.RESTART:
            conv.answers.clear()
            conv.history.clear()
            conv.state = self.flow.start
            turn.lines.append(Line("messages.restarted"))
            turn.reminders = ()  # the old answers' dates no longer apply
        elif command == i.STOP:
            self._leave_help(conv)
            conv.opted_out = True
            turn.lines.append(Line("messages.stopped"))
            turn.effects.append(OptOut())
            turn.hangup = True
            return turn
        elif command == i.ADVISER:
            self._adviser(conv, turn)
        elif command == i.SILENCE:
            return self._not_understood(conv, turn, "messages.no_input", today)
        return self._ask(conv, turn, today)  # also REPEAT, and START while opted in

    def _back(self, conv: Conversation, turn: Turn) -> None:
        if conv.history:
            conv.state = conv.history.pop()
        else:
            turn.lines.append(Line("messages.first_question"))

    def _leave_help(self, conv: Conversation) -> None:
        """Back to the question the caller asked for help on."""
        if conv.state == HELP:
            conv.state = conv.history.pop() if conv.history else self.flow.start

    def _adviser(self, conv: Conversation, turn: Turn) -> None:
        self._leave_help(conv)
        if conv.can_text:
            turn.lines.append(Line("messages.adviser_requested"))
            turn.effects.append(RequestCallback(conv.state))
        else:
            turn.lines.append(Line("messages.adviser_needs_number"))

    # -- answers ------------------------------------------------------------

    def _answer(self, conv: Conversation, intent: Intent, turn: Turn, today: date) -> Turn:
        question = self.flow.questions[conv.state]
        if question.kind == "end":
            if turn.channel == "sms":
                turn.lines.append(Line("messages.done"))
                return turn
            return self._ask(conv, turn, today)
        reading = read_answer(
            question, intent, self.catalogue, self.directory, self.voice_councils, conv.answers, today
        )
        conv.answers.pop(CHOICES, None)
        if reading.choices:
            conv.answers[CHOICES] = ",".join(council.code for council in reading.choices)
            names = [council.name for council in reading.choices]
            turn.lines.append(Line(f"messages.{reading.problem}", {"choices": names}))
            return turn
        if reading.value is None:
            return self._not_understood(conv, turn, f"messages.{reading.problem}", today)
        conv.reprompts = 0
        option = next((o for o in question.options if o.value == reading.value), None)
        if option and option.do:
            return self._command(conv, option.do, turn, today)
        if option:
            conv.answers.update(option.sets)
        if question.saves:
            conv.answers[question.saves] = reading.value
        conv.history.append(conv.state)
        self.machine.fire(conv, ANSWER, reading.value)
        return self._ask(conv, turn, today)

    def _not_understood(self, conv: Conversation, turn: Turn, problem: str, today: date) -> Turn:
        if turn.channel == "voice":
            conv.reprompts += 1
            if conv.reprompts > self.flow.max_reprompts:
                conv.reprompts = 0
                return self._goodbye_by_text(conv, turn)
        turn.lines.append(Line(problem))
        return self._ask(conv, turn, today)

    def _goodbye_by_text(self, conv: Conversation, turn: Turn) -> Turn:
        turn.hangup = True
        if not conv.textable:
            turn.lines.append(Line("messages.goodbye_no_answer_no_text"))
            return turn
        turn.lines.append(Line("messages.goodbye_no_answer"))
        text = Turn("sms", [Line("messages.continue_by_text")], ask=conv.state)
        turn.effects.append(TextCaller(text))
        return turn

    # -- asking -------------------------------------------------------------

    def _ask(self, conv: Conversation, turn: Turn, today: date) -> Turn:
        """Finish a turn by asking the current question, or giving the summary."""
        question = self.flow.questions[conv.state]
        if question.kind == "end":
            return self._summary(conv, turn, today)
        if question.kind == "council" and turn.channel == "voice" and not self._voice_councils_fit():
            return self._council_by_text(conv, turn)
        turn.ask = conv.state
        return turn

    def _summary(self, conv: Conversation, turn: Turn, today: date) -> Turn:
        advice = advise(situation(conv.answers, today))
        reminders = self._reminders(conv, today, advice)
        turn.summary = Summary(advice, conv.answers.get("council"), today, bool(reminders))
        turn.reminders = reminders
        if turn.channel == "voice":
            turn.hangup = True
            if conv.textable:
                turn.lines.append(Line("messages.summary_by_text"))
                turn.effects.append(TextCaller(Turn("sms", summary=turn.summary)))
            else:
                reason = "summary_hidden_number" if not conv.can_text else "summary_no_texts"
                turn.lines.append(Line(f"messages.{reason}"))
        return turn

    def _reminders(self, conv: Conversation, today: date, advice: Advice | None = None) -> tuple[Reminder, ...]:
        """The reminders this caller should get from now on: none before their
        summary, and none if we cannot text them or they said NO REMINDERS."""
        if not conv.textable or conv.answers.get("reminders") == "no" or not self._at_end(conv):
            return ()
        return tuple(plan(advice or advise(situation(conv.answers, today)), today, self.reminder_days))

    def _at_end(self, conv: Conversation) -> bool:
        return conv.state is not None and self.flow.questions[conv.state].kind == "end"

    def _voice_councils_fit(self) -> bool:
        return 0 < len(self.voice_councils) <= MAX_VOICE_COUNCILS

    def _council_by_text(self, conv: Conversation, turn: Turn) -> Turn:
        if not conv.textable:
            turn.ask = conv.state  # no number to text: the voice menu is all there is
            return turn
        turn.lines.append(Line("messages.council_by_text"))
        turn.effects.append(TextCaller(Turn("sms", ask=conv.state)))
        turn.hangup = True
        return turn

    def _keys(self, turn: Turn) -> list[Line]:
        return [Line("messages.keys")] if turn.channel == "voice" else []


def situation(answers: dict[str, str], today: date) -> Situation:
    """The rules' view of the saved answers: typed, with "unknown" as None."""

    def day(name: str) -> date | None:
        value = answers.get(name)
        return date.fromisoformat(value) if value and value != UNKNOWN else None

    def yes(name: str) -> bool | None:
        return {"yes": True, "no": False}.get(answers.get(name, ""))

    dispute = answers.get("dispute")
    return Situation(
        capacity=Capacity(answers["capacity"]),
        today=today,
        dispute=Dispute(dispute) if dispute else None,
        decision_date=day("decision_date"),
        contacted_adviser=yes("contacted_adviser"),
        has_certificate=yes("has_certificate"),
        certificate_date=day("certificate_date"),
        wants_mediation=yes("wants_mediation"),
        told_adviser_date=day("told_adviser_date"),
        mediation_date=day("mediation_date"),
        resolved=answers.get("resolved") == "yes",
    )
