"""Evaluation of compiled policies, and the exact values it computes with.

The value library lives in small modules with no dependencies beyond the
standard library: :mod:`udbudsregler.values.money` (amounts and rounding),
:mod:`udbudsregler.values.temporal` (durations, periods, ages, spells and
windows) and :mod:`udbudsregler.values.wording` (Danish, English and Swedish text for
explanations). Nothing here uses floating point.
"""
