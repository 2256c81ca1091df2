"""What a client may send, checked before any parser or query sees it: JSON no deeper than the parsers
can take and no larger than a request needs, and ids within what the database's columns hold.

Without these, JSON nested 1,000 levels ends in Python's RecursionError and an id of 2**63 in the database
driver's overflow error: both were 500s with a traceback. app.py wires them in for every request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from werkzeug.routing import IntegerConverter, Map

from core.errors import PayloadTooLarge, ValidationFailed

# Ids are PostgreSQL `integer` columns (SQLite's INTEGER holds 2**63 - 1): the smaller bound, on both databases,
# so that an id answers the same everywhere.
MAX_DB_INT = 2**31 - 1
MAX_PAGE = 100_000  # the last page a list may ask for (page x per_page stays far inside the columns)
MAX_JSON_DEPTH = 32  # the deepest request body the API accepts is 3 levels (a product's specifications)
MAX_JSON_BYTES = 1024 * 1024  # a JSON request body (imports are JSON Lines and have their own limit)
JSON_LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines"})

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def json_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text (or JSON Lines) ``raw`` nests arrays and objects more than ``limit`` deep.

    No parsing: strings are cut out (brackets inside them do not count), then every innermost ``[]``/``{}``
    pair is removed, once per level, at most ``limit`` times; a pair still left is deeper. Brackets that
    cannot pair up (malformed text) count as levels too when there are more than ``limit`` of them: a parser
    would recurse into each before finding the text malformed. Fewer are left to the parser, which says
    where the text is malformed."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the common case, one pass in C
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    for _ in range(limit):
        fewer = _INNERMOST_PAIR.sub(b"", brackets)
        if len(fewer) == len(brackets):  # nothing pairs up any more: balanced and done, or malformed
            return brackets.count(b"[") + brackets.count(b"{") > limit
        brackets = fewer
    return bool(brackets)


def is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json") or mimetype in JSON_LINES_TYPES


def check_json_body(mimetype: str, content_length: int | None, read_body: Callable[[], bytes]) -> None:
    """Refuse a JSON body that is too large or too deep, with a problem naming ``body``.

    ``read_body`` returns the body (cached for the view that parses it next)."""
    if not is_json_type(mimetype):
        return
    if mimetype not in JSON_LINES_TYPES and content_length is not None and content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(
            f"a JSON request body is at most {MAX_JSON_BYTES // 1024} KB",
            errors=[{"field": "body", "reason": f"larger than {MAX_JSON_BYTES} bytes"}],
        )
    raw = read_body()
    if mimetype not in JSON_LINES_TYPES and len(raw) > MAX_JSON_BYTES:  # sent chunked, without a length
        raise PayloadTooLarge(
            f"a JSON request body is at most {MAX_JSON_BYTES // 1024} KB",
            errors=[{"field": "body", "reason": f"larger than {MAX_JSON_BYTES} bytes"}],
        )
    if json_deeper_than(raw, MAX_JSON_DEPTH):
        raise ValidationFailed(
            f"the JSON body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep",
            errors=[{"field": "body", "reason": f"nested more than {MAX_JSON_DEPTH} levels"}],
            code="body.too_deep",
        )


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0 to ``limit`` (leading zeros allowed), so that a rule
    does not even match a bigger one: a converter refusing it after the match makes Werkzeug answer 405
    when the same path has a rule for another method."""
    text = str(limit)
    shorter = ["0", f"[1-9][0-9]{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    same_length = [text]
    for i, digit in enumerate(text):
        low = 1 if i == 0 and len(text) > 1 else 0  # no leading zero in a number of full length
        if int(digit) > low:
            rest = len(text) - i - 1
            choice = f"[{low}-{int(digit) - 1}]" if int(digit) - 1 > low else str(low)
            same_length.append(text[:i] + choice + (f"[0-9]{{{rest}}}" if rest else ""))
    return "0*(?:" + "|".join(shorter + same_length) + ")"


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id the database can hold, else no route matches (404)."""

    regex = digits_at_most(MAX_DB_INT)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)
