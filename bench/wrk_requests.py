"""Signed, Twilio-shaped requests for wrk: a Lua file that replays them in order,
each wrk thread taking every n-th one, so no request is sent twice.

Many callers at a time, round-robin, each a new caller who texts one whole
conversation (or keys one whole call), so the flow really advances: a caller
who has finished has only cheap re-prompts left, which would flatter a turn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token"
HELPLINE_NUMBER = "+447700900000"
# The URL Twilio calls, set as PUBLIC_BASE_URL, as a deployment behind a proxy
# sets it (README: Deploying); requests are signed against it.
PUBLIC = "https://helpline.example"
# The decision letter's date: eight weeks before today, as 3 October 2026 was
# when the README's figures began (28 Nov 2026): the deadline days ahead, a
# reminder still to come. A fixed date falls out of the appeal's time limit as
# the calendar moves on, and the bench would measure another conversation.
LETTER = date.today() - timedelta(weeks=8)
SMS_SCRIPT = ["hi", "1", "2", f"{LETTER.day} {LETTER:%B %Y}", "no", "yes", "manchester", "update", "4", "repeat"]
KEYS_SCRIPT = ["", "1", "2", f"{LETTER:%d%m%Y}", "2", "1", "1"]  # "" is the incoming call


def caller_number(index: int) -> str:
    """A valid UK mobile number per caller (07400 0xxxxx). Requests never leave
    loopback: texts go to the fake Twilio API. Ofcom's drama range has only 1,000
    numbers, and the helpline (rightly) ignores numbers that are not valid."""
    if not 0 <= index < 100_000:
        raise ValueError(f"caller {index}: the bench's numbers run from 0 to 99,999")
    return f"+4474000{index:05d}"


def _conversations(count: int, callers: int, length: int, first_caller: int) -> Iterator[tuple[int, int, int, int]]:
    """Each of `count` requests' (n, caller, conversation, step): `callers`
    conversations of `length` steps under way at once, round-robin, each from
    a new caller, numbered on from `first_caller`."""
    for n in range(count):
        conversation, step = divmod(n // callers, length)
        yield n, first_caller + n % callers + conversation * callers, conversation, step


def callers_taken(count: int, callers: int, length: int) -> int:
    """The caller numbers `count` requests take, `callers` conversations of
    `length` steps at a time (sms_requests: len(SMS_SCRIPT); voice_requests:
    len(KEYS_SCRIPT)), one after another from the first; the last
    conversations may not all begin."""
    return callers * -(-count // (callers * length))


def sms_requests(count: int, callers: int, base_url: str, first_caller: int = 0) -> list[tuple[str, str, str]]:
    """`callers` conversations at a time, each from a new caller who texts the
    whole script."""
    validator = RequestValidator(AUTH_TOKEN)
    requests = []
    for n, caller, _, step in _conversations(count, callers, len(SMS_SCRIPT), first_caller):
        form = {
            "MessageSid": f"SM{first_caller:08x}{n:024x}",
            "AccountSid": ACCOUNT_SID,
            "From": caller_number(caller),
            "To": HELPLINE_NUMBER,
            "Body": SMS_SCRIPT[step],
        }
        path = "/twilio/sms"
        requests.append((path, urlencode(form), validator.compute_signature(base_url + path, form)))
    return requests


def voice_requests(count: int, callers: int, base_url: str, first_caller: int = 0) -> list[tuple[str, str, str]]:
    """`callers` calls at a time, each from a new caller who keys through the
    whole flow (a caller who has finished hears their summary and is hung up
    on, so their later keys would not be turns of a call)."""
    validator = RequestValidator(AUTH_TOKEN)
    requests = []
    for n, caller, call, step in _conversations(count, callers, len(KEYS_SCRIPT), first_caller):
        form = {
            "CallSid": f"CA{caller:016x}{call:016x}",
            "AccountSid": ACCOUNT_SID,
            "From": caller_number(caller),
            "To": HELPLINE_NUMBER,
            "CallStatus": "in-progress",
        }
        if step == 0:
            path = "/twilio/voice"
        else:
            path = f"/twilio/voice/answer?turn={n // callers}"
            form["Digits"] = KEYS_SCRIPT[step]
        requests.append((path, urlencode(form), validator.compute_signature(base_url + path, form)))
    return requests


def write_lua(requests: list[tuple[str, str, str]], threads: int, path: Path) -> None:
    """A wrk script replaying `requests`, each thread every `threads`-th one. The
    requests go in a file beside it, one a line, which each thread reads at its
    start: a Lua table literal of them stops loading somewhere past 60,000
    (wrk then sends its own GET /), and a fast machine answers more than that
    in a slice."""
    data = path.with_suffix(".requests")
    data.write_text("".join(f"{p}\t{b}\t{s}\n" for p, b, s in requests), encoding="utf-8")
    path.write_text(
        f"""local threads = {threads}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  id = wrk.thread:get("id")
  reqs = {{}}
  local n = 0
  for line in io.lines({_lua_string(str(data))}) do
    if n % threads == id then
      local p, b, s = line:match("^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)$")
      reqs[#reqs + 1] = wrk.format("POST", p, {{["Content-Type"] = "application/x-www-form-urlencoded",
                                                 ["X-Twilio-Signature"] = s}}, b)
    end
    n = n + 1
  end
  i = 0
end
function request()
  local r = reqs[(i % #reqs) + 1]
  i = i + 1
  return r
end
""",
        encoding="utf-8",
    )


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
