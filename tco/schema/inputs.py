"""PlanningInputs: the validated, frozen bundle every later stage sees.

`validate_workbook` turns raw rows into typed rows (per the field table),
then runs the cross-sheet checks: unique ids, references, kind-specific
required fields, precision support, memory fit and `Uncertainty` ranges.
Last it converts every priced row to the Site currency (`tco.schema.fx`), so
every money value of `PlanningInputs` is in `site.currency`, and collects the
plausibility warnings (`tco.schema.plausible`). Every problem is collected;
one `InputError` carries them all. `validate_catalog` runs the same checks on
the default catalog's sheets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel

from tco.errors import InputError, InputIssue, in_reading_order, show_value
from tco.io.raw import RawTable, RawWorkbook, table_from_dicts
from tco.schema.availability import allowed_chip_ids, unavailable_chips
from tco.schema.fields import (
    CHIPS,
    COOLING,
    DEMAND,
    FABRICS,
    FIRST_DATA_ROW,
    FX,
    MODELS,
    SHEETS_BY_NAME,
    SITE,
    UNCERTAINTY,
    WORKLOADS,
    Field,
    Sheet,
)
from tco.schema.fx import Conversion, Converter
from tco.schema.models import CellProblem, RowT, build_row, coerce, describe_error, is_blank
from tco.schema.plausible import plausibility_warnings
from tco.schema.rows import (
    ChipRow,
    CoolingRow,
    DemandRow,
    FabricRow,
    FxRow,
    ModelRow,
    SiteRow,
    UncertaintyRow,
    WorkloadRow,
)
from tco.text import close_match, listing

#: Bytes per parameter or activation element at each workload precision.
BYTES_PER_VALUE = {"bf16": 2.0, "fp8": 1.0, "int8": 1.0}

#: The sheets of the default catalog (`tco.data`): all but the planner's own
#: Workloads and Site.
CATALOG_SHEETS = (CHIPS, FABRICS, COOLING, MODELS, UNCERTAINTY)

T = TypeVar("T")

#: Rows of any table sheet by id, each with its 1-based sheet row: what the
#: cross-sheet checks read where the sheet is a parameter (references, ranges).
TypedRows = Mapping[str, tuple[int, BaseModel]]


@dataclass(frozen=True)
class PlanningInputs:
    """Validated inputs. Mappings are read-only and keyed by id in sheet order.

    Every money value, the `Uncertainty` ranges on them included, is in
    `site.currency`; `fx` says which rows were converted from which currency.
    """

    chips: Mapping[str, ChipRow]
    fabrics: Mapping[str, FabricRow]
    coolings: Mapping[str, CoolingRow]
    models: Mapping[str, ModelRow]
    workloads: Mapping[str, WorkloadRow]
    site: SiteRow
    uncertainty: tuple[UncertaintyRow, ...]
    #: (sheet, id) -> 1-based sheet row, so reports can point back at the input.
    source_rows: Mapping[tuple[str, str], int]
    source_name: str
    #: The FX rates the conversion used and each converted row's quoted currency.
    fx: Conversion
    #: What was accepted but the planner should know, each naming its cell: a value
    #: outside its published range (widened), or one that looks implausible
    #: (`tco.schema.plausible`). `tco validate` prints them; plans carry them.
    warnings: tuple[str, ...] = ()
    #: Targets per operating year (the optional Demand sheet), in sheet order.
    demand: tuple[DemandRow, ...] = ()

    def row_counts(self) -> dict[str, int]:
        return {
            "Chips": len(self.chips),
            "Fabrics": len(self.fabrics),
            "Cooling": len(self.coolings),
            "Models": len(self.models),
            "Workloads": len(self.workloads),
            "Uncertainty": len(self.uncertainty),
        }


def required_for_kind(value: T | None, key: str) -> T:
    """A workload field that `validate_workbook` requires for the workload's kind.

    The row type keeps None because the field may be blank for the other kind
    (an inference workload has no global batch); a None here means the row
    skipped validation, so fail loudly rather than compute with a blank.
    """
    if value is None:
        raise ValueError(f"{key} is blank; validate_workbook requires it for this workload kind")
    return value


def supports_precision(chip: ChipRow, precision: str) -> bool:
    """BF16 is universal; FP8/INT8 only where the chip's column is filled."""
    if precision == "fp8":
        return chip.fp8_tflops is not None
    if precision == "int8":
        return chip.int8_tops is not None
    return True


def usable_chips(inputs: PlanningInputs) -> dict[str, ChipRow]:
    """Chips some workload may buy (allowed by it, buyable at the site), in catalog order.

    What a plan can contain: only these rows may price anything in it, such as
    the migration effort of their software stack.
    """
    usable = {
        cid
        for w in inputs.workloads.values()
        for cid in allowed_chip_ids(inputs.chips, w, inputs.site)
    }
    return {cid: chip for cid, chip in inputs.chips.items() if cid in usable}


def compatible_fabric_ids(inputs: PlanningInputs, chip_id: str) -> list[str]:
    """Fabrics that connect the chip (`fabric_refusal` None), in catalog order."""
    chip = inputs.chips[chip_id]
    return [fid for fid, f in inputs.fabrics.items() if fabric_refusal(f, chip) is None]


def fabric_refusal(fabric: FabricRow, chip: ChipRow) -> str | None:
    """Why `fabric` cannot connect `chip`, or None when it can.

    Its compatible_chips must be blank or name the chip; and a chip whose scale-out
    ports are on the package (`integrated_nic`, the Ascend 910B/910C's 200GE RoCE)
    speaks Ethernet: an InfiniBand fabric would need host channel adapters that the
    chip's collectives (HCCL) do not drive, so it is not offered.
    """
    if fabric.compatible_chips and chip.chip_id not in fabric.compatible_chips:
        return f"its compatible_chips leave out {chip.chip_id}"
    if chip.integrated_nic and fabric.technology == "InfiniBand":
        return f"{chip.chip_id}'s scale-out ports are on the chip (integrated_nic), Ethernet only"
    return None


class _Checker:
    """Accumulates issues while building typed rows."""

    def __init__(self) -> None:
        self.issues: list[InputIssue] = []
        #: Accepted, but worth a word: located like issues, they never stop validation.
        self.warnings: list[InputIssue] = []
        #: Ids of rows that exist but failed validation, per sheet: references to
        #: them are not "unknown" (their own errors are already reported).
        self.invalid_ids: dict[str, set[str]] = {}
        #: Ranges quoted in another currency than the value they bound: judged against
        #: the nominal once both are in the Site currency (`_judge_converted_ranges`).
        self.deferred_ranges: dict[str, _Nominal] = {}

    def add(
        self,
        message: str,
        table: RawTable | None = None,
        row: int | None = None,
        key: str | None = None,
        sheet: str | None = None,
    ) -> None:
        column = table.column_of(key) if (table is not None and key is not None) else None
        name = table.name if table is not None else sheet
        self.issues.append(InputIssue(message, name, row, column, key))

    def typed_rows(
        self, sheet: Sheet, model_class: type[RowT], table: RawTable
    ) -> dict[str, tuple[int, RowT]]:
        """Coerce and validate every row of a table sheet; return id -> (row, model)."""
        out: dict[str, tuple[int, RowT]] = {}
        for raw in table.rows:
            values: dict[str, Any] = {}
            failed: set[str] = set()
            for field in sheet.fields:
                value = raw.values.get(field.key)
                if is_blank(value):
                    continue
                try:
                    values[field.key] = coerce(field, value)
                except CellProblem as problem:
                    self.add(str(problem), table, raw.row, field.key)
                    failed.add(field.key)
            model, errors = build_row(model_class, values)
            for error in errors:
                key = str((error.get("loc") or ("?",))[0])
                if key not in failed:  # already reported as a cell problem
                    self.add(describe_error(error), table, raw.row, key)
            if model is None or failed:
                raw_id = raw.values.get(sheet.id_key) if sheet.id_key else None
                if sheet.id_key is not None and not is_blank(raw_id):
                    self.invalid_ids.setdefault(sheet.name, set()).add(
                        _id_text(sheet.field(sheet.id_key), raw_id)
                    )
                continue
            row_id = getattr(model, sheet.id_key) if sheet.id_key else str(raw.row)
            if row_id in out:
                first = out[row_id][0]
                self.add(
                    f"duplicate id {show_value(row_id)}, first used in row {first}",
                    table,
                    raw.row,
                    sheet.id_key,
                )
                continue
            out[row_id] = (raw.row, model)
        return out


def _id_text(field: Field, raw_id: Any) -> Any:
    """The id of a row that failed, as references to it would name it; an id cell that
    is itself invalid (an FX currency '0') is its own error already, kept as typed."""
    try:
        return coerce(field, raw_id)
    except CellProblem:
        return str(raw_id).strip()


def validate_workbook(raw: RawWorkbook) -> PlanningInputs:
    """Validate raw sheets into `PlanningInputs`, or raise `InputError` with every issue."""
    check = _Checker()
    typed = _typed_tables(check, raw)
    site_table = raw.tables.get(SITE.name) or RawTable(SITE.name)
    site = _site(check, site_table)
    _check_tables(
        check,
        raw,
        typed,
        site,
        (CHIPS, FABRICS, COOLING, MODELS, WORKLOADS),
        f"has no data rows (data starts on row {FIRST_DATA_ROW})",
    )
    if site is None:  # the Site issues are in; without its currency nothing converts
        raise InputError(in_reading_order(check.issues))
    _check_site(check, site_table, site)
    typed, conversion, warnings = _in_site_currency(check, raw, typed, site, site_table)
    if check.issues:
        raise InputError(in_reading_order(check.issues))

    sheets = typed.by_sheet()
    del sheets["Uncertainty"]  # ranges have no id of their own to point back at
    del sheets["Demand"]  # nor do the yearly targets
    source_rows = {
        (sheet, row_id): row for sheet, rows in sheets.items() for row_id, (row, _) in rows.items()
    }
    return PlanningInputs(
        chips=MappingProxyType({k: m for k, (_, m) in typed.chips.items()}),
        fabrics=MappingProxyType({k: m for k, (_, m) in typed.fabrics.items()}),
        coolings=MappingProxyType({k: m for k, (_, m) in typed.coolings.items()}),
        models=MappingProxyType({k: m for k, (_, m) in typed.models.items()}),
        workloads=MappingProxyType({k: m for k, (_, m) in typed.workloads.items()}),
        site=site,
        uncertainty=tuple(m for _, m in typed.uncertainty.values()),
        source_rows=MappingProxyType(source_rows),
        source_name=raw.source_name,
        fx=conversion,
        warnings=tuple(str(w) for w in (*raw.warnings, *check.warnings, *warnings)),
        demand=tuple(m for _, m in typed.demand.values()),
    )


def validate_catalog(raw: RawWorkbook) -> dict[str, list[BaseModel]]:
    """Validate catalog sheets (no Workloads, no Site) with every check a workbook gets.

    The default catalog ships as data files; running it through the planner's
    own checks means a catalog the tool ships is never one it would refuse.
    Returns the typed rows per sheet in file order, or raises `InputError`.
    What a workbook only warns about is refused here: a planner's quote may lie
    outside a published range, the catalog's own nominal must not lie outside its
    own range.
    """
    check = _Checker()
    typed = _typed_tables(check, raw)
    _check_tables(check, raw, typed, None, (CHIPS, FABRICS, COOLING, MODELS), "has no data rows")
    for key in check.deferred_ranges:
        # No FX sheet: a range is quoted in its row's currency.
        row, u = typed.uncertainty[key]
        check.add(
            f"the range is in {u.currency}, its row in another currency; a catalog has no FX "
            "sheet to convert it",
            raw.tables.get(UNCERTAINTY.name) or RawTable(UNCERTAINTY.name),
            row,
            "currency",
        )
    if check.issues or check.warnings:
        raise InputError(check.issues + check.warnings)
    return {
        sheet.name: [m for _, m in typed.by_sheet()[sheet.name].values()]
        for sheet in CATALOG_SHEETS
    }


@dataclass(frozen=True)
class _Typed:
    """Typed rows of every table sheet, id -> (sheet row, row); an absent sheet has none."""

    chips: dict[str, tuple[int, ChipRow]]
    fabrics: dict[str, tuple[int, FabricRow]]
    coolings: dict[str, tuple[int, CoolingRow]]
    models: dict[str, tuple[int, ModelRow]]
    workloads: dict[str, tuple[int, WorkloadRow]]
    uncertainty: dict[str, tuple[int, UncertaintyRow]]
    fx: dict[str, tuple[int, FxRow]]
    demand: dict[str, tuple[int, DemandRow]]

    def by_sheet(self) -> dict[str, TypedRows]:
        return {
            "Chips": self.chips,
            "Fabrics": self.fabrics,
            "Cooling": self.coolings,
            "Models": self.models,
            "Workloads": self.workloads,
            "Uncertainty": self.uncertainty,
            "FX": self.fx,
            "Demand": self.demand,
        }


def _typed_tables(check: _Checker, raw: RawWorkbook) -> _Typed:
    def table(sheet: Sheet) -> RawTable:
        return raw.tables.get(sheet.name) or RawTable(sheet.name)

    return _Typed(
        check.typed_rows(CHIPS, ChipRow, table(CHIPS)),
        check.typed_rows(FABRICS, FabricRow, table(FABRICS)),
        check.typed_rows(COOLING, CoolingRow, table(COOLING)),
        check.typed_rows(MODELS, ModelRow, table(MODELS)),
        check.typed_rows(WORKLOADS, WorkloadRow, table(WORKLOADS)),
        check.typed_rows(UNCERTAINTY, UncertaintyRow, table(UNCERTAINTY)),
        check.typed_rows(FX, FxRow, table(FX)),
        check.typed_rows(DEMAND, DemandRow, table(DEMAND)),
    )


def _in_site_currency(
    check: _Checker, raw: RawWorkbook, typed: _Typed, site: SiteRow, site_table: RawTable
) -> tuple[_Typed, Conversion, list[InputIssue]]:
    """Priced rows and their ranges in the Site currency, and the plausibility warnings.

    The warnings judge the rows as entered, so they can quote the planner's own numbers.
    """
    tables = {name: raw.tables.get(name) or RawTable(name) for name in SHEETS_BY_NAME}
    site_row = next(
        (r.row for r in site_table.rows if str(r.values.get("key", "")).strip() == "currency"),
        None,
    )
    invalid = frozenset(check.invalid_ids.get(FX.name, ()))
    fx = Converter(typed.fx, tables[FX.name], site.currency, site_row, invalid)
    warnings = plausibility_warnings(typed.chips, typed.coolings, tables, fx.units_per_usd)
    converted = replace(
        typed,
        chips=fx.convert_rows(CHIPS, tables[CHIPS.name], typed.chips),
        fabrics=fx.convert_rows(FABRICS, tables[FABRICS.name], typed.fabrics),
        coolings=fx.convert_rows(COOLING, tables[COOLING.name], typed.coolings),
    )
    # After the rows: a range is converted from its own currency or its row's.
    uncertainty = tables[UNCERTAINTY.name]
    ranges = {
        k: (r, fx.convert_range(u, uncertainty, r)) for k, (r, u) in typed.uncertainty.items()
    }
    _judge_converted_ranges(check, uncertainty, ranges, typed, converted, site)
    converted = replace(converted, uncertainty=ranges)
    conversion = fx.conversion()
    check.issues += fx.issues
    return converted, conversion, warnings


def _check_tables(
    check: _Checker,
    raw: RawWorkbook,
    typed: _Typed,
    site: SiteRow | None,
    needs_rows: tuple[Sheet, ...],
    no_rows_message: str,
) -> None:
    """The cross-sheet checks: required data rows, references, models, workloads, ranges.

    `no_rows_message` says where data starts, which differs between a workbook and a file.
    """
    sheets = typed.by_sheet()
    for sheet in needs_rows:
        if not sheets[sheet.name] and not any(i.sheet == sheet.name for i in check.issues):
            check.add(no_rows_message, sheet=sheet.name)
    tables = {name: raw.tables.get(name) or RawTable(name) for name in SHEETS_BY_NAME}
    chips = {k: m for k, (_, m) in typed.chips.items()}
    models = {k: m for k, (_, m) in typed.models.items()}
    _check_references(check, tables, sheets)
    _check_chips(check, tables["Chips"], typed.chips)
    _check_arrivals(check, tables["Chips"], typed.chips, site)
    _check_models(check, tables["Models"], typed.models)
    invalid_chips = frozenset(check.invalid_ids.get(CHIPS.name, ()))
    _check_workloads(
        check, tables["Workloads"], typed.workloads, chips, models, site, invalid_chips
    )
    _check_uncertainty(check, tables, typed.uncertainty, sheets, site)
    _check_demand(check, tables["Demand"], typed.demand, site)


def _check_arrivals(
    check: _Checker, table: RawTable, chips: dict[str, tuple[int, ChipRow]], site: SiteRow | None
) -> None:
    """A chip on sale only after the horizon is never offered: said, not an error (the
    row may serve a longer horizon later)."""
    if site is None:
        return
    for row, chip in chips.values():
        if chip.available_from_year > site.horizon_years:
            check.warnings.append(
                InputIssue(
                    f"available_from_year {chip.available_from_year} is after the "
                    f"{site.horizon_years}-year horizon (Site horizon_years): {chip.chip_id} is "
                    "never offered",
                    table.name,
                    row,
                    table.column_of("available_from_year"),
                    "available_from_year",
                )
            )


def _check_demand(
    check: _Checker, table: RawTable, rows: dict[str, tuple[int, DemandRow]], site: SiteRow | None
) -> None:
    """A Demand year lies in 1..horizon_years and appears once per workload."""
    seen: dict[tuple[str, int], int] = {}
    for row, d in rows.values():
        if site is not None and d.year > site.horizon_years:
            check.add(
                f"year {d.year} is after the horizon (Site horizon_years = {site.horizon_years})",
                table,
                row,
                "year",
            )
        first = seen.setdefault((d.workload_id, d.year), row)
        if first != row:
            check.add(
                f"workload {d.workload_id} has year {d.year} twice, first in row {first}",
                table,
                row,
                "year",
            )


def _site(check: _Checker, table: RawTable) -> SiteRow | None:
    """Site rows are key/value; the reader maps each key's value under `values['value']`."""
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    bad = False
    for raw in table.rows:
        key = str(raw.values.get("key", "")).strip()
        if key not in SITE.keys:
            hint = close_match(key, SITE.keys)
            known = f"did you mean {hint!r}?" if hint else f"known keys: {', '.join(SITE.keys)}"
            check.issues.append(
                InputIssue(
                    f"unknown key {show_value(key)}; {known}",
                    SITE.name,
                    raw.row,
                    "A",
                    "key",
                )
            )
            bad = True
            continue
        if key in rows:
            check.issues.append(
                InputIssue(
                    f"duplicate key {show_value(key)}, first used in row {rows[key]}",
                    SITE.name,
                    raw.row,
                    "A",
                    "key",
                )
            )
            bad = True
            continue
        rows[key] = raw.row
        value = raw.values.get("value")
        if is_blank(value):
            continue
        try:
            values[key] = coerce(SITE.field(key), value)
        except CellProblem as problem:
            check.issues.append(InputIssue(str(problem), SITE.name, raw.row, "B", key))
            bad = True
    model, errors = build_row(SiteRow, values)
    for error in errors:
        key = str((error.get("loc") or ("?",))[0])
        row = rows.get(key)
        message = describe_error(error)
        if row is None:
            message = f"key {key!r} is required (add a row with key {key!r} and its value)"
        check.issues.append(InputIssue(message, SITE.name, row, "B" if row else None, key))
    return None if bad else model


def _check_site(check: _Checker, table: RawTable, site: SiteRow) -> None:
    """Site keys that only mean something together."""
    if site.domestic_share_includes_network and site.domestic_share_basis != "spend":
        row = next(
            (
                r.row
                for r in table.rows
                if str(r.values.get("key", "")).strip() == "domestic_share_includes_network"
            ),
            None,
        )
        check.issues.append(
            InputIssue(
                f"applies to the spend basis only: a network has no cards or compute "
                f"(domestic_share_basis is {site.domestic_share_basis}; set it to spend or "
                "this key to no)",
                SITE.name,
                row,
                "B" if row else None,
                "domestic_share_includes_network",
            )
        )


def _check_references(
    check: _Checker, tables: dict[str, RawTable], typed: dict[str, TypedRows]
) -> None:
    """Every `ref` field names an existing id of the referenced sheet."""
    for sheet in (FABRICS, WORKLOADS, DEMAND):
        for row_id, (row, model) in typed[sheet.name].items():
            del row_id
            for field in sheet.fields:
                if field.ref is None:
                    continue
                value = getattr(model, field.key)
                ids = value if isinstance(value, tuple) else ((value,) if value else ())
                known = typed[field.ref]
                invalid = check.invalid_ids.get(field.ref, set())
                for ref_id in ids:
                    if ref_id not in known and ref_id not in invalid:
                        check.add(
                            f"unknown {field.ref} id {show_value(ref_id)}; known: "
                            f"{_preview(known)}",
                            tables[sheet.name],
                            row,
                            field.key,
                        )


def _preview(ids: Mapping[str, Any]) -> str:
    """The ids a reference may name, or why there are none."""
    return listing(ids) if ids else "none (the sheet has no valid rows)"


def _check_chips(check: _Checker, table: RawTable, chips: dict[str, tuple[int, ChipRow]]) -> None:
    """Systems hold whole servers; a scale-up domain larger than the system is cut to it."""
    for row, chip in chips.values():
        system = chip.system_cards or chip.cards_per_node
        if system % chip.cards_per_node:
            check.add(
                f"must be a multiple of cards_per_node ({chip.cards_per_node}): a system is "
                f"whole servers, got {system}",
                table,
                row,
                "system_cards",
            )
        elif chip.scaleup_domain > system:
            column = table.column_of("scaleup_domain")
            check.warnings.append(
                InputIssue(
                    f"scaleup_domain {chip.scaleup_domain} is larger than the "
                    f"{system}-card system bought (system_cards, blank = cards_per_node): replicas "
                    f"and tensor-parallel groups are kept inside one system",
                    table.name,
                    row,
                    column,
                    "scaleup_domain",
                )
            )


def _check_models(
    check: _Checker, table: RawTable, models: dict[str, tuple[int, ModelRow]]
) -> None:
    for row, model in models.values():
        if model.active_params_b > model.params_b:
            check.add(
                f"must be <= params_b ({show_value(model.params_b)}), got "
                f"{show_value(model.active_params_b)}",
                table,
                row,
                "active_params_b",
            )
        if model.kv_heads > model.heads:
            check.add(
                f"must be <= heads ({model.heads}), got {model.kv_heads}", table, row, "kv_heads"
            )
        _check_moe(check, table, row, model)


#: Columns a MoE row fills together (`Models.experts` marks a MoE).
_MOE_COLUMNS = ("experts", "experts_per_token", "expert_ffn")


def _check_moe(check: _Checker, table: RawTable, row: int, model: ModelRow) -> None:
    """A MoE row fills experts, experts_per_token and expert_ffn; its experts fit its sizes.

    Routed parameters L_moe x experts x 3 x hidden x expert_ffn must not exceed
    params_b, nor the routed active ones (k experts, plus the shared experts every token
    passes) active_params_b: an architecture that breaks either is mistyped.
    """
    filled = [c for c in _MOE_COLUMNS if getattr(model, c) is not None]
    if not filled:
        for column in ("moe_layers", "shared_experts"):
            if getattr(model, column):
                check.add("set only for a MoE (fill experts first)", table, row, column)
        return
    if len(filled) < len(_MOE_COLUMNS):
        for column in _MOE_COLUMNS:
            if getattr(model, column) is None:
                check.add(f"a MoE needs {', '.join(_MOE_COLUMNS)} together", table, row, column)
        return
    experts, k, ffn = model.experts or 0, model.experts_per_token or 0, model.expert_ffn or 0
    if k > experts:
        check.add(f"must be <= experts ({experts}), got {k}", table, row, "experts_per_token")
        return
    layers = model.moe_layers if model.moe_layers is not None else model.layers
    if layers > model.layers:
        check.add(f"must be <= layers ({model.layers}), got {layers}", table, row, "moe_layers")
        return
    per_expert = 3.0 * model.hidden * ffn
    routed_b = layers * experts * per_expert / 1e9
    active_b = layers * (k + model.shared_experts) * per_expert / 1e9
    if routed_b > model.params_b:
        check.add(
            f"{layers} MoE layers x {experts} experts x 3 x hidden x expert_ffn = "
            f"{routed_b:,.1f}B routed parameters, more than params_b "
            f"({show_value(model.params_b)})",
            table,
            row,
            "expert_ffn",
        )
    elif active_b > model.active_params_b:
        check.add(
            f"{k} routed + {model.shared_experts} shared experts per token in {layers} MoE "
            f"layers = {active_b:,.1f}B active parameters, more than active_params_b "
            f"({show_value(model.active_params_b)})",
            table,
            row,
            "expert_ffn",
        )


def _check_workloads(
    check: _Checker,
    table: RawTable,
    workloads: dict[str, tuple[int, WorkloadRow]],
    chips: dict[str, ChipRow],
    models: dict[str, ModelRow],
    site: SiteRow | None,
    invalid_chips: frozenset[str] = frozenset(),
) -> None:
    """Kind-specific required fields; with a valid Site, chip availability, precision
    support and memory fit (which chips a site can buy depends on its region; an
    invalid Site has its own errors reported and these checks wait for the fix).

    So do they when a chip the workload may use is a row with its own error
    (`invalid_chips`): that chip may be the one it needs, and "no allowed chip" would
    only repeat the root error."""
    for row, w in workloads.values():
        if w.kind == "training":
            if w.target_tokens_per_s is None and (
                w.train_tokens_b is None or w.deadline_days is None
            ):
                check.add(
                    "training needs target_tokens_per_s, or train_tokens_b with deadline_days",
                    table,
                    row,
                    "target_tokens_per_s",
                )
            if w.global_batch_tokens is None:
                check.add(
                    "is required for training (tokens per optimizer step)",
                    table,
                    row,
                    "global_batch_tokens",
                )
            if w.draft_tokens:
                check.warnings.append(
                    InputIssue(
                        f"draft_tokens {w.draft_tokens} applies to inference only; ignored for "
                        "this training workload",
                        table.name,
                        row,
                        table.column_of("draft_tokens"),
                        "draft_tokens",
                    )
                )
        else:
            for key in (
                "target_tokens_per_s",
                "avg_input_tokens",
                "avg_output_tokens",
                "max_tpot_ms",
            ):
                if getattr(w, key) is None:
                    check.add("is required for inference", table, row, key)
            if w.draft_tokens and w.acceptance_length is None:
                check.add(
                    f"is required with draft_tokens {w.draft_tokens} (the mean tokens a "
                    "speculative decode step emits per request)",
                    table,
                    row,
                    "acceptance_length",
                )
            elif w.acceptance_length is not None and w.acceptance_length > w.draft_tokens + 1:
                check.add(
                    f"{show_value(w.acceptance_length)} tokens a step is more than the "
                    f"{w.draft_tokens} draft tokens + 1 a step can verify",
                    table,
                    row,
                    "acceptance_length",
                )
            if w.recompute != "auto":
                check.warnings.append(
                    InputIssue(
                        f"recompute {w.recompute} applies to training only; ignored for this "
                        "inference workload",
                        table.name,
                        row,
                        table.column_of("recompute"),
                        "recompute",
                    )
                )
        if site is None:
            continue
        if invalid_chips & set(w.allowed_chips or invalid_chips):
            continue
        candidates = allowed_chip_ids(chips, w, site)
        if not candidates:
            by_reason: dict[str, list[str]] = {}
            for cid, reason in unavailable_chips(chips, w, site).items():
                by_reason.setdefault(reason, []).append(cid)
            why = "; ".join(f"{listing(ids)}: {reason}" for reason, ids in by_reason.items())
            check.add(
                "no allowed chip is available (check allowed_chips, Chips.available and "
                f"Site region){': ' + why if why else ''}",
                table,
                row,
                "allowed_chips",
            )
            continue
        if not any(supports_precision(chips[c], w.precision) for c in candidates):
            check.add(
                f"precision {w.precision} is supported by none of the allowed available "
                f"chips ({listing(candidates)})",
                table,
                row,
                "precision",
            )
        model = models.get(w.model_id)
        # A MoE's expert-parallel replica may span systems over the fabric, so its weights
        # need not fit one scale-up group; the performance model says when none works.
        if model is None or w.kind != "inference" or model.experts is not None:
            continue
        weights_gb = model.params_b * BYTES_PER_VALUE[w.precision]
        best_gb = max(chips[c].memory_gb * _group_cards(chips[c]) for c in candidates)
        if weights_gb > best_gb:
            check.add(
                f"model {w.model_id} needs {weights_gb:,.0f} GB of weights at "
                f"{w.precision}, more than any allowed chip's replica can hold ({best_gb:,.0f} GB; "
                "a replica spans at most min(scaleup_domain, system_cards) cards)",
                table,
                row,
                "model_id",
            )


def _group_cards(chip: ChipRow) -> int:
    """`tco.perf.hardware.scaleup_group_cards` (perf imports this module, so not imported)."""
    return min(chip.scaleup_domain, chip.system_cards or chip.cards_per_node)


@dataclass(frozen=True)
class _Nominal:
    """Where the value an Uncertainty range bounds lives, for a located warning."""

    sheet: str
    row: int | None
    column: str | None
    field: str
    #: "ascend-910c: " for a table row, "" for a Site key.
    label: str


def _check_uncertainty(
    check: _Checker,
    tables: dict[str, RawTable],
    ranges: dict[str, tuple[int, UncertaintyRow]],
    typed: dict[str, TypedRows],
    site: SiteRow | None,
) -> None:
    """Each range points at an existing row and numeric field, with low <= high, and a
    `currency` only on a money field.

    A nominal value outside its range is accepted: it is usually a real quote
    that a published range did not foresee, and refusing it would make the
    planner edit the published range by hand. The range is widened in `ranges`
    to include the nominal (so the range the report's Assumptions show, and
    anything drawn from it, holds the value in use) and a warning names both
    cells. A range quoted in another currency than its row is judged once both
    are converted to the Site currency (`_judge_converted_ranges`): 15,000-20,000
    USD says nothing about a quote of 110,000 CNY until the FX sheet has spoken.
    """
    table = tables["Uncertainty"]
    site_rows = {str(r.values.get("key", "")).strip(): r.row for r in tables[SITE.name].rows}
    for key, (row, u) in list(ranges.items()):
        sheet = SHEETS_BY_NAME[u.sheet]
        target: BaseModel | None  # the row holding the nominal value (None: Site is invalid)
        # Reported with the row's other problems, all at once; such a range is not judged.
        inverted = u.low > u.high
        if inverted:
            check.add(
                f"low ({show_value(u.low)}) must be <= high ({show_value(u.high)})",
                table,
                row,
                "low",
            )
        if sheet.name == "Site":
            if u.row_id not in SITE.keys:
                check.add(f"unknown Site key {show_value(u.row_id)}", table, row, "row_id")
                continue
            if not SITE.field(u.row_id).is_numeric:
                check.add(f"{show_value(u.row_id)} is not a numeric Site key", table, row, "row_id")
                continue
            field_key, target = u.row_id, site
            if u.field not in ("value", u.row_id):
                check.add("for Site rows the field must be 'value'", table, row, "field")
                continue
            place = _Nominal(SITE.name, site_rows.get(field_key), "B", field_key, "")
            money = SITE.field(field_key).is_money
            quoted = site.currency if site is not None else None
        else:
            entry = typed[sheet.name].get(u.row_id)
            if entry is None and u.row_id in check.invalid_ids.get(sheet.name, ()):
                continue  # the row exists; its own error is reported
            if entry is None:
                check.add(
                    f"no {sheet.name} row with id {show_value(u.row_id)}", table, row, "row_id"
                )
                continue
            field_key, target = u.field, entry[1]
            if field_key not in sheet.keys or not sheet.field(field_key).is_numeric:
                check.add(
                    f"{show_value(field_key)} is not a numeric column of {sheet.name}",
                    table,
                    row,
                    "field",
                )
                continue
            column = tables[sheet.name].column_of(field_key)
            place = _Nominal(sheet.name, entry[0], column, field_key, f"{u.row_id}: ")
            money = sheet.field(field_key).is_money
            quoted = getattr(target, "currency", None)
        if u.currency is not None and not money:
            check.add(
                f"a currency applies to a range on money only; {show_value(field_key)} is not "
                "money (leave the cell blank)",
                table,
                row,
                "currency",
            )
            continue
        if target is None or inverted:
            continue
        if u.currency is not None and u.currency != quoted:
            check.deferred_ranges[key] = place
            continue
        # A money range in its row's own currency is quoted in it; other fields bare.
        unit = _money_unit(sheet, field_key, quoted or "USD") if money else ""
        _judge_range(check, table, ranges, key, getattr(target, field_key), place, unit=unit)


def _judge_converted_ranges(
    check: _Checker,
    table: RawTable,
    ranges: dict[str, tuple[int, UncertaintyRow]],
    entered: _Typed,
    converted: _Typed,
    site: SiteRow,
) -> None:
    """`_judge_range` for the ranges `_check_uncertainty` deferred, in the Site currency.

    A range left unconverted (a missing rate) is not judged: its issue is reported.
    The warning gives the value as entered and converted ("180,000 CNY = 25,245.44 USD").
    """
    before_rows, after_rows = entered.by_sheet(), converted.by_sheet()
    for key, place in check.deferred_ranges.items():
        if key not in ranges or ranges[key][1].currency != site.currency:
            continue
        _, u = ranges[key]
        _, quoted_range = entered.uncertainty[key]
        if place.sheet == SITE.name:
            as_entered, nominal, quoted = None, getattr(site, place.field), site.currency
        else:
            before = before_rows[place.sheet][u.row_id][1]
            after = after_rows[place.sheet][u.row_id][1]
            if getattr(after, "currency", site.currency) != site.currency:
                continue  # the row's own rate is missing: its issue is reported
            as_entered, nominal = getattr(before, place.field), getattr(after, place.field)
            quoted = getattr(before, "currency", site.currency)
        if as_entered is not None and quoted != site.currency:
            place = replace(place, label=f"{place.label}{_amount(as_entered)} {quoted} = ")
        sheet = SITE if place.sheet == SITE.name else SHEETS_BY_NAME[place.sheet]
        entered_unit = _money_unit(sheet, place.field, str(quoted_range.currency))
        entered_as = f"{_span(quoted_range.low, quoted_range.high)} {entered_unit}"
        unit = _money_unit(sheet, place.field, site.currency)
        _judge_range(check, table, ranges, key, nominal, place, site.currency, entered_as, unit)


def _money_unit(sheet: Any, field_key: str, currency: str) -> str:
    """A money field's unit in `currency`: 'CNY' for a price, 'USD/kWh' for energy."""
    return str(sheet.field(field_key).unit).replace("currency", currency)


def _judge_range(
    check: _Checker,
    table: RawTable,
    ranges: dict[str, tuple[int, UncertaintyRow]],
    key: str,
    nominal: float | None,
    place: _Nominal,
    currency: str = "",
    entered_as: str = "",
    unit: str = "",
) -> None:
    """Widen range `key` to hold its nominal value, with a warning at both cells; a blank
    nominal is an error. `unit` follows each amount the warning quotes (money: its
    currency, per kWh or kW where the field is, `_money_unit`).

    A range converted from another currency (`currency`, the Site's, follows each amount
    the warning quotes; `entered_as` is the range as typed) is judged within a relative
    1e-9: converting both ends and the nominal in floats can put a quote that sits on an
    end a hair outside it (116,320 CNY / 7.27 = 16,000.000000000002 USD). Such a range is
    still widened to hold it, silently; converted amounts are quoted to 7 digits.
    """
    row, u = ranges[key]
    if nominal is None:
        check.add(f"the nominal {place.sheet} value of {place.field} is blank", table, row, "field")
        return
    if u.low <= nominal <= u.high:
        return
    widened = u.model_copy(update={"low": min(u.low, nominal), "high": max(u.high, nominal)})
    ranges[key] = (row, widened)
    slack = _CONVERTED_SLACK * max(abs(u.low), abs(u.high), abs(nominal))
    if currency and u.low - slack <= nominal <= u.high + slack:
        return

    def digits(value: float) -> float:
        return float(f"{value:.7g}") if currency else value

    unit = f" {unit or currency}" if currency or unit else ""
    before = _span(digits(u.low), digits(u.high))
    after = _span(digits(widened.low), digits(widened.high))
    entered = f", entered as {entered_as}" if entered_as else ""
    check.warnings.append(
        InputIssue(
            f"{place.label}{_amount(digits(nominal))}{unit} is outside the Uncertainty range "
            f"{before}{unit} (Uncertainty row {row}{entered}); the range is widened to "
            f"{after}{unit}",
            place.sheet,
            place.row,
            place.column,
            place.field,
        )
    )


#: Relative tolerance of a converted range's ends (`_judge_range`).
_CONVERTED_SLACK = 1e-9


def _amount(value: float) -> str:
    """A value as a planner reads it: 21000.0 -> '21,000', 0.09 -> '0.09'."""
    return f"{value:,.15g}"


def _span(low: float, high: float) -> str:
    """'15,000-20,000'; a negative end would read as a minus sign, so it gets 'to'."""
    separator = " to " if low < 0 or high < 0 else "-"
    return f"{_amount(low)}{separator}{_amount(high)}"


def inputs_from_dicts(
    sheets: Mapping[str, list[dict[str, Any]]],
    site: Mapping[str, Any],
    source_name: str = "<memory>",
) -> PlanningInputs:
    """Validate inputs given as plain dicts (tests, the example builder) like a workbook."""
    raw = RawWorkbook(source_name=source_name)
    for name, rows in sheets.items():
        raw.tables[name] = table_from_dicts(name, list(SHEETS_BY_NAME[name].keys), rows)
    raw.tables["Site"] = table_from_dicts(
        "Site", ["key", "value"], [{"key": k, "value": v} for k, v in site.items()]
    )
    return validate_workbook(raw)
