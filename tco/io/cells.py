"""Writing cells so that user text can never become a formula or a link.

openpyxl turns any string that starts with '=' into a formula. Every string
we write (ids, names, sources) goes through `put`, which forces the string
type, so `=HYPERLINK(...)` or `+cmd|' /C calc'!A0` stays inert text.
"""

from __future__ import annotations

from typing import Any


def put(cell: Any, value: Any) -> Any:
    """Write `value` as data: numbers as numbers, bools as yes/no, every string as text."""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, tuple | list):
        value = ",".join(str(v) for v in value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
