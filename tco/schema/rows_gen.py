"""Field table -> `tco/schema/rows.py`: one typed pydantic row class per sheet.

Why generated source rather than `pydantic.create_model`: a class built at run
time is `Any` to a type checker, so every `chip.tdp_w` went unchecked. Written
out as source, the same models are real classes that mypy reads; the test that
regenerates the file byte for byte keeps them from drifting from the table.

Validation is the pydantic part only (bounds, non-blank text); cell coercion
(`tco.schema.models.coerce`) runs first and turns every enum spelling into its
exact choice, so the `Literal` annotations never reject what coercion accepted.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from tco.schema.fields import CURRENCY_PATTERN, SHEETS, SITE, Field, Sheet

ROWS_PATH = Path(__file__).with_name("rows.py")

#: Class name per sheet: the singular noun, as code reads `chip.tdp_w`.
CLASS_NAMES = {
    "Chips": "ChipRow",
    "Fabrics": "FabricRow",
    "Cooling": "CoolingRow",
    "Models": "ModelRow",
    "Workloads": "WorkloadRow",
    "Site": "SiteRow",
    "Uncertainty": "UncertaintyRow",
    "FX": "FxRow",
    "Demand": "DemandRow",
}

#: ruff's line length (pyproject.toml): the generated file must pass `ruff format --check`.
_LINE_LENGTH = 100

_BASE_TYPES = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "idlist": "tuple[str, ...]",
    "currency": "str",
}


def _literal(value: Any) -> str:
    """Python source of a table value, strings double-quoted as ruff formats them."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _annotation(field: Field) -> str:
    """The field's type; `| None` only where a blank cell stays blank (no default).

    A field with a default never holds None after validation (blank cells take
    the default), so it is typed without None and readers need no check.
    """
    if field.type == "enum":
        base = f"Literal[{', '.join(_literal(c) for c in field.choices)}]"
    else:
        base = _BASE_TYPES[field.type]
    if field.type == "str":
        constraints = ["min_length=1"]
    elif field.type == "currency":
        constraints = [f"pattern={_literal(CURRENCY_PATTERN)}"]
    else:
        bounds = {"gt": field.gt, "ge": field.ge, "lt": field.lt, "le": field.le}
        constraints = [f"{k}={_literal(v)}" for k, v in bounds.items() if v is not None]
    if constraints:
        base = f"Annotated[{base}, Field({', '.join(constraints)})]"
    if field.required and field.default is None:
        return base
    if field.default is None:
        return f"{base} | None = None"
    return f"{base} = {_literal(field.default)}"


def _docstring(text: str, indent: str) -> list[str]:
    """A docstring wrapped to the line length, its closing quotes on the last line."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    lines = textwrap.wrap(body, width=_LINE_LENGTH - len(indent) - 6)
    lines[0] = '"""' + lines[0]
    lines[-1] += '"""'
    return [indent + line for line in lines]


#: Units the annotation already states (a number without unit, text, a bool).
_SILENT_UNITS = {"-", "text", "yes|no"}


def _field_doc(field: Field) -> str:
    """Description and unit, as the template's README states them."""
    unit = "" if field.unit in _SILENT_UNITS else f" [{field.unit}]"
    return f"{field.description}{unit}."


def _class(sheet: Sheet) -> list[str]:
    out = [f'class {CLASS_NAMES[sheet.name]}(BaseModel, extra="forbid", frozen=True):']
    what = "The validated Site sheet" if sheet is SITE else f"A validated row of {sheet.name}"
    out += _docstring(f"{what}. {sheet.description}", "    ")
    for field in sheet.fields:
        out += ["", f"    {field.key}: {_annotation(field)}"]
        out += _docstring(_field_doc(field), "    ")
    return out


def render_rows() -> str:
    """Source of `tco/schema/rows.py`."""
    out = [
        '"""Typed row classes, one per input sheet; they are the runtime pydantic models.',
        "",
        "Generated from `tco/schema/fields.py` by `python -m tco.schema.rows_gen`; do not edit.",
        "Frozen, and extra columns are refused, so a row is exactly its sheet's fields.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Annotated, Literal",
        "",
        "from pydantic import BaseModel, Field",
    ]
    for sheet in SHEETS:
        out += ["", "", *_class(sheet)]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    ROWS_PATH.write_text(render_rows(), encoding="utf-8")
