"""The differences between plans, in plain sentences that say only what the numbers show.

Every "because" is an identity over the plans' own figures, never a guess. A
pool's levelized cost per million tokens is c = TCO / (T x s x A / 1e6)
(`tco.costs.registry.cost_per_million_tokens`: T the target [tokens/s], s
seconds per year, A the annuity factor). Over the pools of one kind, with n
cards in all,

    c = (TCO / n) / (T / n) / (s x A / 1e6),

so for two plans with the same horizon and discount rate the ratio of their
costs per token is exactly (ratio of TCO per card) / (ratio of target tokens/s
per card): the sentences give both factors. Not for a fleet plan over years,
whose cost per token is levelized over its yearly targets while its pools' cards
and target are the last year's: its sentences give the costs alone. A TCO difference is split the
same way into its capex and discounted-opex parts (TCO = capex + present
value of opex). Plans over different horizons or discount rates are not
compared on TCO or on these factors, and the sentence says why.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

from tco.compare.entry import KINDS, Entry, kpis, levelized_per_mtok
from tco.compare.figures import workloads
from tco.text import listing

#: Relative differences below this read as "about the same".
SAME = 0.005


def money(value: float, currency: str) -> str:
    """'105.42M USD', '812,300 USD'."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f}M {currency}"
    return f"{value:,.0f} {currency}"


def _same_levelizing(a: Entry, b: Entry) -> bool:
    """Same horizon and discount rate: TCOs and costs per token compare directly."""
    if a.site is None or b.site is None:
        return False
    return (a.site.horizon_years, a.site.discount_rate) == (
        b.site.horizon_years,
        b.site.discount_rate,
    )


def differences(entries: Sequence[Entry]) -> list[str]:
    """Sentences on what differs between the plans: costs per token per kind and per
    shared workload, TCO, then domestic share, per-card hardware and power."""
    lines = [_no_plan(e) for e in entries if not e.has_plan]
    planned = [e for e in entries if e.has_plan]
    if len(planned) < 2:
        return [*lines, "Fewer than two plans were found: there is nothing to compare."]
    base = planned[0]
    lines += [_levelizing(base, e) for e in planned[1:] if not _same_levelizing(base, e)]
    for kind in KINDS:
        line = _cheapest(
            planned,
            functools.partial(_pools_of_kind, kind=kind),
            f"the lowest cost per million {kind} tokens (its {kind} pools together)",
        )
        if line:
            lines.append(line)
    for w in workloads(planned):
        pools_of = functools.partial(Entry.pools_of, workload=w)
        line = _cheapest(planned, pools_of, f"{w} at the lowest cost", w)
        if line:
            lines.append(line)
    line = _tco(planned)
    if line:
        lines.append(line)
    return [*lines, _domestic(planned), _hardware(planned), _power(planned)]


def _pools_of_kind(entry: Entry, kind: str) -> list[dict[str, Any]]:
    return [p for p in entry.pools if p.get("kind") == kind]


def _no_plan(e: Entry) -> str:
    why = listing(str(d) for d in e.summary.get("diagnosis") or ()) or "no reason given"
    return f"{e.name} has no plan ({e.summary.get('status')}): {why}"


def _levelizing(a: Entry, b: Entry) -> str:
    if a.site is None or b.site is None:
        return (
            f"{a.name} or {b.name} does not say its horizon and discount rate: their TCOs are "
            "not compared, nor the per-card factors of their costs per token"
        )
    return (
        f"{a.name} is planned over {a.site.horizon_years} years at {a.site.discount_rate:.1%}, "
        f"{b.name} over {b.site.horizon_years} years at {b.site.discount_rate:.1%}: their "
        "TCOs cover different periods and are not compared; costs per million tokens are "
        "levelized over each plan's own horizon"
    )


def _per_card(pools: Sequence[dict[str, Any]]) -> tuple[float, float] | None:
    """(target tokens/s per card, TCO per card) of pools, None if a figure is missing."""
    if not pools or not all(
        p.get("cards") and p.get("target_tokens_per_s") and p.get("tco") is not None for p in pools
    ):
        return None
    cards = sum(int(p["cards"]) for p in pools)
    tokens = math.fsum(float(p["target_tokens_per_s"]) for p in pools)
    return tokens / cards, math.fsum(float(p["tco"]) for p in pools) / cards


def _chips(pools: Sequence[dict[str, Any]]) -> str:
    return " + ".join(f"{p['chip']} with {p['fabric']}, {p['cooling']}" for p in pools)


def _cheapest(
    planned: Sequence[Entry],
    pools_of: Callable[[Entry], list[dict[str, Any]]],
    what: str,
    workload: str | None = None,
) -> str | None:
    """'X has <what>, c CUR/Mtok: p% less than Y (d; its cards carry r1x the target
    tokens/s at r2x the TCO per card), ...' over the plans that have such pools."""
    costs = [(e, levelized_per_mtok(pools_of(e))) for e in planned]
    ranked = sorted(((e, c) for e, c in costs if c is not None and c > 0), key=lambda x: x[1])
    if len(ranked) < 2:
        return None
    best, low = ranked[0]
    cur = best.currency
    on = f" on {_chips(pools_of(best))}" if workload else ""
    clauses = []
    for other, cost in ranked[1:]:
        if cost - low <= SAME * cost:
            clauses.append(f"about the same in {other.name} ({cost:,.3f})")
            continue
        detail = f"{cost:,.3f}" + (f" on {_chips(pools_of(other))}" if workload else "")
        mine, theirs = _per_card(pools_of(best)), _per_card(pools_of(other))
        # The identity needs one purchase: a fleet's cost per token is levelized over its
        # yearly targets, while its pools' cards and target are the last year's.
        single = "purchases" not in best.summary and "purchases" not in other.summary
        if mine and theirs and single and _same_levelizing(best, other):
            detail += (
                f"; {best.name}'s cards carry {mine[0] / theirs[0]:.2f}x the target tokens/s "
                f"({mine[0]:,.0f} vs {theirs[0]:,.0f}) at {mine[1] / theirs[1]:.2f}x the TCO "
                f"per card ({money(mine[1], cur)} vs {money(theirs[1], cur)})"
            )
        clauses.append(f"{1 - low / cost:.0%} less than {other.name} ({detail})")
    return f"{best.name} has {what}, {low:,.3f} {cur}/Mtok{on}: " + "; ".join(clauses)


def _tco(planned: Sequence[Entry]) -> str | None:
    """The cheapest plan's TCO and what each other plan costs more, split into capex and
    discounted opex (plans over another horizon or discount rate are left out).

    TCO = capex part + discounted opex (`tco.compare.entry.opex_present_value`). For a
    single purchase the capex part is its capex; for a fleet plan, whose tranches are
    paid over years, it is their present value net of the residual value, TCO - the
    discounted opex, and the sentence says so.
    """
    base = min(planned, key=lambda e: float(e.summary["tco"]))
    same = [e for e in planned if e is not base and _same_levelizing(base, e)]
    if not same or base.site is None:
        return None
    cur, tco = base.currency, float(base.summary["tco"])
    clauses = []
    base_opex = kpis(base)["opex_present_value"]
    for e in sorted(same, key=lambda x: float(x.summary["tco"])):
        more = float(e.summary["tco"]) - tco
        if more <= SAME * float(e.summary["tco"]):
            clauses.append(f"{e.name} about the same")
            continue
        opex = kpis(e)["opex_present_value"]
        cards = f"{int(e.summary['cards']):,} cards against {int(base.summary['cards']):,}"
        if opex is None or base_opex is None:
            clauses.append(f"{e.name} {money(more, cur)} more ({more / tco:+.0%}; {cards})")
            continue
        capex_label = (
            "capex (tranches at present value, net of residual value)"
            if e.is_fleet or base.is_fleet
            else "capex"
        )
        clauses.append(
            f"{e.name} {money(more, cur)} more ({more / tco:+.0%}: {capex_label} "
            f"{money(more - (opex - base_opex), cur)}, discounted opex "
            f"{money(opex - base_opex, cur)}; {cards})"
        )
    return (
        f"{base.name} has the lowest TCO, {money(tco, cur)} over "
        f"{base.site.horizon_years} years; " + "; ".join(clauses)
    )


def _domestic(planned: Sequence[Entry]) -> str:
    parts = []
    for e in planned:
        shares = kpis(e)["domestic_share"]
        if e.site is not None:
            basis = e.site.domestic_share_basis
            achieved = shares.get(basis)
            shown = f"{achieved:.1%}" if achieved is not None else "n/a"
            part = f"{e.name} {shown} of {basis} (at least {e.site.min_domestic_share:.0%} asked)"
        else:
            part = f"{e.name} {float(shares.get('cards') or 0):.1%} of cards"
        imports = [
            f"{int(p['cards']):,} {p['chip']}"
            for p in e.pools
            if p["chip"] in e.chips and e.chips[p["chip"]].origin != "domestic"
        ]
        part += f", imported cards: {', '.join(imports)}" if imports else ", no imported card"
        parts.append(part)
    return "Domestic share on each plan's own basis: " + "; ".join(parts)


def _hardware(planned: Sequence[Entry]) -> str:
    parts = []
    for e in planned:
        k = kpis(e)
        up, hbm, bw = (
            k.get("scaleup_bw_gbs_per_card"),
            k.get("memory_gb_per_card"),
            k.get("memory_bw_gbs_per_card"),
        )
        if up is None or hbm is None or bw is None:
            parts.append(f"{e.name} n/a")
            continue
        parts.append(f"{e.name} {up:,.0f} GB/s scale-up, {hbm:,.0f} GB at {bw:,.0f} GB/s")
    return "Per card, averaged over each plan's cards: " + "; ".join(parts)


def _power(planned: Sequence[Entry]) -> str:
    parts = [
        f"{e.name} {float(e.summary['facility_power_kw']) / 1000:,.2f} MW in "
        f"{int(e.summary['racks']):,} racks"
        for e in planned
    ]
    return "Facility power: " + "; ".join(parts)
