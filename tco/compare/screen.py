"""The comparison on one screen: the main figures side by side (the CLI prints the
differences, `tco.compare.sentences`, under it)."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table

from tco.compare.entry import Entry
from tco.compare.figures import FIGURES, Figure, decision, workloads


def _shown(figure: Figure, value: object) -> str:
    if value is None:
        return "-"
    if figure.fmt is None:
        return str(value)
    return format(float(value), figure.text)  # type: ignore[arg-type]


def table(entries: Sequence[Entry]) -> Table:
    """The figures with a `short` label, one column per plan, then the chip and cards
    each workload runs on."""
    currency = next((e.currency for e in entries if e.currency), "")
    out = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    out.add_column("", no_wrap=True)
    for e in entries:
        out.add_column(e.name, justify="right", no_wrap=True)
    for figure in FIGURES:
        if figure.short is not None:
            label = figure.short.replace("{cur}", currency)
            out.add_row(label, *(_shown(figure, figure.value(e)) for e in entries))
    out.add_section()
    for w in workloads(entries):
        out.add_row(w, *(decision(e, w, full=False) or "-" for e in entries))
    return out
