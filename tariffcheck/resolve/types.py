"""The types resolution gives expressions, and the words messages use for them.

A type is a string: "bool" (a condition), "int" (a number), "date" (a day), "duration" (a length
of time, only as a literal added to a day), "enum:DIM" (the value of dimension DIM) and "flags"
(an option's attribute: the set of its designations, which only the counting functions read).
"""

from __future__ import annotations


def base(t: str) -> str:
    """The type without its dimension: "enum:item" is an "enum"."""
    return "enum" if t.startswith("enum:") else t


def words(t: str) -> str:
    """The type as a message says it ("a condition", "the dimension `item`")."""
    if t.startswith("enum:"):
        return f"the dimension `{t[5:]}`"
    return {"bool": "a condition", "int": "a number", "date": "a day", "duration": "a length of time",
            "flags": "a set of designations", "enum": "a dimension"}.get(t, t)


def type_help(want: str, found: str) -> str:
    """The help line when an expression of type `found` stands where `want` is needed."""
    if want == "bool" and found.startswith("enum:"):
        return f"compare it with a value: `{found[5:]} == VALUE` or `{found[5:]} in {{...}}`"
    if want == "bool" and found == "int":
        return "compare the number: e.g. `accounts >= 50`"
    return f"write {words(want)} here"
