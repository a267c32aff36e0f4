"""A scenario: the validated inputs plus field-level overrides and pinned choices.

`Chips[ascend-910c].card_price = 21000`, a different target, a forced chip:
each is a `Scenario` of the same base inputs. Overrides are validated like
any input row (the row model is rebuilt with the new value, so a negative
price is refused with the sheet, row id and column named).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import pydantic

from tco.errors import InputError, InputIssue, show_value
from tco.schema.inputs import PlanningInputs

#: Sheet name -> the PlanningInputs mapping holding its rows.
_TABLES = {
    "Chips": "chips",
    "Fabrics": "fabrics",
    "Cooling": "coolings",
    "Models": "models",
    "Workloads": "workloads",
}

#: Dimensions a scenario may pin for every pool.
DIMENSIONS = ("chip", "fabric", "cooling")


@dataclass(frozen=True)
class Override:
    """One input value replaced: `sheet[row_id].field = value` (Site rows: row_id = key)."""

    sheet: str
    row_id: str
    field: str
    value: Any

    def __str__(self) -> str:
        return f"{self.sheet}[{self.row_id}].{self.field} = {show_value(self.value)}"


@dataclass(frozen=True)
class Scenario:
    """Base inputs, overrides applied in order, and ids pinned per dimension."""

    base: PlanningInputs
    overrides: tuple[Override, ...] = ()
    forced: Mapping[str, str] = field(default_factory=dict)

    def with_forced(self, dimension: str, forced_id: str) -> Scenario:
        if dimension not in DIMENSIONS:
            raise ValueError(f"cannot force {dimension!r}; choose one of {DIMENSIONS}")
        return replace(self, forced={**self.forced, dimension: forced_id})

    def with_override(self, override: Override) -> Scenario:
        return replace(self, overrides=(*self.overrides, override))

    def inputs(self) -> PlanningInputs:
        """The base inputs with every override applied and validated."""
        return apply_overrides(self.base, self.overrides)


def apply_overrides(inputs: PlanningInputs, overrides: tuple[Override, ...]) -> PlanningInputs:
    """A copy of `inputs` with the overrides applied; all problems in one InputError."""
    if not overrides:
        return inputs
    tables: dict[str, dict[str, Any]] = {
        name: dict(getattr(inputs, attr)) for name, attr in _TABLES.items()
    }
    site = inputs.site
    issues: list[InputIssue] = []
    for o in overrides:
        if o.sheet == "Site":
            row, key = site, o.row_id
        elif o.sheet in tables and o.row_id in tables[o.sheet]:
            row, key = tables[o.sheet][o.row_id], o.field
        else:
            issues.append(InputIssue(f"override {o}: no such row", sheet=o.sheet))
            continue
        if key not in type(row).model_fields:
            issues.append(InputIssue(f"override {o}: no such field", sheet=o.sheet, key=key))
            continue
        if key == "currency":  # money was converted at load; a new code would only relabel it
            issues.append(
                InputIssue(
                    f"override {o}: currencies are converted when the workbook is read; "
                    "change the currency (and FX) in the workbook instead",
                    sheet=o.sheet,
                    key=key,
                )
            )
            continue
        try:
            new = type(row).model_validate({**row.model_dump(), key: o.value})
        except pydantic.ValidationError as exc:
            message = "; ".join(str(e["msg"]) for e in exc.errors())
            issues.append(InputIssue(f"override {o}: {message}", sheet=o.sheet, key=key))
            continue
        if o.sheet == "Site":
            site = new
        else:
            tables[o.sheet][o.row_id] = new
    if issues:
        raise InputError(issues)
    return replace(
        inputs,
        site=site,
        chips=MappingProxyType(tables["Chips"]),
        fabrics=MappingProxyType(tables["Fabrics"]),
        coolings=MappingProxyType(tables["Cooling"]),
        models=MappingProxyType(tables["Models"]),
        workloads=MappingProxyType(tables["Workloads"]),
    )
