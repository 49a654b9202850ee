"""Evaluation of compiled policies, and the exact values it computes with.

The value library lives in small modules with no dependencies beyond the
standard library: :mod:`udbudsregler.runtime.money` (amounts and rounding),
:mod:`udbudsregler.runtime.temporal` (durations, periods, ages, spells and
windows) and :mod:`udbudsregler.runtime.format` (Danish and English text for
explanations). Nothing here uses floating point.
"""
