"""Scale-out ports on the chip (issue 12, item 3): no NIC card, no NIC power, own speed."""

from __future__ import annotations

from tco.perf.estimate import estimate, unanswerable
from tco.perf.hardware import fabric_bytes_per_s_per_card, nic_cards_per_node
from tco.perf.power import node_power
from tco.schema.inputs import compatible_fabric_ids, fabric_refusal
from tco.schema.rows import ChipRow, FabricRow

from factory import DOMESTIC, FABRIC, make_inputs


def rows(**chip: object) -> tuple[ChipRow, FabricRow, FabricRow, object]:
    inputs = make_inputs(
        Chips=[dict(DOMESTIC, **chip)],
        Fabrics=[FABRIC, dict(FABRIC, fabric_id="ib200", port_gbps=200)],
    )
    return inputs.chips["ascend"], inputs.fabrics["ib"], inputs.fabrics["ib200"], inputs.site


def test_integrated_ports_draw_no_nic_power_and_need_no_nic_card() -> None:
    chip, fabric, _, site = rows(integrated_nic=True)
    assert nic_cards_per_node(chip) == 0
    assert node_power(chip, site, fabric).nics_w == 0.0
    plain, fabric, _, site = rows(integrated_nic=False)
    assert nic_cards_per_node(plain) == 8
    assert node_power(plain, site, fabric).nics_w == 8 * FABRIC["nic_power_w"]


def test_integrated_ports_run_at_their_own_speed_on_a_faster_fabric() -> None:
    chip, fast, slow, _ = rows(integrated_nic=True, integrated_port_gbps=200.0)
    assert FABRIC["port_gbps"] == 400
    assert fabric_bytes_per_s_per_card(chip, fast) == fabric_bytes_per_s_per_card(chip, slow)
    # Without a port speed (or without integrated ports) the fabric's line rate counts.
    free, fast, slow, _ = rows(integrated_nic=True)
    assert fabric_bytes_per_s_per_card(free, fast) == 2 * fabric_bytes_per_s_per_card(free, slow)


def test_on_package_ports_are_not_offered_an_infiniband_fabric() -> None:
    """Ascend's on-package 200GE ports speak RoCE: InfiniBand is refused with the reason,
    a RoCE fabric is offered, and a chip with NIC cards may use either."""
    roce = dict(FABRIC, fabric_id="roce", technology="RoCEv2")
    inputs = make_inputs(
        Chips=[dict(DOMESTIC, integrated_nic=True), dict(DOMESTIC, chip_id="plain")],
        Fabrics=[FABRIC, roce],
    )
    assert compatible_fabric_ids(inputs, "ascend") == ["roce"]
    assert compatible_fabric_ids(inputs, "plain") == ["ib", "roce"]
    refusal = fabric_refusal(inputs.fabrics["ib"], inputs.chips["ascend"])
    assert refusal is not None and "integrated_nic" in refusal
    asked = estimate(inputs, chip_id="ascend", fabric_id="ib")
    assert asked == []
    (line,) = unanswerable(inputs, asked, chip_id="ascend", fabric_id="ib")
    assert "fabric ib does not connect chip ascend" in line and "Ethernet only" in line
