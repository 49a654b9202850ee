"""udbudsregler: a rules engine with a YAML policy language for Danish municipal
tenders for employment services.

The host API::

    import udbudsregler as ur

    policy = ur.load_policy("policies/slagelse-2019")
    decision = policy.decide(facts, on=date(2019, 2, 1))
    decision.eligible, decision.target_groups, decision.reasons
    print(decision.explain())
    record = decision.to_dict()                    # store it; later:
    ur.replay(record, "policies/slagelse-2019").same

The names below are imported when they are first used (PEP 562), so that importing the
package costs little, and a policy read from the compiled-policy cache never imports the
compiler (the YAML checks, the expression parser, the checker).
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from udbudsregler.version import __version__

if TYPE_CHECKING:
    from udbudsregler.diagnostics import (
        Diagnostic,
        EvaluationError,
        FactError,
        FactProblem,
        PolicyError,
        Span,
        UdbudsreglerError,
    )
    from udbudsregler.loader.file_schema import policy_file_schema
    from udbudsregler.loader.yaml_loader import Limits
    from udbudsregler.policy import Policy, load_policy
    from udbudsregler.replay import Difference, Replay, replay
    from udbudsregler.runtime.decision import Decision, Reason
    from udbudsregler.runtime.routing import (
        AreaChoice,
        Order,
        PackageChoice,
        SupplierChoice,
        SupplierState,
    )
    from udbudsregler.runtime.settlement import (
        BonusStatus,
        Referral,
        ReferralEnd,
        Settlement,
        SettlementLine,
    )
    from udbudsregler.runtime.trace import RecordingTracer, TraceEvent, Tracer
    from udbudsregler.stages import STAGE_NAMES, STAGES, run_stages
    from udbudsregler.values.money import Money, Rounding
    from udbudsregler.values.temporal import Duration, Period

#: Where each public name is defined.
_WHERE: dict[str, str] = {
    **dict.fromkeys(("Diagnostic", "EvaluationError", "FactError", "FactProblem",
                     "PolicyError", "Span", "UdbudsreglerError"), "udbudsregler.diagnostics"),
    "policy_file_schema": "udbudsregler.loader.file_schema",
    "Limits": "udbudsregler.loader.yaml_loader",
    **dict.fromkeys(("Policy", "load_policy"), "udbudsregler.policy"),
    **dict.fromkeys(("Difference", "Replay", "replay"), "udbudsregler.replay"),
    **dict.fromkeys(("Decision", "Reason"), "udbudsregler.runtime.decision"),
    **dict.fromkeys(("AreaChoice", "Order", "PackageChoice", "SupplierChoice",
                     "SupplierState"), "udbudsregler.runtime.routing"),
    **dict.fromkeys(("BonusStatus", "Referral", "ReferralEnd", "Settlement",
                     "SettlementLine"), "udbudsregler.runtime.settlement"),
    **dict.fromkeys(("RecordingTracer", "TraceEvent", "Tracer"), "udbudsregler.runtime.trace"),
    **dict.fromkeys(("STAGES", "STAGE_NAMES", "run_stages"), "udbudsregler.stages"),
    **dict.fromkeys(("Money", "Rounding"), "udbudsregler.values.money"),
    **dict.fromkeys(("Duration", "Period"), "udbudsregler.values.temporal"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'udbudsregler' has no attribute {name!r}")
    value = getattr(import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


class _Package(ModuleType):
    """``udbudsregler.replay`` is a function, as the package has always exported it, and
    also the name of the module that defines it; importing that module sets the package's
    attribute to the module (the import system does), which would hide the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "replay" and isinstance(value, ModuleType):
            value = value.replay
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "STAGES",
    "STAGE_NAMES",
    "AreaChoice",
    "BonusStatus",
    "Decision",
    "Diagnostic",
    "Difference",
    "Duration",
    "EvaluationError",
    "FactError",
    "FactProblem",
    "Limits",
    "Money",
    "Order",
    "PackageChoice",
    "Period",
    "Policy",
    "PolicyError",
    "Reason",
    "RecordingTracer",
    "Referral",
    "ReferralEnd",
    "Replay",
    "Rounding",
    "Settlement",
    "SettlementLine",
    "Span",
    "SupplierChoice",
    "SupplierState",
    "TraceEvent",
    "Tracer",
    "UdbudsreglerError",
    "__version__",
    "load_policy",
    "policy_file_schema",
    "replay",
    "run_stages",
]
