"""Field table -> `docs/inputs.md`, so the input reference is generated, never hand-kept."""

from __future__ import annotations

from pathlib import Path

from tco.schema.fields import SHEETS, SITE

DOCS_PATH = Path("docs/inputs.md")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """Markdown reference of every sheet and field."""
    out = [
        "# Input workbook reference",
        "",
        "Generated from `tco/schema/fields.py` by `python -m tco.schema.docs`; do not edit.",
        "",
        "Every table sheet: row 1 holds the column keys, row 2 the unit and description, data "
        "starts on row 3. `Site` is key/value: one row per key with its value in column B.",
        "",
    ]
    for sheet in SHEETS:
        id_note = f" Id column: `{sheet.id_key}`." if sheet.id_key else ""
        first = "key" if sheet is SITE else "column"
        out += [
            f"## {sheet.name}",
            "",
            f"{sheet.description}{id_note}",
            "",
            f"| {first} | type | unit | required | default | allowed | description |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in sheet.fields:
            required = "yes" if f.required and f.default is None else "no"
            kind = f.type + (f" -> {f.ref}" if f.ref else "")
            default = "" if f.default is None else str(f.default)
            out.append(
                f"| `{f.key}` | {kind} | {_cell(f.unit)} | {required} | {default} | "
                f"{_cell(f.range_text())} | {_cell(f.description)} |"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    DOCS_PATH.write_text(render_markdown(), encoding="utf-8")
