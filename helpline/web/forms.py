"""The forms Twilio posts to its webhooks: application/x-www-form-urlencoded,
a few hundred bytes, read whole."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # as Starlette's own form parser; Twilio sends a few dozen


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
    and arrives whole. Decoded as Starlette does (latin-1, then UTF-8 escapes)."""
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != FORM:
        return Fields()
    body = await request.body()
    try:
        return Fields(parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except ValueError:
        raise HTTPException(400, f"More than {MAX_FIELDS} form fields") from None
