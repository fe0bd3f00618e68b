"""The JSON Schema of one tariff's orders (`tariff schema --tariff NAME`).

The schema names each field by id and by official name exactly as the spec writes it. The
decoder is a little more lenient (it also accepts an official name spaced or full-width
differently), so an order the schema accepts always decodes.
"""

from __future__ import annotations

from ..model import tariff as M
from ..model.limits import MAX_CONTRACTS, MAX_COUNT

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}


def _names(obj) -> list[str]:
    """The names an order may write for a member: its id, its official name, and the other
    spellings the text uses for it (`also spelled`; the result notes the official name)."""
    out = [obj.id] if obj.id == obj.label else [obj.id, obj.label]
    return out + [sp.text for sp in getattr(obj, "spellings", ())]


def _enum(values: dict[str, M.Value]) -> list[str]:
    return [n for v in values.values() for n in _names(v)]


def _former(renames: list[M.Rename], kind: str, owner: str) -> list[str]:
    """Former names (附則) of a dimension's values or a contract's options: orders may use them."""
    return [r.old for r in renames if r.kind == kind and r.target[1 if kind == "value" else 0] == owner]


def _option_schema(o: M.Option) -> dict:
    props: dict = {"count": dict(COUNT, maximum=MAX_COUNT if o.counted else 1,
                                 description="how many" if o.counted else "0 or 1")}
    for q in o.quantities.values():
        for n in _names(q):
            props[n] = dict(COUNT, description=q.label)
    for a in o.attributes.values():
        one = {"enum": _enum(a.values)}
        for n in _names(a):
            props[n] = {"description": a.label, "oneOf": [one, {"type": "array", "items": one}]}
    for f in o.flags.values():
        for n in _names(f):
            props[n] = {"type": "boolean", "description": f.label}
    for d in o.dates.values():
        for n in _names(d):
            props[n] = dict(DATE, description=d.label)
    count = dict(COUNT, maximum=MAX_COUNT if o.counted else 1)
    return {"description": o.label,
            "oneOf": [{"type": "boolean"}, {"type": "null"}, count,
                      {"type": "object", "properties": props, "additionalProperties": False}]}


def _state_schema(kind: M.ContractKind, partial: bool, renames: list[M.Rename]) -> dict:
    props: dict = {}
    required = []
    for d in kind.dimensions.values():
        s = {"description": d.label,
             "enum": _enum(d.values) + _former(renames, "value", d.id) + ([None] if d.optional else [])}
        for n in _names(d):
            props[n] = s
        if not d.optional:
            required.append(d)
    for q in kind.quantities.values():
        for n in _names(q):
            props[n] = dict(COUNT, description=q.label)
        if q.default is None:
            required.append(q)
    for f in kind.flags.values():
        for n in _names(f):
            props[n] = {"type": "boolean", "description": f.label}
    for d in kind.dates.values():
        for n in _names(d):
            props[n] = {"description": d.label, "oneOf": [DATE, {"type": "null"}]}
    options = {}
    for o in kind.options.values():
        for n in _names(o) + [r.old for r in renames if r.kind == "option" and r.target == (kind.id, o.id)]:
            options[n] = _option_schema(o)
    props["options"] = {"type": "object", "properties": options, "additionalProperties": False}
    out = {"type": "object", "properties": props}
    if not partial and required:
        # a required field may be named by its id or by its official name
        out["allOf"] = [{"anyOf": [{"required": [n]} for n in _names(m)]} for m in required]
    return out


def _usage_schema(kind: M.ContractKind) -> dict:
    """A contract's usage record: the month it is of, and a count (or one per account) per usage."""
    props: dict = {"month": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
    per_option: dict = {}
    for u in kind.usage.values():
        count = {"type": "integer", "minimum": 0}
        if u.per_option:
            for name in dict.fromkeys([u.id, u.label]):
                per_option[name] = dict(count, description=u.label)
            continue
        one = {"type": "array", "items": dict(count, maximum=31)} if u.each else count
        for name in dict.fromkeys([u.id, u.label]):
            props[name] = dict(one, description=u.label)
    if per_option:
        counts = {"type": "object", "properties": per_option, "additionalProperties": False}
        props["options"] = {"type": "object", "additionalProperties": False,
                            "properties": {n: counts for o in kind.options.values()
                                           for n in dict.fromkeys([o.id, o.label])}}
    return {"type": "object", "required": ["month"], "properties": props, "additionalProperties": False}


def order_schema(t: M.Tariff) -> dict:
    defs: dict = {}
    contract_variants_new, contract_variants_req = [], []
    primary = t.primary_contract()
    for kind in t.contracts.values():
        state = _state_schema(kind, partial=False, renames=t.renames)
        defs[f"{kind.id}_state"] = state
        defs[f"{kind.id}_changes"] = _state_schema(kind, partial=True, renames=t.renames)
        head = {"id": {"type": "string"}, "contract": {"enum": _names(kind)},
                "parent": {"type": "string", "description": "the id of the parent contract in this order"}}
        if kind.usage:
            head["usage"] = _usage_schema(kind)
        # `contract` may be left out for the tariff's main kind of contract only
        must_name = [] if kind is primary else ["contract"]
        new = {"type": "object", "description": kind.label, "required": must_name,
               "allOf": [{"$ref": f"#/$defs/{kind.id}_state"}],
               "properties": head, "unevaluatedProperties": False}
        contract_variants_new.append(new)
        contract_variants_req.append({
            "type": "object", "description": kind.label, "required": ["current"] + must_name,
            "properties": dict(head, current={"$ref": f"#/$defs/{kind.id}_state"},
                               changes={"$ref": f"#/$defs/{kind.id}_changes"}),
            "additionalProperties": False})
    holdings = {"type": "array", "items": {
        "type": "object", "required": ["service"],
        "properties": dict({"service": {"enum": [n for s in t.services.values() for n in _names(s)]}},
                           **{n: {"enum": _enum(d.values) + _former(s.renames, "value", d.id)}
                              for s in t.services.values()
                              for d in s.dimensions.values() for n in _names(d)})}}
    common = {
        "tariff": {"type": "string", "description": "the tariff the order is for"},
        "description": {"type": "string"},
        "application_date": dict(DATE, description="the day the application (or change) was made"),
        "notice_arrived": dict(DATE, description="the day the notice arrived at the provider"),
        "requested_date": dict(DATE, description="the day the customer asks the change or cancellation to take effect"),
        "holdings": holdings,
    }
    for f in t.request_flags.values():
        for n in _names(f):
            common[n] = {"type": "boolean", "description": f.label}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"An order for {t.title} ({t.id}, as of {t.version})",
        "description": "See docs/orders.md. Names may be ids or official names.",
        "$defs": defs,
        "oneOf": [
            {"type": "object", "required": ["contracts"],
             "properties": dict(common, request={"const": "new"},
                                contracts={"type": "array", "minItems": 1, "maxItems": MAX_CONTRACTS,
                                           "items": {"anyOf": contract_variants_new}})},
            {"type": "object", "required": ["request", "contracts"],
             "properties": dict(common, request={"enum": ["change", "cancellation"]},
                                contracts={"type": "array", "minItems": 1, "maxItems": MAX_CONTRACTS,
                                           "items": {"anyOf": contract_variants_req}})},
        ],
    }
