"""Pool choice per workload, system/node/replica counts, and throughput >= target.

Sets: WORKLOADS; OPTIONS (workload, chip, fabric, cooling), sparse;
TRAIN_OPTIONS, INFER_OPTIONS; SYSTEM_OPTIONS (those whose system is several
servers); CUTS (option, i) for the training curves.

Pools are bought in whole systems (`Chips.system_cards`): cards = cards_per_node
x nodes and nodes = nodes_per_system x systems. Where a system is one server,
systems is nodes itself and no variable is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from tco.model import fleet
from tco.model.context import ModelContext, count_of, value_of
from tco.model.options import Option


def add_to(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    options = ctx.options
    m.WORKLOADS = pyo.Set(initialize=list(ctx.inputs.workloads), ordered=True)
    m.OPTIONS = pyo.Set(initialize=[o.key for o in options], dimen=4, ordered=True)
    m.TRAIN_OPTIONS = pyo.Set(
        within=m.OPTIONS,
        dimen=4,
        ordered=True,
        initialize=[o.key for o in options if o.kind == "training"],
    )
    m.INFER_OPTIONS = pyo.Set(
        within=m.OPTIONS,
        dimen=4,
        ordered=True,
        initialize=[o.key for o in options if o.kind == "inference"],
    )
    m.SYSTEM_OPTIONS = pyo.Set(
        within=m.OPTIONS,
        dimen=4,
        ordered=True,
        initialize=[o.key for o in options if o.nodes_per_system > 1],
    )
    m.CUTS = pyo.Set(
        dimen=5,
        ordered=True,
        initialize=[
            (*o.key, i) for o in options if o.kind == "training" for i in range(len(o.cuts))
        ],
    )

    m.v_use = pyo.Var(m.OPTIONS, within=pyo.Binary)
    m.v_nodes = pyo.Var(
        m.OPTIONS, within=pyo.NonNegativeIntegers, bounds=lambda _, *k: (0, ctx.option(k).max_nodes)
    )
    m.v_replicas = pyo.Var(
        m.INFER_OPTIONS,
        within=pyo.NonNegativeIntegers,
        bounds=lambda _, *k: (0, ctx.option(k).max_replicas),
    )
    m.v_systems = pyo.Var(
        m.SYSTEM_OPTIONS,
        within=pyo.NonNegativeIntegers,
        bounds=lambda _, *k: (0, ctx.option(k).systems(ctx.option(k).max_nodes)),
    )
    # Throughput as a share of the workload's target (1 = target met): keeps the
    # tokens/s coefficients (up to ~1e6) out of the matrix.
    m.v_throughput = pyo.Var(m.OPTIONS, within=pyo.NonNegativeReals)

    def e_cards(m: pyo.ConcreteModel, *k: Any) -> Any:
        """Cards of a pool [cards] = cards_per_node x nodes: servers come full."""
        return ctx.option(k).cards_per_node * m.v_nodes[k]

    m.e_cards = pyo.Expression(m.OPTIONS, rule=e_cards)

    def e_systems(m: pyo.ConcreteModel, *k: Any) -> Any:
        """Systems of a pool [systems]: its own variable, or the nodes when one server."""
        return m.v_systems[k] if k in m.SYSTEM_OPTIONS else m.v_nodes[k]

    m.e_systems = pyo.Expression(m.OPTIONS, rule=e_systems)

    def whole_systems_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """nodes = nodes_per_system x systems [nodes]: a pool is ordered in whole systems."""
        return m.v_nodes[k] == ctx.option(k).nodes_per_system * m.v_systems[k]

    m.whole_systems_constraint = pyo.Constraint(m.SYSTEM_OPTIONS, rule=whole_systems_constraint)

    def one_option_constraint(m: pyo.ConcreteModel, w: str) -> Any:
        """sum_o use[w,o] = 1: exactly one homogeneous pool per workload."""
        return sum(m.v_use[o.key] for o in options if o.workload == w) == 1

    if ctx.mixed:
        fleet.add_mix(m, ctx)
    else:
        m.one_option_constraint = pyo.Constraint(m.WORKLOADS, rule=one_option_constraint)

    def max_nodes_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """nodes <= max_nodes x use [nodes]: an unused option has no nodes."""
        return m.v_nodes[k] <= ctx.option(k).max_nodes * m.v_use[k]

    m.max_nodes_constraint = pyo.Constraint(m.OPTIONS, rule=max_nodes_constraint)

    def min_nodes_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """nodes >= least nodes x use [nodes]: the target (or, elastic, memory) needs them.

        Implied by the throughput rows at integer points, but not in the LP
        relaxation, where it makes a fractional use pay for a whole pool.
        """
        return m.v_nodes[k] >= ctx.least_nodes(k) * m.v_use[k]

    m.min_nodes_constraint = pyo.Constraint(m.OPTIONS, rule=min_nodes_constraint)

    def min_replicas_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """replicas >= target replicas x use [replicas] (0 in the elastic model)."""
        least = 0 if ctx.elastic else ctx.option(k).target_replicas
        if ctx.is_part(k[0]) and not ctx.elastic:
            least = 1  # a part serves some of the target
        return m.v_replicas[k] >= least * m.v_use[k]

    m.min_replicas_constraint = pyo.Constraint(m.INFER_OPTIONS, rule=min_replicas_constraint)

    def max_replicas_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """replicas <= max_replicas x use [replicas]: no replica on an unused option."""
        return m.v_replicas[k] <= ctx.option(k).max_replicas * m.v_use[k]

    m.max_replicas_constraint = pyo.Constraint(m.INFER_OPTIONS, rule=max_replicas_constraint)

    def throughput_use_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """t <= use [share of the target]: one pool serves at most its workload's target.

        Valid because no pool needs to serve more than its workload's target (one
        serves it all, or the parts of a mixed workload share it); it keeps the LP
        relaxation from meeting a target with a sliver of a large pool's use.
        """
        return m.v_throughput[k] <= m.v_use[k]

    m.throughput_use_constraint = pyo.Constraint(m.OPTIONS, rule=throughput_use_constraint)

    def training_curve_constraint(m: pyo.ConcreteModel, *ki: Any) -> Any:
        """t x target <= a_i x nodes + b_i x use [tokens/s], cuts of the concave T(nodes)."""
        k, i = ki[:4], ki[4]
        o = ctx.option(k)
        a, b = o.cuts[i]
        target = o.target_tokens_per_s
        return m.v_throughput[k] <= a / target * m.v_nodes[k] + b / target * m.v_use[k]

    m.training_curve_constraint = pyo.Constraint(m.CUTS, rule=training_curve_constraint)

    def replica_throughput_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """t x target <= tokens_per_replica x replicas [output tokens/s]."""
        o = ctx.option(k)
        return m.v_throughput[k] <= o.tokens_per_replica / o.target_tokens_per_s * m.v_replicas[k]

    m.replica_throughput_constraint = pyo.Constraint(
        m.INFER_OPTIONS, rule=replica_throughput_constraint
    )

    def replica_slots_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """systems_per_replica x replicas <= replicas_per_system x systems [systems x
        replicas]: a replica stays inside one system's scale-up domain, or takes whole
        systems when it spans them over the fabric (one of the two factors is 1)."""
        o = ctx.option(k)
        return o.systems_per_replica * m.v_replicas[k] <= o.replicas_per_system * m.e_systems[k]

    m.replica_slots_constraint = pyo.Constraint(m.INFER_OPTIONS, rule=replica_slots_constraint)

    def no_idle_system_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """replicas_per_system x systems <= systems_per_replica x replicas
        + (replicas_per_system - 1) x use [systems x replicas].

        systems <= ceil(replicas x systems_per_replica / replicas_per_system): no system
        without a replica (for replicas spanning systems: systems = span x replicas).
        Cost alone keeps idle systems out, except under a domestic share, where an
        idle domestic system would buy share without serving anything; the growth
        bound (`tco.model.share`) counts replicas, so this ties systems to them.
        """
        o = ctx.option(k)
        slack = (o.replicas_per_system - 1) * m.v_use[k]
        return (
            o.replicas_per_system * m.e_systems[k]
            <= o.systems_per_replica * m.v_replicas[k] + slack
        )

    m.no_idle_system_constraint = pyo.Constraint(m.INFER_OPTIONS, rule=no_idle_system_constraint)

    if ctx.elastic:
        # Shortfall as a share of the target, like the throughput.
        m.v_target_shortfall = pyo.Var(m.WORKLOADS, within=pyo.NonNegativeReals)
        for w in m.WORKLOADS:
            ctx.penalties[f"target:{w}"] = (m.v_target_shortfall[w], 1.0)

    def target_constraint(m: pyo.ConcreteModel, w: str) -> Any:
        """sum_o t[w,o] (+ shortfall) >= 1 [share of the target]."""
        served = sum(m.v_throughput[o.key] for o in options if o.workload == w)
        if ctx.elastic:
            served += m.v_target_shortfall[w]
        return served >= 1.0

    m.target_constraint = pyo.Constraint(m.WORKLOADS, rule=target_constraint)


@dataclass(frozen=True)
class PoolDecision:
    """A pool the solution uses: its option, nodes and (inference) replicas."""

    option: Option
    nodes: int
    replicas: int | None

    @property
    def cards(self) -> int:
        """Servers come full: cards_per_node x nodes."""
        return self.nodes * self.option.cards_per_node

    @property
    def systems(self) -> int:
        return self.option.systems(self.nodes)

    @property
    def ports(self) -> int:
        """Scale-out ports: the fabric's endpoints."""
        return self.nodes * self.option.nics_per_node

    @property
    def nics(self) -> int:
        """NIC cards bought (none when the ports are on the chip)."""
        return self.nodes * self.option.nic_cards_per_node


def decisions(m: pyo.ConcreteModel, ctx: ModelContext) -> tuple[PoolDecision, ...]:
    """The options chosen (use > 0.5), in option order, with their integer counts."""
    out = []
    for o in ctx.options:
        if value_of(m.v_use[o.key]) <= 0.5:
            continue
        replicas = count_of(m.v_replicas[o.key]) if o.kind == "inference" else None
        out.append(PoolDecision(o, count_of(m.v_nodes[o.key]), replicas))
    return tuple(out)
