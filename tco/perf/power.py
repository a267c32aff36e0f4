"""Power per node: all cards at TDP, the host, its scale-out NICs, its share of the
system's own equipment, and the average draw.

This is the one place node power comes from: the option builder (rack
density and, through it, the share's growth bounds) and `tco estimate` call
`node_power`.
Switch power belongs to the fabric and is added per pool by the costing.
"""

from __future__ import annotations

from dataclasses import dataclass

from tco.perf.hardware import nic_cards_per_node, nodes_per_system
from tco.schema.rows import ChipRow, FabricRow, SiteRow


@dataclass(frozen=True)
class NodePower:
    """IT power of one node, W and kW (facility PUE is applied by the optimizer)."""

    cards_w: float
    host_w: float
    nics_w: float
    utilization: float
    #: The node's share of its system's own equipment (scale-up switches, optics).
    system_w: float = 0.0

    @property
    def peak_w(self) -> float:
        """cards_per_node x tdp_w + node_power_w + NICs x nic_power_w
        + system_power_w / nodes_per_system, W."""
        return self.cards_w + self.host_w + self.nics_w + self.system_w

    @property
    def peak_kw(self) -> float:
        return self.peak_w / 1e3

    @property
    def average_kw(self) -> float:
        """peak x utilization, kW."""
        return self.peak_w * self.utilization / 1e3


def node_power(chip: ChipRow, site: SiteRow, fabric: FabricRow | None = None) -> NodePower:
    """Node power from the chip row, its NICs on `fabric` (none if not given) and the site."""
    return NodePower(
        cards_w=chip.cards_per_node * chip.tdp_w,
        host_w=chip.node_power_w,
        nics_w=nic_cards_per_node(chip) * fabric.nic_power_w if fabric is not None else 0.0,
        utilization=site.utilization,
        system_w=chip.system_power_w / nodes_per_system(chip),
    )
