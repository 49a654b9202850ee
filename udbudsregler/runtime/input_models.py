"""Pydantic models of the inputs besides the facts: order, supplier state, referral,
outcomes.

:func:`build_models` makes them for one policy (its packages, suppliers, areas and
outcomes as enums, with the policy's titles, descriptions in its language); with no
policy (:data:`GENERIC`) they check the shape only. Every value goes through the
converters of :mod:`udbudsregler.runtime.inputs`, so these inputs follow the same limits
as facts, and :func:`validate` turns every mistake into a FactProblem with its path
(``order.weekly_hours``, ``outcomes[2].kind``). Checks across fields (a referral's area
must offer its package; an outcome must not end before it starts) are validators of the
later field, so a mistake in one field never hides one in another.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from udbudsregler.diagnostics import FactProblem, closest, shown
from udbudsregler.runtime.inputs import problems_from
from udbudsregler.values.convert import (
    DATE_SCHEMA,
    NULL,
    as_date,
    fail,
    hours_schema,
    kind_of,
    to_hours,
    to_integer,
    to_list,
    to_optional_date,
    to_period,
    to_text,
)
from udbudsregler.values.limits import NUMBER_LIMIT
from udbudsregler.values.temporal import Period

__all__ = ["GENERIC", "InputModels", "PolicyVocabulary", "build_models", "validate"]


@dataclass(frozen=True)
class PolicyVocabulary:
    """What the input models need to know of a policy: its ids with their titles, in the
    policy's order. ``None`` for a section means any text is accepted (no policy)."""

    language: str = "en"
    title: str | None = None
    packages: Mapping[str, str] | None = None
    #: Supplier id -> name, of every area.
    suppliers: Mapping[str, str] | None = None
    #: Area id -> title.
    areas: Mapping[str, str] | None = None
    outcomes: Mapping[str, str] | None = None
    #: Package id -> the areas offering it.
    package_areas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Area id -> its supplier ids.
    area_suppliers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_TEXTS: dict[str, dict[str, str]] = {
    "da": {
        "order": "Bestilling",
        "order.description": "Hvad sagsbehandleren bestiller med henvisningen; alt er valgfrit.",
        "order.package": "Forløbspakke",
        "order.package.description": "Den bestilte forløbspakke.",
        "order.weekly_hours": "Ugentligt timetal",
        "order.weekly_hours.description": "Bestilte timer pr. uge, 0 eller mere: et JSON-tal "
                                          "eller tekst som \"7.5\"; kræver en forløbspakke.",
        "order.supplier": "Borgerens valg af leverandør",
        "order.supplier.description": "Leverandøren, borgeren selv har valgt (frit valg).",
        "suppliers": "Leverandørernes tilstand",
        "suppliers.description": "Leverandørernes belastning og kapacitet nu, og "
                                 "henvisningens løbenummer (til rotation); alt er valgfrit.",
        "suppliers.load": "Belastning",
        "suppliers.load.description": "Antal borgere hos hver leverandør nu (helt tal, 0 "
                                      "eller mere).",
        "suppliers.capacity": "Kapacitet",
        "suppliers.capacity.description": "Hvor mange borgere hver leverandør kan have (helt "
                                          "tal, 0 eller mere).",
        "suppliers.sequence": "Løbenummer",
        "suppliers.sequence.description": "Henvisningens løbenummer i sit serviceområde (1 "
                                          "eller mere): ét tal, eller ét pr. serviceområde.",
        "referral": "Henvisning",
        "referral.description": "Én borgers henvisning til en leverandør.",
        "referral.id": "Henvisningens id",
        "referral.id.description": "Værtssystemets id for henvisningen (tekst eller helt tal).",
        "referral.start": "Startdato",
        "referral.start.description": "Henvisningens første dag, ÅÅÅÅ-MM-DD.",
        "referral.package": "Forløbspakke",
        "referral.package.description": "Forløbspakken, borgeren er henvist til.",
        "referral.area": "Serviceområde",
        "referral.area.description": "Serviceområdet; det skal tilbyde forløbspakken.",
        "referral.supplier": "Leverandør",
        "referral.supplier.description": "Leverandøren; den skal høre til serviceområdet.",
        "referral.facts": "Borgerens oplysninger",
        "referral.facts.description": "Borgerens oplysninger, når prismodellen afhænger af "
                                      "dem (som i en afgørelse).",
        "referral.previous": "Tidligere henvisninger",
        "referral.previous.description": "Perioderne for de tidligere henvisninger, som denne "
                                         "forlænger (de tæller med i den samlede varighed).",
        "referral.supplier_changes": "Leverandørskift",
        "referral.supplier_changes.description": "Når borgeren skiftede leverandør under "
                                                 "henvisningen: den nye leverandør og dens "
                                                 "første dag.",
        "referral.stop": "Stoppet",
        "referral.stop.description": "Sidste dag, når jobcentret stoppede henvisningen før "
                                     "tid; ellers null.",
        "outcomes": "Resultater",
        "outcomes.description": "Borgerens resultater (fx selvforsørgelse) som perioder.",
        "outcome": "Resultat",
        "outcome.kind": "Resultat",
        "outcome.kind.description": "Et af policyens resultater.",
        "outcome.from": "Fra",
        "outcome.from.description": "Resultatets første dag.",
        "outcome.to": "Til",
        "outcome.to.description": "Resultatets sidste dag; null, når det varer endnu.",
    },
    "en": {
        "order": "Order",
        "order.description": "What the caseworker orders with the referral; all optional.",
        "order.package": "Course package",
        "order.package.description": "The ordered course package.",
        "order.weekly_hours": "Weekly hours",
        "order.weekly_hours.description": "Ordered hours per week, 0 or more: a JSON number "
                                          "or text such as \"7.5\"; needs a package.",
        "order.supplier": "The citizen's choice of supplier",
        "order.supplier.description": "The supplier the citizen chose (free choice).",
        "suppliers": "Supplier state",
        "suppliers.description": "The suppliers' load and capacity now, and the referral's "
                                 "sequence number (for rotation); all optional.",
        "suppliers.load": "Load",
        "suppliers.load.description": "Citizens with each supplier now (a whole number, 0 or "
                                      "more).",
        "suppliers.capacity": "Capacity",
        "suppliers.capacity.description": "How many citizens each supplier can take (a whole "
                                          "number, 0 or more).",
        "suppliers.sequence": "Sequence number",
        "suppliers.sequence.description": "The referral's sequence number in its service area "
                                          "(1 or more): one number, or one per service area.",
        "referral": "Referral",
        "referral.description": "One citizen's referral to a supplier.",
        "referral.id": "Referral id",
        "referral.id.description": "The host's id of the referral (text or a whole number).",
        "referral.start": "Start",
        "referral.start.description": "The referral's first day, YYYY-MM-DD.",
        "referral.package": "Course package",
        "referral.package.description": "The course package the citizen is referred to.",
        "referral.area": "Service area",
        "referral.area.description": "The service area; it must offer the package.",
        "referral.supplier": "Supplier",
        "referral.supplier.description": "The supplier; it must belong to the area.",
        "referral.facts": "The citizen's facts",
        "referral.facts.description": "The citizen's facts, when the price model depends on "
                                      "them (as in a decision).",
        "referral.previous": "Earlier referrals",
        "referral.previous.description": "The periods of the earlier referrals this one "
                                         "extends (they count toward the total duration).",
        "referral.supplier_changes": "Supplier changes",
        "referral.supplier_changes.description": "When the citizen changed supplier during "
                                                 "the referral: the new supplier and its "
                                                 "first day.",
        "referral.stop": "Stopped",
        "referral.stop.description": "The last day, when the job centre stopped the referral "
                                     "early; else null.",
        "outcomes": "Outcomes",
        "outcomes.description": "The citizen's outcomes (e.g. self-support) as periods.",
        "outcome": "Outcome",
        "outcome.kind": "Outcome",
        "outcome.kind.description": "One of the policy's outcomes.",
        "outcome.from": "From",
        "outcome.from.description": "The outcome's first day.",
        "outcome.to": "To",
        "outcome.to.description": "The outcome's last day; null while it lasts.",
    },
    "sv": {
        "order": "Beställning",
        "order.description": "Vad handläggaren beställer med anvisningen; allt är valfritt.",
        "order.package": "Insatspaket",
        "order.package.description": "Det beställda insatspaketet.",
        "order.weekly_hours": "Timmar per vecka",
        "order.weekly_hours.description": "Beställda timmar per vecka, 0 eller fler: ett "
                                          "JSON-tal eller text som \"7.5\"; kräver ett "
                                          "insatspaket.",
        "order.supplier": "Den arbetssökandes val av leverantör",
        "order.supplier.description": "Leverantören som den arbetssökande själv har valt "
                                      "(fritt val).",
        "suppliers": "Leverantörernas status",
        "suppliers.description": "Leverantörernas beläggning och kapacitet nu, och "
                                 "anvisningens löpnummer (för rotation); allt är valfritt.",
        "suppliers.load": "Beläggning",
        "suppliers.load.description": "Antal arbetssökande hos varje leverantör nu (ett "
                                      "heltal, 0 eller fler).",
        "suppliers.capacity": "Kapacitet",
        "suppliers.capacity.description": "Hur många arbetssökande varje leverantör kan ta "
                                          "emot (ett heltal, 0 eller fler).",
        "suppliers.sequence": "Löpnummer",
        "suppliers.sequence.description": "Anvisningens löpnummer inom sitt insatsområde (1 "
                                          "eller fler): ett tal, eller ett per insatsområde.",
        "referral": "Anvisning",
        "referral.description": "En arbetssökandes anvisning till en leverantör.",
        "referral.id": "Anvisningens id",
        "referral.id.description": "Värdsystemets id för anvisningen (text eller ett heltal).",
        "referral.start": "Startdatum",
        "referral.start.description": "Anvisningens första dag, ÅÅÅÅ-MM-DD.",
        "referral.package": "Insatspaket",
        "referral.package.description": "Insatspaketet som den arbetssökande är anvisad till.",
        "referral.area": "Insatsområde",
        "referral.area.description": "Insatsområdet; det måste erbjuda insatspaketet.",
        "referral.supplier": "Leverantör",
        "referral.supplier.description": "Leverantören; den måste höra till insatsområdet.",
        "referral.facts": "Den arbetssökandes uppgifter",
        "referral.facts.description": "Den arbetssökandes uppgifter, när prismodellen beror "
                                      "på dem (som i ett beslut).",
        "referral.previous": "Tidigare anvisningar",
        "referral.previous.description": "Perioderna för de tidigare anvisningar som denna "
                                         "förlänger (de räknas in i den sammanlagda "
                                         "varaktigheten).",
        "referral.supplier_changes": "Leverantörsbyten",
        "referral.supplier_changes.description": "När den arbetssökande bytte leverantör under "
                                                 "anvisningen: den nya leverantören och dess "
                                                 "första dag.",
        "referral.stop": "Avbruten",
        "referral.stop.description": "Sista dagen, när myndigheten avbröt anvisningen i "
                                     "förtid; annars null.",
        "outcomes": "Utfall",
        "outcomes.description": "Den arbetssökandes utfall (t.ex. egen försörjning) som "
                                "perioder.",
        "outcome": "Utfall",
        "outcome.kind": "Utfall",
        "outcome.kind.description": "Ett av regelverkets utfall.",
        "outcome.from": "Från",
        "outcome.from.description": "Utfallets första dag.",
        "outcome.to": "Till",
        "outcome.to.description": "Utfallets sista dag; null så länge det pågår.",
    },
}


class _Strict(BaseModel):
    # defer_build: validators are built on first use, not when the models are made (the
    # generic models are made on import; canonical input never needs them)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False,
                              defer_build=True)


def _base(title: str, description: str | None = None) -> type[BaseModel]:
    class Titled(_Strict):
        model_config = ConfigDict(title=title, json_schema_extra=(
            {"description": description} if description else None))
    return Titled


# -- value validators --------------------------------------------------------------


def _one_of(ids: Mapping[str, str] | None, what: str, many: str,
            listed: bool = True) -> Callable[[Any], str]:
    """Text naming one of ``ids`` (any text when ``ids`` is None)."""
    def convert(value: Any) -> str:
        text = to_text(value)
        if ids is None or text in ids:
            return text
        message = f"`{shown(text)}` is not {what} of the policy"
        if listed:
            message += f"; the {many} are {', '.join(ids) or 'none'}"
        else:
            near = closest(text, ids)
            if near is not None:
                message += f"; did you mean `{near}`?"
        raise fail("udb605", "{text}", text=message)
    return convert


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def optional(value: Any) -> Any:
        return None if value is None else convert(value)
    return optional


def _count(value: Any) -> int:
    return to_integer(value, 0)


def _counts(value: Any) -> dict[str, int]:
    """A mapping of supplier ids to whole numbers >= 0 (no policy: any ids)."""
    if not isinstance(value, Mapping):
        raise fail("udb602", "expected a mapping of supplier ids to whole numbers >= 0, got "
                   "{got}", got=kind_of(value))
    out: dict[str, int] = {}
    for key, number in value.items():
        if not isinstance(key, str):
            raise fail("udb602", "expected supplier ids as text, got {got}", got=kind_of(key))
        try:
            out[to_text(key)] = _count(number)
        except Exception as error:
            raise _at(error, key) from None
    return out


def _at(error: Exception, key: str) -> Exception:
    """The error of an entry of a mapping, placed under the entry."""
    if isinstance(error, PydanticCustomError):
        return PydanticCustomError(error.type, error.message_template,
                                   {**(error.context or {}), "under": key})
    return error


def _sequence(areas: Mapping[str, str] | None) -> Callable[[Any], Any]:
    def convert(value: Any) -> int | dict[str, int] | None:
        if value is None:
            return None
        if isinstance(value, Mapping):
            out: dict[str, int] = {}
            for key, number in value.items():
                key_text = key if isinstance(key, str) else repr(key)
                if areas is not None and key not in areas:
                    raise fail("udb605", "`{area}` is not a service area of the policy",
                               area=shown(key_text), under=key_text)
                try:
                    out[to_text(key)] = to_integer(number, 1)
                except Exception as error:
                    raise _at(error, key_text) from None
            return out
        if type(value) is not int:
            raise fail("udb602", "expected a referral number >= 1, or a mapping of service "
                       "areas to referral numbers >= 1, got {got}", got=kind_of(value))
        return to_integer(value, 1)
    return convert


def _referral_id(value: Any) -> str:
    if type(value) is int:
        return str(to_integer(value))
    return to_text(value)


# -- JSON Schema parts --------------------------------------------------------------


def _ids_schema(ids: Mapping[str, str] | None, nullable: bool) -> dict[str, Any]:
    if ids is None:
        schema: dict[str, Any] = {"type": "string"}
    elif ids:
        schema = {"type": "string", "enum": list(ids),
                  "oneOf": [{"const": key, "title": title} for key, title in ids.items()]}
    else:
        schema = {"not": {}}
    return {"anyOf": [schema, dict(NULL)]} if nullable else schema


_COUNT = {"type": "integer", "minimum": 0, "exclusiveMaximum": NUMBER_LIMIT}
_NUMBER = {"type": "integer", "minimum": 1, "exclusiveMaximum": NUMBER_LIMIT}


def _counts_schema(ids: Mapping[str, str] | None) -> dict[str, Any]:
    if ids is None:
        return {"type": "object", "additionalProperties": dict(_COUNT)}
    return {"type": "object", "properties": {
        key: {**_COUNT, "title": name} for key, name in ids.items()},
        "additionalProperties": False}


def _sequence_schema(areas: Mapping[str, str] | None) -> dict[str, Any]:
    per_area: dict[str, Any] = {"type": "object", "additionalProperties": dict(_NUMBER)} \
        if areas is None else {"type": "object", "properties": {
            key: {**_NUMBER, "title": title} for key, title in areas.items()},
            "additionalProperties": False}
    return {"anyOf": [dict(_NUMBER), per_area, dict(NULL)]}


# -- the models ---------------------------------------------------------------------


@dataclass(frozen=True)
class InputModels:
    """The pydantic models of one policy's inputs (besides the facts)."""

    vocabulary: PolicyVocabulary
    order: type[BaseModel]
    suppliers: type[BaseModel]
    referral: type[BaseModel]
    outcome: type[BaseModel]
    outcomes: type[BaseModel]


def build_models(vocabulary: PolicyVocabulary) -> InputModels:
    v = vocabulary
    texts = _TEXTS.get(v.language, _TEXTS["en"])

    def meta(key: str, alias: str, **extra: Any) -> Any:
        return Field(alias=alias, title=texts[key], description=texts[f"{key}.description"],
                     **extra)

    def titled(key: str) -> type[BaseModel]:
        title = texts[key] + (f" ({v.title})" if v.title else "")
        return _base(title, texts.get(f"{key}.description"))

    package = _one_of(v.packages, "a course package", "packages")
    supplier = _one_of(v.suppliers, "a supplier", "suppliers", listed=False)
    area = _one_of(v.areas, "a service area", "areas")
    outcome_kind = _one_of(v.outcomes, "an outcome", "outcomes")

    def hours_need_package(value: Any, info: ValidationInfo) -> Any:
        if value is not None and "f_package" in info.data and info.data["f_package"] is None:
            raise fail("udb601", "weekly hours are ordered, but no package", at="package")
        return value

    order_fields: dict[str, Any] = {
        "f_package": (Annotated[Any, BeforeValidator(_optional(package)),
                             WithJsonSchema(_ids_schema(v.packages, True))],
                   meta("order.package", "package", default=None)),
        "f_supplier": (Annotated[Any, BeforeValidator(_optional(supplier)),
                              WithJsonSchema(_ids_schema(v.suppliers, True))],
                    meta("order.supplier", "supplier", default=None)),
        "f_weekly_hours": (Annotated[Any, BeforeValidator(_optional(to_hours)),
                                  AfterValidator(hours_need_package),
                                  WithJsonSchema({"anyOf": [hours_schema(), dict(NULL)]})],
                        meta("order.weekly_hours", "weekly_hours", default=None)),
    }
    order = create_model("Order", __base__=titled("order"), **order_fields)

    def counts_field(key: str, alias: str) -> tuple[Any, Any]:
        if v.suppliers is None:
            return (Annotated[Any, BeforeValidator(_optional(_counts)),
                              WithJsonSchema({"anyOf": [_counts_schema(None), dict(NULL)]})],
                    meta(key, alias, default=None))
        fields: dict[str, Any] = {
            f"f_{s}": (Annotated[Any, BeforeValidator(_count),
                                 WithJsonSchema({**_COUNT, "title": name})],
                       Field(alias=s, default=None, title=name))
            for s, name in v.suppliers.items()}
        table = create_model(f"Suppliers_{alias}", __base__=_base(texts[key]), **fields)
        optional: Any = table | None
        return (Annotated[optional, BeforeValidator(_counts_or_none)],
                meta(key, alias, default=None))

    suppliers_fields: dict[str, Any] = {
        "f_load": counts_field("suppliers.load", "load"),
        "f_capacity": counts_field("suppliers.capacity", "capacity"),
        "f_sequence": (Annotated[Any, BeforeValidator(_sequence(v.areas)),
                              WithJsonSchema(_sequence_schema(v.areas))],
                    meta("suppliers.sequence", "sequence", default=None)),
    }
    suppliers = create_model("SupplierState", __base__=titled("suppliers"), **suppliers_fields)

    def area_offers_package(value: Any, info: ValidationInfo) -> Any:
        chosen = info.data.get("f_package")
        if value is None or chosen is None or v.areas is None:
            return value
        offered = v.package_areas.get(chosen, ())
        if value not in offered:
            raise fail("udb605", "`{area}` is not a service area offering `{package}`; it is "
                       "offered in {offered}", area=value, package=chosen,
                       offered=", ".join(offered))
        return value

    def supplier_of_area(value: Any, info: ValidationInfo) -> Any:
        if value is None or v.suppliers is None or "f_package" not in info.data or \
                "f_area" not in info.data:
            return value
        chosen_area = info.data["f_area"]
        offering = ([chosen_area] if chosen_area is not None
                    else list(v.package_areas.get(info.data["f_package"], ())))
        allowed = [s for a in offering for s in v.area_suppliers.get(a, ())]
        if value not in allowed:
            near = closest(value, allowed)
            raise fail("udb605", "`{supplier}` is not a supplier of {areas}{hint}",
                       supplier=value, areas=" or ".join(offering),
                       hint=f"; did you mean `{near}`?" if near else "")
        return value

    def stops_after_start(value: Any, info: ValidationInfo) -> Any:
        start = info.data.get("f_start")
        if value is not None and start is not None and value < start:
            raise fail("udb604", "the referral stops ({stop}) before it starts ({start})",
                       stop=value.isoformat(), start=start.isoformat())
        return value

    referral_fields: dict[str, Any] = {
        "f_id": (Annotated[Any, BeforeValidator(_referral_id),
                        WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1},
                                                  {"type": "integer"}]})],
              meta("referral.id", "id")),
        "f_start": (Annotated[Any, BeforeValidator(as_date), WithJsonSchema(dict(DATE_SCHEMA))],
                 meta("referral.start", "start")),
        "f_package": (Annotated[Any, BeforeValidator(package),
                             WithJsonSchema(_ids_schema(v.packages, False))],
                   meta("referral.package", "package")),
        "f_area": (Annotated[Any, BeforeValidator(_optional(area)),
                          AfterValidator(area_offers_package),
                          WithJsonSchema(_ids_schema(v.areas, True))],
                meta("referral.area", "area", default=None)),
        "f_supplier": (Annotated[Any, BeforeValidator(_optional(supplier)),
                              AfterValidator(supplier_of_area),
                              WithJsonSchema(_ids_schema(v.suppliers, True))],
                    meta("referral.supplier", "supplier", default=None)),
        "f_stop": (Annotated[Any, BeforeValidator(to_optional_date),
                          AfterValidator(stops_after_start),
                          WithJsonSchema({"anyOf": [dict(DATE_SCHEMA), dict(NULL)]})],
                meta("referral.stop", "stop", default=None)),
    }
    def closed_period(value: Any) -> Period:
        found = to_period(value)
        if found.end is None:
            raise fail("udb602", "an earlier referral must have ended: give its `to`")
        return found

    def change(value: Any) -> tuple[date, str]:
        if not isinstance(value, Mapping) or set(value) != {"supplier", "from"}:
            raise fail("udb602", "expected a mapping with `supplier` and `from`, got {got}",
                       got=kind_of(value))
        return (as_date(value["from"]), supplier(value["supplier"]))

    def changes_in_order(value: Any, info: ValidationInfo) -> Any:
        start = info.data.get("f_start")
        if value is None:
            return ()
        days = [d for d, _ in value]
        if start is not None and any(d <= start for d in days):
            raise fail("udb604", "a supplier change must come after the referral's start")
        if days != sorted(days) or len(set(days)) != len(days):
            raise fail("udb604", "the supplier changes must be in date order, one per day")
        return tuple(value)

    def previous_before_start(value: Any, info: ValidationInfo) -> Any:
        start = info.data.get("f_start")
        periods = sorted(value or (), key=lambda p: p.start)
        if start is not None and any(p.end is not None and p.end >= start for p in periods):
            raise fail("udb604", "an earlier referral must end before this one starts")
        for a, b in itertools.pairwise(periods):
            if a.end is not None and b.start <= a.end:
                raise fail("udb604", "the earlier referrals overlap ({a} and {b})",
                           a=a.start.isoformat(), b=b.start.isoformat())
        return value

    period_schema = {"type": "object", "properties": {"from": dict(DATE_SCHEMA),
                                                      "to": dict(DATE_SCHEMA)},
                     "required": ["from", "to"], "additionalProperties": False}
    change_schema = {"type": "object", "properties": {
        "supplier": _ids_schema(v.suppliers, False), "from": dict(DATE_SCHEMA)},
        "required": ["supplier", "from"], "additionalProperties": False}
    referral_fields.update({
        "f_facts": (Annotated[Any, BeforeValidator(_facts_or_none),
                           WithJsonSchema({"anyOf": [{"type": "object"}, dict(NULL)]})],
                 meta("referral.facts", "facts", default=None)),
        # lists of items, so that a problem names the item (`referral.previous[1].to`)
        "f_previous": (Annotated[list[Annotated[Any, BeforeValidator(closed_period)]] | None,
                                 BeforeValidator(_optional(to_list)),
                                 AfterValidator(previous_before_start),
                                 WithJsonSchema({"type": "array", "items": period_schema})],
                       meta("referral.previous", "previous", default=())),
        "f_supplier_changes": (
            Annotated[list[Annotated[Any, BeforeValidator(change)]] | None,
                      BeforeValidator(_optional(to_list)), AfterValidator(changes_in_order),
                      WithJsonSchema({"type": "array", "items": change_schema})],
            meta("referral.supplier_changes", "supplier_changes", default=())),
    })
    referral = create_model("Referral", __base__=titled("referral"), **referral_fields)

    def ends_after_start(value: Any, info: ValidationInfo) -> Any:
        start = info.data.get("f_from")
        if value is not None and start is not None and value < start:
            raise fail("udb604", "`to` ({end}) is before `from` ({start})",
                       end=value.isoformat(), start=start.isoformat())
        return value

    outcome_fields: dict[str, Any] = {
        "f_kind": (Annotated[Any, BeforeValidator(outcome_kind),
                          WithJsonSchema(_ids_schema(v.outcomes, False))],
                meta("outcome.kind", "kind")),
        "f_from": (Annotated[Any, BeforeValidator(as_date), WithJsonSchema(dict(DATE_SCHEMA))],
                meta("outcome.from", "from")),
        "f_to": (Annotated[Any, BeforeValidator(to_optional_date),
                        AfterValidator(ends_after_start),
                        WithJsonSchema({"anyOf": [dict(DATE_SCHEMA), dict(NULL)]})],
              meta("outcome.to", "to")),
    }
    outcome = create_model("Outcome", __base__=_base(texts["outcome"]), **outcome_fields)

    class Outcomes(RootModel[Annotated[list[outcome], BeforeValidator(to_list)]]):  # type: ignore[valid-type]
        model_config = ConfigDict(title=texts["outcomes"] + (f" ({v.title})" if v.title else ""),
                                  json_schema_extra={"description": texts["outcomes.description"]},
                                  defer_build=True)

    return InputModels(v, order, suppliers, referral, outcome, Outcomes)


def _mapping_or_none(expected: str) -> Callable[[Any], Any]:
    """A validator: a mapping or None passes on, anything else is "expected ``expected``"."""
    def check(value: Any) -> Any:
        if value is None or isinstance(value, Mapping):
            return value
        raise fail("udb602", f"expected {expected}, got {{got}}", got=kind_of(value))
    return check


_facts_or_none = _mapping_or_none("a mapping of the citizen's facts")
_counts_or_none = _mapping_or_none("a mapping of supplier ids to whole numbers >= 0")


#: The models without a policy: the shape of each input only.
GENERIC = build_models(PolicyVocabulary())


_UNKNOWN = {"order": "not a part of an order", "suppliers": "not a part of the supplier state",
            "referral": "not a part of a referral", "outcomes": "not a part of an outcome"}


def validate(model: type[BaseModel], value: Any, prefix: str,
             expected: Mapping[str, str] | None = None) -> tuple[Any, list[FactProblem]]:
    """``value`` through ``model``: (the plain validated value, []) or (None, problems)."""
    try:
        result = model.model_validate(value)
    except ValidationError as error:
        def unknown(loc: tuple[Any, ...], path: str) -> FactProblem:
            if prefix == "suppliers" and len(loc) == 2 and loc[0] in ("load", "capacity"):
                return FactProblem("UDB605", path, f"`{shown(str(loc[1]))}` is not a supplier "
                                   "of the policy")
            return FactProblem("UDB606", path, _UNKNOWN.get(prefix, "not expected here"))

        def missing(loc: tuple[Any, ...]) -> str | None:
            return (expected or {}).get(str(loc[-1])) if loc else None
        return None, problems_from(error, prefix, unknown, missing)
    return plain(result), []


def plain(value: Any) -> Any:
    """A validated model as plain data, by alias; a table of suppliers with the suppliers
    given only."""
    if isinstance(value, RootModel):
        return plain(value.root)
    if isinstance(value, BaseModel):
        shape = _SHAPES.get(type(value))
        if shape is None:
            shape = _SHAPES[type(value)] = (
                tuple((name, info.alias or name)
                      for name, info in type(value).model_fields.items()),
                type(value).__name__.startswith("Suppliers_"))
        fields, table = shape
        if table:
            given = value.model_fields_set
            return {alias: plain(getattr(value, name)) for name, alias in fields
                    if name in given}
        return {alias: plain(getattr(value, name)) for name, alias in fields}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


#: Each model's fields (name, alias) and whether it is a table of suppliers (for
#: ``plain``; the models are built once per policy vocabulary).
_SHAPES: weakref.WeakKeyDictionary[type[BaseModel], tuple[tuple[tuple[str, str], ...], bool]] \
    = weakref.WeakKeyDictionary()
