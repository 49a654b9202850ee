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
"""

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
from udbudsregler.version import __version__

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
