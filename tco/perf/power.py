"""Power per node: all cards at TDP plus the host, and the site's average draw."""

from __future__ import annotations

from dataclasses import dataclass

from tco.inputs import Row


@dataclass(frozen=True)
class NodePower:
    """IT power of one node, W and kW (facility PUE is applied by the optimizer)."""

    cards_w: float
    host_w: float
    utilization: float

    @property
    def peak_w(self) -> float:
        """cards_per_node x tdp_w + node_power_w, W."""
        return self.cards_w + self.host_w

    @property
    def average_w(self) -> float:
        """peak_w x utilization, W."""
        return self.peak_w * self.utilization

    @property
    def peak_kw(self) -> float:
        return self.peak_w / 1e3

    @property
    def average_kw(self) -> float:
        return self.average_w / 1e3


def node_power(chip: Row, site: Row) -> NodePower:
    """Node power from the chip row and the site's average utilization."""
    return NodePower(
        cards_w=chip.cards_per_node * chip.tdp_w,
        host_w=chip.node_power_w,
        utilization=site.utilization,
    )
