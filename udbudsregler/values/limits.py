"""The limits of what a host may hand the library (documented in ``docs/errors.md``,
input limits): the converters of :mod:`udbudsregler.values.convert` and the generated
fast check of canonical facts (:mod:`udbudsregler.codegen.factcheck`) both hold them; and
how much of a value a message echoes (:func:`shown`)."""

from __future__ import annotations

from datetime import date

__all__ = ["EARLIEST", "LATEST", "MAX_DURATION_YEARS", "MAX_PLACES", "NUMBER_LIMIT", "shown",
           "valid_text"]

#: Dates must lie in this range; outside it they are surely mistakes, and date
#: arithmetic on them cannot leave the calendar.
EARLIEST = date(1850, 1, 1)
LATEST = date(2200, 12, 31)
#: Numbers must be smaller than this in size (18 digits before the decimal point).
NUMBER_LIMIT = 10**18
#: ... and no finer than this many decimal places (a number's first digit lies at most
#: this many places after the point; zero is written with at most this many places).
MAX_PLACES = 18
#: A duration is at most this long.
MAX_DURATION_YEARS = 1000


def valid_text(value: str) -> bool:
    """Whether ``value`` is text every output can write (no lone surrogates)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str, limit: int = 40) -> str:
    """``text`` as it may appear in a message: at most ``limit`` characters (a 50 MB value
    is not echoed back), and printable whatever the output's encoding can do with lone
    surrogates (``\\ud800`` is written as that escape)."""
    cut = text[:limit]
    if not cut.isascii():
        cut = cut.encode("utf-8", "backslashreplace").decode("utf-8")
    return cut if len(text) <= limit else f"{cut}... ({len(text):,} characters)"
