"""Failures of computing with values a checked policy allows are evaluation errors.

The checker rejects what it can tell before a decision or a settlement (a negative
duration, a number of thousands of digits); what only the values of one referral can
tell (a referral near the end of the calendar, a duration of one month minus 40 days)
surfaces in the value types as ``DateRangeError``, ``OverflowError`` or ``ValueError``.
:func:`evaluation_errors` turns those into :class:`EvaluationError` (UDB701 for dates,
UDB705 for other values), so a host never sees a non-library exception for them.
Programming errors (``TypeError``, ``KeyError``, ``AssertionError``) pass through: they
are bugs, not input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from pydantic_core import ValidationError

from udbudsregler.diagnostics import EvaluationError, UdbudsreglerError
from udbudsregler.values.temporal import DateRangeError

__all__ = ["evaluation_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def evaluation_errors(function: Callable[P, R]) -> Callable[P, R]:
    """``function``, with calendar overflows and out-of-range values as EvaluationError."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except UdbudsreglerError:
            raise
        except (DateRangeError, OverflowError) as error:
            raise EvaluationError("UDB701", f"a date falls outside the calendar: {error}") \
                from None
        except ValidationError:  # pydantic's: a bug if it gets here, not a value
            raise
        except (ArithmeticError, ValueError) as error:
            raise EvaluationError("UDB705", "a value is outside what the operation accepts: "
                                  f"{error}") from None

    return guarded
