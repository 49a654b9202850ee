"""Why one part of a decision came out as it did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from udbudsregler.values.canonical import to_json

__all__ = ["Reason", "SharedList"]


class SharedList(list[Any]):
    """A list in the values of a reason that several decisions share (the routing and
    package reasons of one outcome): it reads, compares, prints and pickles as a list,
    and refuses to be changed, so that changing one decision's reasons cannot change
    another's."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a reason's values are shared by the decisions that have them: "
                        "copy the list (list(...)) to change it")

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (SharedList, (list(self),))


@dataclass(frozen=True)
class Reason:
    """Why one part of a decision came out as it did."""

    kind: str  # criterion | target_group | area | routing | supplier | package
    id: str
    title: str
    #: None: the part could not be evaluated (a criterion whose computation failed while
    #: another criterion settled the decision); ``values`` then holds the error.
    met: bool | None
    legal_basis: str | None = None
    source: str | None = None
    reading: str | None = None
    #: The values the part was decided on: (name, value) in the order they were read.
    values: tuple[tuple[str, Any], ...] = ()
    #: For a criterion, the target group it belongs to.
    group: str | None = None
    #: Where the part is defined, as ``file:line`` relative to the policy's folder.
    at: str | None = None
    #: For a policy that extends another: the definitions of the base policy this part
    #: depends on and the derived policy replaced, as (kind, name, base policy, where).
    overrides: tuple[tuple[str, str, str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id, "title": self.title,
                               "met": self.met}
        for key in ("legal_basis", "source", "reading", "group", "at"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["values"] = {name: to_json(value) for name, value in self.values}
        if self.overrides:
            out["overrides"] = [{"kind": k, "name": n, "base": b, "at": a}
                                for k, n, b, a in self.overrides]
        return out
