"""The flow as a `transitions` state machine, built once and shared by all turns.

Building a Machine costs milliseconds, so it is built at start-up. A turn
calls the trigger's Event with a small model holding its conversation's state,
which is all the trigger method `add_model` would attach does; attaching one
(a method per state and trigger, taken off again after) cost more than the
transition itself. The shared machine never holds a conversation.
"""

from __future__ import annotations

from collections.abc import Callable

from transitions import EventData, Machine

from helpline.engine.conversation import Conversation
from helpline.flow import HELP, UPDATE, Branch, Flow

ANSWER = "answer"


class FlowMachine:
    """Where an answer leads: one guarded `answer` transition per option and branch."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.machine = Machine(
            model=None,
            states=list(flow.questions),
            initial=flow.start,
            send_event=True,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for question in flow.questions.values():
            for option in question.options:
                if option.next:
                    self.machine.add_transition(
                        ANSWER, question.name, option.next, conditions=[_chose(option.value)]
                    )
            for branch in question.next:
                self.machine.add_transition(
                    ANSWER, question.name, branch.goto, conditions=[_answers_match(branch)]
                )
        if HELP in flow.questions:
            others = [name for name in flow.questions if name != HELP]
            self.machine.add_transition(HELP, others, HELP)
        if UPDATE in flow.questions:
            ends = [q.name for q in flow.questions.values() if q.kind == "end"]
            self.machine.add_transition(UPDATE, ends, UPDATE)

    def fire(self, conversation: Conversation, trigger: str, value: str | None = None) -> bool:
        """Fire one trigger for this conversation; True if it moved."""
        model = _Model(conversation.state, conversation.answers)
        moved = bool(self.machine.events[trigger].trigger(model, value=value))
        conversation.state = model.state
        return moved


class _Model:
    def __init__(self, state: str | None, answers: dict[str, str]) -> None:
        self.state = state
        self.answers = answers


def _chose(value: str) -> Callable[[EventData], bool]:
    return lambda event: event.kwargs.get("value") == value


def _answers_match(branch: Branch) -> Callable[[EventData], bool]:
    return lambda event: branch.matches(event.model.answers)
