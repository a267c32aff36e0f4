"""Which chips a site can buy: the `available` column and export control, as one rule.

Every stage that needs the chips a workload may use (validation, the option
builder, `tco estimate`, the Alternatives) asks here, so a chip is never
usable in one stage and dropped in another, and a dropped chip always comes
with the same reason.

Export control (DESIGN 3.6): at a Site in region `cn`, a chip of
`export_class = restricted-cn` is unavailable unless its row says
`available = yes` explicitly and the Site says `allow_restricted = yes`. A
blank `available` means yes for every other chip, so the row keeps the blank
(None) rather than the default: only a planner's own "yes" on that row, not
the catalog's silence, admits a restricted chip.
"""

from __future__ import annotations

from collections.abc import Mapping

from tco.schema.rows import ChipRow, SiteRow, WorkloadRow

#: The reason a restricted chip is dropped at a China site; reports and estimates show it.
EXPORT_RESTRICTED = "restricted for export to China (Site region cn)"


def unavailable_reason(chip: ChipRow, site: SiteRow) -> str | None:
    """Why the site cannot buy `chip`, or None when it can."""
    if chip.available is False:
        return "not available at this site (Chips available = no)"
    if site.region != "cn" or chip.export_class != "restricted-cn":
        return None
    if chip.available is True and site.allow_restricted:
        return None
    if site.allow_restricted:
        return (
            f"{EXPORT_RESTRICTED}: Site allow_restricted = yes admits it only where its "
            "available cell says yes"
        )
    return (
        f"{EXPORT_RESTRICTED}: with stock or a licence, set available = yes on its row and "
        "Site allow_restricted = yes"
    )


def permitted_chip_ids(chips: Mapping[str, ChipRow], workload: WorkloadRow) -> list[str]:
    """Chips the workload's `allowed_chips` names (blank = every chip), in catalog order."""
    allowed = set(workload.allowed_chips or chips.keys())
    return [cid for cid in chips if cid in allowed]


def allowed_chip_ids(
    chips: Mapping[str, ChipRow], workload: WorkloadRow, site: SiteRow
) -> list[str]:
    """Chips the workload may use and the site can buy, in catalog order."""
    return [
        cid
        for cid in permitted_chip_ids(chips, workload)
        if unavailable_reason(chips[cid], site) is None
    ]


def unavailable_chips(
    chips: Mapping[str, ChipRow], workload: WorkloadRow, site: SiteRow
) -> dict[str, str]:
    """Chips the workload would be allowed but the site cannot buy: id -> reason."""
    out = {}
    for cid in permitted_chip_ids(chips, workload):
        reason = unavailable_reason(chips[cid], site)
        if reason is not None:
            out[cid] = reason
    return out
