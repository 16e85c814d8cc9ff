"""The forms Twilio posts to its webhooks: application/x-www-form-urlencoded,
a few hundred bytes, read whole."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # as Starlette's own form parser; Twilio sends a few dozen
# A text of 1,600 characters, each an emoji escaped in UTF-8, is under 20 KB.
MAX_BYTES = 64 * 1024


class Fields(dict[str, str]):
    """A form's fields, one value a name."""

    def getall(self, name: str) -> list[str]:
        """The multidict method twilio's RequestValidator tries first: given a
        plain dict it pays two caught exceptions a field, half the cost of
        checking a signature."""
        return [self[name]]


async def read_form(request: Request) -> Fields:
    """The posted form's fields (the last value of a repeated one); none if the
    body is not a form. Parsed by the standard library: Starlette's
    `request.form()` streams the body through python-multipart's parser, which
    took about a twentieth of an SMS turn's CPU for a body that is always small
    and arrives whole. Decoded as Starlette does (latin-1, then UTF-8 escapes).
    A body larger than any Twilio sends is refused (413) as it arrives, not
    held in memory."""
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != FORM:
        return Fields()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            raise HTTPException(413, f"A form of more than {MAX_BYTES // 1024} KB")
    try:
        return Fields(parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except ValueError:
        raise HTTPException(400, f"More than {MAX_FIELDS} form fields") from None
