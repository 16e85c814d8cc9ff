"""Turning a turn's lines, question and summary into the words of one channel.

Shared by the SMS and voice channels, which differ only in how options are
listed and how the words are wrapped (Messaging or Voice TwiML).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from helpline.directory import Council, Directory
from helpline.engine.intents import TEXT_COMMANDS
from helpline.engine.turn import Summary, Turn
from helpline.engine.words import normalise
from helpline.flow import Flow
from helpline.prompts import Catalogue
from helpline.rules.reminders import Reminder


@dataclass(frozen=True)
class Words:
    flow: Flow
    catalogue: Catalogue
    directory: Directory
    voice_councils: list[Council]
    # Words that are the same every time they are said (a menu's options, a
    # council's contacts), made once: most turns say some of them.
    _made: dict[tuple[str, str | None], str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def commands(self) -> dict[str, str]:
        """Each word a caller may text as a command, normalised, and its command;
        worked out once, as every text is looked up here."""
        return {
            normalise(word): command
            for command in TEXT_COMMANDS
            for word in self.catalogue.words(f"commands.{command}")
        }

    def lines(self, turn: Turn) -> list[str]:
        """What to say before the question: the turn's own lines; on the phone, the
        summary first (by SMS the summary is texts of its own: `summary_texts`)."""
        said = [self.catalogue.render(line.key, turn.channel, **line.values) for line in turn.lines]
        if turn.summary is not None and turn.channel == "voice":
            said = self.summary(turn.summary, "voice") + said
        return said

    def ask(self, question_name: str, channel: str) -> str:
        return self.catalogue.render(f"questions.{question_name}.ask", channel)

    def _once(self, key: tuple[str, str | None], make: Callable[[], str]) -> str:
        """The words `make` gives, made the first time `key` is asked for."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def sms_options(self, question_name: str) -> str:
        """Numbered option lines for an SMS menu ("1 Parent or carer"), one a line."""
        options = self.flow.questions[question_name].options
        return self._once(("sms_options", question_name), lambda: "\n".join(
            f"{number} {self.catalogue.render(f'questions.{question_name}.options.{option.value}', 'sms')}"
            for number, option in enumerate(options, start=1)
        ))

    def voice_options(self, question_name: str) -> list[str]:
        """Spoken option sentences for a keypad menu ("... press 1.")."""
        question = self.flow.questions[question_name]
        if question.kind == "council":
            template = f"questions.{question_name}.option"
            return [
                self.catalogue.render(template, "voice", council=council.name, key=number)
                for number, council in enumerate(self.voice_councils, start=1)
            ]
        return [
            self.catalogue.render(f"questions.{question_name}.options.{option.value}", "voice", key=number)
            for number, option in enumerate(question.options, start=1)
        ]

    def summary(self, summary: Summary, channel: str) -> list[str]:
        """The route and the caller's steps with their dates (all the phone says);
        by SMS also the notes and, when reminders are on, how to change them."""
        advice = summary.advice
        render = self.catalogue.render
        said = [render(f"summary.routes.{advice.route}", channel)]
        for step in advice.steps:
            form = "dated" if step.due else "undated"
            said.append(render(f"summary.steps.{step.key}.{form}", channel, due=step.due))
            if step.due and step.due < summary.today:
                said.append(render("summary.steps.passed", channel))
        if channel == "voice":
            return said
        said.append(" ".join(render(f"summary.notes.{note}", "sms") for note in advice.notes))
        if summary.reminders:
            said.append(render("summary.reminders", "sms"))
        return [render("summary.heading", "sms"), *[line for line in said if line]]

    def summary_texts(self, summary: Summary) -> list[str]:
        """The summary by SMS, as two texts: the route and dates, then who to
        contact; each within its segment budget, and the second one to keep."""
        def contacts() -> str:
            said = self.contacts(self.directory.get(summary.council))
            return "\n".join([*said, self.catalogue.render("summary.keep_copies", "sms")])

        return ["\n".join(self.summary(summary, "sms")), self._once(("contacts", summary.council), contacts)]

    def contacts(self, council: Council | None) -> list[str]:
        """Who to contact, as the operators' directory has it, with when it was checked;
        where it has no mediation contact, where to find one, never a guess."""
        render = self.catalogue.render
        said = []
        if council is not None:
            said.append(render("summary.contacts.heading", "sms", council=council.name))
            for key, contact in (("provider", council.mediation), ("adviser", council.adviser), ("sendiass", council.sendiass)):
                if contact:
                    said.append(_tidy(render(f"summary.contacts.{key}", "sms", **vars(contact))))
            if council.local_offer:
                said.append(render("summary.contacts.local_offer", "sms", url=council.local_offer))
        if council is None or not (council.mediation or council.adviser):
            said.append(render("summary.contacts.no_entry", "sms"))
        if council is not None and council.checked and council.has_contacts:
            said.append(render("summary.contacts.checked", "sms", checked=council.checked))
        said.append(render("summary.contacts.national", "sms"))
        return said

    def reminder(self, reminder: Reminder) -> str:
        """A reminder or check-in text: what, by when, and how to change or stop it."""
        render = self.catalogue.render
        about = render(f"reminders.{reminder.kind}.{reminder.step}", "sms", due=reminder.due)
        return f"{about}\n{render('reminders.footer', 'sms')}"


def _tidy(text: str) -> str:
    """Close the gaps that empty contact fields leave."""
    return " ".join(text.split())
