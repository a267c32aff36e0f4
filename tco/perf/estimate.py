"""Performance estimates per (workload, chip, fabric), for `tco estimate` and reports."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypedDict

from rich import box
from rich.console import JustifyMethod
from rich.table import Table

from tco.perf.disaggregated import serving_estimate
from tco.perf.hardware import (
    replicas_per_system,
    system_cards,
    systems_for_replicas,
    whole_system_nodes,
)
from tco.perf.inference import speculation
from tco.perf.moe import is_moe
from tco.perf.power import node_power
from tco.perf.training import TrainingStep, training_curve, training_target_tokens_per_s
from tco.schema.availability import permitted_chip_ids, unavailable_reason
from tco.schema.inputs import (
    PlanningInputs,
    compatible_fabric_ids,
    fabric_refusal,
    required_for_kind,
)
from tco.schema.rows import ChipRow, FabricRow, ModelRow, SiteRow, WorkloadRow
from tco.text import plural


@dataclass(frozen=True)
class Estimate:
    """One (workload, chip, fabric) evaluation; None where a field does not apply.

    cards_for_target is in whole systems (`Chips.system_cards`), as a pool is
    bought. Training: tokens_per_s at `cards` (= cards_for_target unless cards
    were given); replica_cards = tensor x context x pipeline. Inference: output tokens/s
    of the replicas `cards` hold, none spanning two systems. memory_headroom_gb is usable memory per
    card left after the model state (and, for inference, the KV cache).
    """

    workload: str
    kind: str
    chip: str
    fabric: str
    feasible: bool
    reason: str
    target_tokens_per_s: float
    cards: int | None = None
    tokens_per_s: float | None = None
    tokens_per_s_per_card: float | None = None
    cards_for_target: int | None = None
    replica_cards: int | None = None
    #: How a replica splits the model: training 'TP8 PP4 VP5 DP4, selective recompute',
    #: inference 'TP8' or 'EP16 DP-attention across ib-ndr400'.
    layout: str | None = None
    batch: int | None = None
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    step_time_s: float | None = None
    compute_s: float | None = None
    comm_s: float | None = None
    bubble_s: float | None = None
    avg_node_kw: float | None = None
    memory_headroom_gb: float | None = None
    #: Serving: prompt tokens an iteration prefills when prompts are prefilled as they
    #: arrive (0: every iteration carries the steady chunk; `tco.perf.inference.bursts`).
    prefill_burst_tokens: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Subject(TypedDict):
    """The `Estimate` fields naming what is estimated, shared by its feasible and failed forms."""

    workload: str
    kind: str
    chip: str
    fabric: str
    target_tokens_per_s: float


#: Fabric label of inference estimates, which no scale-out fabric changes.
ANY_FABRIC = "any"


def estimate(
    inputs: PlanningInputs,
    workload_id: str | None = None,
    chip_id: str | None = None,
    fabric_id: str | None = None,
    cards: int | None = None,
) -> list[Estimate]:
    """Estimates for every workload x allowed chip x compatible fabric (filtered).

    A chip the site cannot buy (available = no, export control) gets one
    infeasible row with the reason, so a planner who asks about it learns why
    it is missing from every plan.
    """
    out = []
    for wid, workload in inputs.workloads.items():
        if workload_id is not None and wid != workload_id:
            continue
        for cid in permitted_chip_ids(inputs.chips, workload):
            if chip_id is not None and cid != chip_id:
                continue
            chip = inputs.chips[cid]
            unavailable = unavailable_reason(chip, inputs.site)
            if unavailable is not None:
                out.append(_unavailable(workload, chip, fabric_id, unavailable))
                continue
            model = inputs.models[workload.model_id]
            fabrics = [
                fid
                for fid in compatible_fabric_ids(inputs, cid)
                if fabric_id is None or fid == fabric_id
            ]
            if workload.kind == "inference" and not is_moe(model):
                # A dense replica lives inside one scale-up domain: the scale-out fabric
                # does not change its throughput, so one row stands for every fabric.
                if fabrics:
                    label = fabric_id if fabric_id is not None else ANY_FABRIC
                    out.append(_inference(workload, model, chip, label, None, inputs.site, cards))
                continue
            if workload.kind == "inference":
                # A MoE's expert-parallel replica may span systems over the fabric.
                for fid in fabrics:
                    fabric = inputs.fabrics[fid]
                    out.append(_inference(workload, model, chip, fid, fabric, inputs.site, cards))
                continue
            for fid in fabrics:
                fabric = inputs.fabrics[fid]
                out.append(_training(workload, model, chip, fabric, inputs.site, cards))
    return out


def unanswerable(
    inputs: PlanningInputs,
    estimates: list[Estimate],
    workload_id: str | None = None,
    chip_id: str | None = None,
    fabric_id: str | None = None,
) -> list[str]:
    """Why `estimates` (of these filters) answer nothing, one line per cause; [] if they do.

    A chip the site cannot buy is refused with its reason although it has a
    row: asked for by name, that row alone would read as an estimate. Without
    a row, the workload does not allow the chip or no fabric connects it.
    """
    if chip_id is not None:
        chip = inputs.chips[chip_id]
        reason = unavailable_reason(chip, inputs.site)
        if reason is not None:
            return [f"--chip {chip_id}: {chip.name} is {reason}"]
    if estimates:
        return []
    lines = []
    for wid, workload in inputs.workloads.items():
        if workload_id is not None and wid != workload_id:
            continue
        permitted = permitted_chip_ids(inputs.chips, workload)
        chips = [c for c in permitted if chip_id is None or c == chip_id]
        if not chips:
            lines.append(
                f"workload {wid} does not allow chip {chip_id} "
                f"(its allowed_chips: {', '.join(permitted)})"
            )
            continue
        subject = ("chip " if len(chips) == 1 else "chips ") + ", ".join(chips)
        if fabric_id is None:
            lines.append(f"workload {wid}: no fabric in the workbook connects {subject}")
            continue
        fabric = inputs.fabrics[fabric_id]
        why = "; ".join(
            dict.fromkeys(
                refusal
                for c in chips
                if (refusal := fabric_refusal(fabric, inputs.chips[c])) is not None
            )
        )
        lines.append(f"workload {wid}: fabric {fabric_id} does not connect {subject} ({why})")
    return lines or ["these filters leave nothing to estimate"]


def _unavailable(
    workload: WorkloadRow, chip: ChipRow, fabric_id: str | None, reason: str
) -> Estimate:
    """The row of a chip the site cannot buy: no fabric makes it buyable, so one row."""
    target = (
        training_target_tokens_per_s(workload)
        if workload.kind == "training"
        else required_for_kind(workload.target_tokens_per_s, "target_tokens_per_s")
    )
    return Estimate(
        workload=workload.workload_id,
        kind=workload.kind,
        chip=chip.chip_id,
        fabric=fabric_id if fabric_id is not None else ANY_FABRIC,
        feasible=False,
        reason=reason,
        target_tokens_per_s=target,
    )


def _training(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    fabric: FabricRow,
    site: SiteRow,
    cards: int | None,
) -> Estimate:
    target = training_target_tokens_per_s(workload)
    base = _Subject(
        workload=workload.workload_id,
        kind="training",
        chip=chip.chip_id,
        fabric=fabric.fabric_id,
        target_tokens_per_s=target,
    )
    curve = training_curve(workload, model, chip, fabric, site)
    if not curve.feasible:
        return Estimate(feasible=False, reason=curve.reason, **base)
    need = curve.nodes_for(target)
    cards_for_target = (
        None if need.nodes is None else whole_system_nodes(chip, need.nodes) * chip.cards_per_node
    )
    at_cards = cards or cards_for_target or curve.saturation_nodes * chip.cards_per_node
    step: TrainingStep = curve.step_at_cards(at_cards)
    reason = need.reason or step.reason
    if step.feasible and cards is not None and step.tokens_per_s < target:
        reason = f"{plural(cards, 'card')} give {step.tokens_per_s:,.0f} tokens/s, below the target"
    if not step.feasible:
        return Estimate(
            feasible=False, reason=reason, cards=at_cards, cards_for_target=cards_for_target, **base
        )
    return Estimate(
        feasible=need.feasible and not reason,
        reason=reason,
        cards=at_cards,
        tokens_per_s=step.tokens_per_s,
        tokens_per_s_per_card=step.tokens_per_s / at_cards,
        cards_for_target=cards_for_target,
        replica_cards=step.tensor * step.context * step.pipeline,
        layout=step.layout,
        step_time_s=step.step_time_s,
        compute_s=step.compute_s,
        comm_s=step.comm_s,
        bubble_s=step.bubble_s,
        avg_node_kw=node_power(chip, site, fabric).average_kw,
        memory_headroom_gb=step.usable_gb_per_card - step.memory_gb_per_card,
        **base,
    )


def _inference(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    fabric_label: str,
    fabric: FabricRow | None,
    site: SiteRow,
    cards: int | None,
) -> Estimate:
    target = required_for_kind(workload.target_tokens_per_s, "target_tokens_per_s")
    base = _Subject(
        workload=workload.workload_id,
        kind="inference",
        chip=chip.chip_id,
        fabric=fabric_label,
        target_tokens_per_s=target,
    )
    result = serving_estimate(workload, model, chip, site, fabric)
    if not result.feasible or result.replica_cards is None:
        return Estimate(feasible=False, reason=result.reason, **base)
    g = result.replica_cards
    # Whole systems, each holding whole replicas, or whole systems per spanning replica.
    needed = math.ceil(target / result.tokens_per_s - 1e-9)
    cards_for_target = systems_for_replicas(chip, g, needed) * system_cards(chip)
    at_cards = cards or cards_for_target
    if g > system_cards(chip):
        replicas = at_cards // g
    else:
        per_system = replicas_per_system(chip, g)
        replicas = at_cards // system_cards(chip) * per_system + at_cards % system_cards(chip) // g
    reason = ""
    if replicas == 0:
        reason = f"{plural(at_cards, 'card')} are fewer than one {g:,}-card replica"
    elif cards is not None and replicas * result.tokens_per_s < target:
        given = plural(cards, "card")
        reason = f"{given} give {replicas * result.tokens_per_s:,.0f} tokens/s, below target"
    return Estimate(
        feasible=not reason,
        reason=reason,
        cards=at_cards,
        tokens_per_s=replicas * result.tokens_per_s,
        tokens_per_s_per_card=replicas * result.tokens_per_s / at_cards,
        cards_for_target=cards_for_target,
        replica_cards=g,
        layout=result.layout,
        batch=result.batch,
        tpot_ms=result.tpot_ms,
        ttft_ms=result.ttft_ms,
        # The iteration whose terms are shown (a busy one under prefill bursts, longer
        # than the mean TPOT x tokens a step), so its comm is part of its step.
        step_time_s=result.decode_step_s
        or (result.tpot_ms or 0.0) / 1e3 * speculation(workload).accept,
        comm_s=result.decode_comm_s,
        avg_node_kw=node_power(chip, site).average_kw,
        memory_headroom_gb=result.free_gb_per_card,
        prefill_burst_tokens=result.prefill_burst_tokens,
        **base,
    )


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


#: Every column of the wide table: header, justification, and the cell text of an estimate.
_COLUMNS: tuple[tuple[str, JustifyMethod, Callable[[Estimate], str]], ...] = (
    ("chip", "left", lambda e: e.chip),
    ("fabric", "left", lambda e: e.fabric),
    ("cards", "right", lambda e: _fmt(e.cards)),
    ("tokens/s", "right", lambda e: _fmt(e.tokens_per_s)),
    ("tok/s/card", "right", lambda e: _fmt(e.tokens_per_s_per_card, 1)),
    ("cards for target", "right", lambda e: _fmt(e.cards_for_target)),
    ("replica", "right", lambda e: _fmt(e.replica_cards)),
    ("layout", "left", lambda e: e.layout or "-"),
    ("batch", "right", lambda e: _fmt(e.batch)),
    ("TPOT ms", "right", lambda e: _fmt(e.tpot_ms, 1)),
    ("TTFT ms", "right", lambda e: _fmt(e.ttft_ms, 1)),
    ("step s", "right", lambda e: _fmt(e.step_time_s, 3)),
    ("comm s", "right", lambda e: _fmt(e.comm_s, 3)),
    ("avg node kW", "right", lambda e: _fmt(e.avg_node_kw, 2)),
    ("free GB/card", "right", lambda e: _fmt(e.memory_headroom_gb, 1)),
)
#: The default table's columns: what fits an 80-column terminal (`--wide` shows all).
COMPACT = ("chip", "fabric", "cards", "tokens/s", "tok/s/card")


def render(estimates: list[Estimate], wide: bool = False) -> list[Table | str]:
    """Per workload, its table and then the notes of its infeasible rows."""
    out: list[Table | str] = []
    for wid in dict.fromkeys(e.workload for e in estimates):
        rows = [e for e in estimates if e.workload == wid]
        out += [render_table(rows, wide), *notes(rows)]
    return out


def render_table(estimates: list[Estimate], wide: bool = False) -> Table:
    """A rich table of one workload's estimates; the last column says ok or points to a note.

    The workload and its target are the title, so the columns are the chip's:
    the default set fits an 80-column terminal. Numbers never wrap: their
    columns are as wide as their longest cell, and only the id columns fold
    when the terminal is narrow. Why a row is infeasible is in `notes`, printed
    under the table, where it reads as a sentence rather than a column a few
    characters wide.
    """
    columns = [c for c in _COLUMNS if wide or c[0] in COMPACT]
    first = estimates[0] if estimates else None
    title = (
        f"{first.workload} ({first.kind}): target {first.target_tokens_per_s:,.0f} tokens/s"
        if first is not None
        else "Performance estimates"
    )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    cells = [[cell(e) for _, _, cell in columns] for e in estimates]
    for i, (name, justify, _) in enumerate(columns):
        numeric = justify == "right"
        longest = max((len(row[i]) for row in cells), default=0)
        table.add_column(
            name,
            justify=justify,
            no_wrap=numeric,
            overflow="fold",
            min_width=longest if numeric else None,
        )
    table.add_column("note", no_wrap=True)
    note = 0
    for e, row in zip(estimates, cells, strict=True):
        if e.feasible:
            mark = "ok"
        else:
            note += 1
            mark = f"[{note}]"
        table.add_row(*row, mark)
    return table


def notes(estimates: list[Estimate]) -> list[str]:
    """'[k] chip, fabric: reason' for each infeasible row, numbered as in `render_table`,
    then how each expert-parallel replica or prefill/decode unit is laid out (neither is
    a plain TP group)."""
    failed = [e for e in estimates if not e.feasible]
    lines = [
        f"[{k}] {e.chip}, {e.fabric}: {e.reason or 'no estimate'}"
        for k, e in enumerate(failed, start=1)
    ]
    for e in estimates:
        if not e.feasible:
            continue
        bursts = (
            f"; each prompt is prefilled as it arrives, {e.prefill_burst_tokens:,.0f} tokens "
            "an iteration (steady chunks would miss the TTFT limit or make fewer tokens/s)"
            if e.prefill_burst_tokens
            else ""
        )
        if e.layout and e.layout.startswith("EP"):
            lines.append(
                f"{e.chip}, {e.fabric}: replicas of {plural(e.replica_cards or 0, 'card')}, "
                f"{e.layout} (each card holds the dense layers and 1/{e.replica_cards} of the "
                f"routed experts and serves its own requests' attention); batch {e.batch:,} "
                f"a card, TPOT {e.tpot_ms or 0:,.1f} ms, TTFT {e.ttft_ms or 0:,.0f} ms" + bursts
            )
        elif e.layout and " prefill " in e.layout and " decode " in e.layout:
            lines.append(
                f"{e.chip}, {e.fabric}: one prefill/decode unit of "
                f"{plural(e.replica_cards or 0, 'card')}, {e.layout} (prompts are prefilled "
                f"on the prefill replicas and their KV cache handed over {e.fabric} to the "
                f"decode replicas, which decode only); decode batch {e.batch:,}, TPOT "
                f"{e.tpot_ms or 0:,.1f} ms, TTFT {e.ttft_ms or 0:,.0f} ms"
            )
        elif bursts:
            lines.append(
                f"{e.chip}, {e.fabric}: {e.layout} replicas, batch {e.batch:,}, mean TPOT "
                f"{e.tpot_ms or 0:,.1f} ms, TTFT {e.ttft_ms or 0:,.0f} ms" + bursts
            )
    return lines
