"""The text of an OSCAL control's statement, written the way NIST prints it.

SP 800-53 puts a control's requirement in three shapes, and each must read as a sentence:

* prose with parameters: ``{{ insert: param, ac-01_odp.01 }}`` becomes ``[Assignment:
  organization-defined personnel or roles]``, a choice ``[Selection (one or more): a; b]``;
  a parameter may sit inside a selection's choice (AU-6(5), CM-7(2), RA-5(2)), so the
  inserts are resolved again in what an insert brought;
* a lead-in with items: "Employ automated mechanisms to ... when the accounts:" followed by
  ``(a) Have expired; (b) ...`` (AC-2(3)): the items are part of the statement;
* items only (AC-2, AC-1): the statement part has no prose of its own, each item has.
"""

from __future__ import annotations

import re
from typing import Any

_INSERT = re.compile(r"\{\{\s*insert:\s*param,\s*([^}\s]+)\s*\}\}")
#: A parameter's text may insert others (a choice holding an assignment); deeper than this
#: is a cycle, left as it is.
_NESTING = 4
_LIMIT = 1000


def statement_part(item: dict[str, Any]) -> dict[str, Any] | None:
    """The control's ``statement`` (or a group's ``overview``) with prose or items."""
    for part in item.get("parts") or []:
        if part.get("name") in ("statement", "overview") and (
            part.get("prose") or part.get("parts")
        ):
            found: dict[str, Any] = part
            return found
    return None


def statement_text(part: dict[str, Any] | None, params: dict[str, str]) -> str:
    """The statement as one line: its prose, then each item with its label, parameters in
    NIST's brackets; at most 1,000 characters."""
    if part is None:
        return ""
    text = " ".join(resolve(_flatten(part), params).split())
    return text if len(text) <= _LIMIT else text[: _LIMIT - 3] + "..."


def _flatten(part: dict[str, Any]) -> str:
    pieces = [str(part["prose"])] if part.get("prose") else []
    for item in part.get("parts") or []:
        if item.get("name") != "item":
            continue
        labels = [p.get("value") for p in item.get("props") or [] if p.get("name") == "label"]
        inner = _flatten(item)
        pieces.append(f"{labels[0]} {inner}" if labels and labels[0] else inner)
    return " ".join(pieces)


def resolve(text: str, params: dict[str, str]) -> str:
    """Every ``{{ insert: param, ID }}`` replaced, also inside what a replacement brought."""
    for _ in range(_NESTING):
        if "{{" not in text:
            break
        text = _INSERT.sub(lambda m: params.get(m.group(1), f"[Assignment: {m.group(1)}]"), text)
    return text


def parameters(catalog: dict[str, Any]) -> dict[str, str]:
    """Every parameter in the catalog -> ``[Assignment: label]`` or ``[Selection: a; b]``."""
    found: dict[str, str] = {}
    stack = [catalog]
    while stack:
        item = stack.pop()
        for param in item.get("params") or []:
            if param.get("id"):
                found[str(param["id"])] = _param_text(param)
        stack.extend((item.get("groups") or []) + (item.get("controls") or []))
    return found


def _param_text(param: dict[str, Any]) -> str:
    select = param.get("select")
    if isinstance(select, dict) and select.get("choice"):
        how = " (one or more)" if select.get("how-many") == "one-or-more" else ""
        choices = "; ".join(" ".join(str(c).split()) for c in select["choice"])
        return f"[Selection{how}: {choices}]"
    label = param.get("label") or param.get("id")
    return f"[Assignment: {' '.join(str(label).split())}]"


__all__ = ["parameters", "resolve", "statement_part", "statement_text"]
