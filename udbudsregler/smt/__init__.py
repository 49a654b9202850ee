"""Static analysis of policies with an SMT solver (z3; the ``analysis`` extra).

- :func:`analyze`: ``udbudsregler analyze POLICY``: criteria that can never be true or
  false, unreachable target groups and areas, gaps, overlaps, packages and price
  models that cannot work, and every invariant proved or refuted
  (:mod:`udbudsregler.smt.analyze`);
- :func:`exact_diff`: ``udbudsregler diff OLD NEW --exact``: every kind of difference
  between two rounds with its band, a minimal witness and border citizens, or the proof
  that there is none (:mod:`udbudsregler.smt.exact`).

The encoding (:mod:`udbudsregler.smt.encode`) is one visitor over the lowered rule
graph with one encoding per primitive of the semantic table; the symbolic citizen
(:mod:`udbudsregler.smt.domain`) bounds histories to K records and dates to the host's
limits; the calendar (:mod:`udbudsregler.smt.calendar`) follows the policy's month-end
rule exactly. Whatever cannot be encoded is reported as unknown, never as a claim, and
every witness is confirmed by ``policy.decide`` before it is shown.
"""

from udbudsregler.smt.analyze import Analysis, Finding, analyze
from udbudsregler.smt.core import DEFAULT_K, DEFAULT_TIMEOUT
from udbudsregler.smt.exact import ExactDiff, Kind, exact_diff

__all__ = ["DEFAULT_K", "DEFAULT_TIMEOUT", "Analysis", "ExactDiff", "Finding", "Kind",
           "analyze", "exact_diff"]
