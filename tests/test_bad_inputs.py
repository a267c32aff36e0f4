"""Bad-input corpus: every broken workbook ends in exit 2 with a located message.

Each case starts from a small valid workbook written by `write_workbook`, breaks
it (openpyxl edits, or zip/byte-level edits for container attacks) and runs
`tco validate` in-process. For every case: exit code 2, the message names the
sheet/row/column where one applies, no traceback, and the input file is
byte-for-byte unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import math
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner, Result

from tco.cli import app
from tco.io import reader
from tco.io.template import write_workbook
from tco.schema.fields import (
    CHIPS,
    COOLING,
    FABRICS,
    FIRST_DATA_ROW,
    MODELS,
    SHEETS,
    SITE,
    WORKLOADS,
    Sheet,
)

from factory import CHIP, DOMESTIC, FABRIC, INFERENCE, MODEL, make_inputs
from factory import COOLING as COOLING_ROW
from factory import SITE as SITE_ROW

ROOT = Path(__file__).resolve().parent.parent
TCO_BIN = Path(sys.executable).parent / "tco"
runner = CliRunner()

# The shared valid rows (tests/factory.py): a workbook built from them validates.
CHIP2, COOL, WORKLOAD = DOMESTIC, COOLING_ROW, INFERENCE
SITE_VALUES: dict[str, Any] = SITE_ROW

#: openpyxl writes the README first, then the input sheets in `SHEETS` order.
SHEET_XML = {sheet.name: f"xl/worksheets/sheet{i}.xml" for i, sheet in enumerate(SHEETS, start=2)}
TABLE_SHEETS = tuple(s.name for s in SHEETS)
#: Chips row 3 holds CHIP; row 4 holds CHIP2.
ROW = FIRST_DATA_ROW


def col(sheet: Sheet, key: str) -> str:
    """Column letter of `key` in a table sheet, from the field order."""
    return get_column_letter(sheet.keys.index(key) + 1)


def at(sheet: Sheet, key: str, row: int = ROW) -> str:
    """The location prefix the CLI prints for one cell."""
    return f"Sheet '{sheet.name}', row {row}, column {col(sheet, key)} ({key})"


def base_sheets() -> dict[str, list[dict[str, Any]]]:
    return copy.deepcopy(
        {
            "Chips": [CHIP, CHIP2],
            "Fabrics": [FABRIC],
            "Cooling": [COOL],
            "Models": [MODEL],
            "Workloads": [WORKLOAD],
        }
    )


def sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def run(path: Path) -> Result:
    """`tco validate path` in-process; the input must be left untouched and no traceback shown."""
    before = sha256(path)
    result = runner.invoke(app, ["validate", str(path)])
    assert sha256(path) == before, "the input file was modified"
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def expect_error(path: Path, *expected: str) -> Result:
    """Exit 2 and every expected substring appears in stderr."""
    result = run(path)
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    return result


def expect_ok(path: Path) -> Result:
    result = run(path)
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    return result


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Sheet '")]


def edit(path: Path, change: Callable[[Workbook], None]) -> Path:
    """Apply an openpyxl edit to the workbook at `path` in place (before the CLI runs)."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def set_cell(path: Path, sheet: Sheet, key: str, value: Any, row: int = ROW) -> Path:
    def change(wb: Workbook) -> None:
        wb[sheet.name][f"{col(sheet, key)}{row}"] = value

    return edit(path, change)


def rezip(
    src: Path,
    dst: Path,
    replace: dict[str, bytes | None] | None = None,
    add: dict[str, bytes] | None = None,
) -> Path:
    """Copy the zip `src` to `dst`, replacing (None: dropping) and adding entries."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def read_entry(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    """Insert a DOCTYPE after the XML declaration (or at the start)."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + doctype + xml[end:]
    return doctype + xml


def minimal_sheet(cell_text: bytes) -> bytes:
    return (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        + cell_text
        + b"</t></is></c></row></sheetData></worksheet>"
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("base") / "base.xlsx"
    write_workbook(path, base_sheets(), SITE_VALUES)
    return path.read_bytes()


@pytest.fixture
def base(tmp_path: Path, base_bytes: bytes) -> Path:
    """A fresh copy of the valid workbook, to be broken by the test."""
    path = tmp_path / "input.xlsx"
    path.write_bytes(base_bytes)
    return path


def test_base_workbook_is_valid(base: Path) -> None:
    result = expect_ok(base)
    assert "2 Chips" in result.stdout
    assert result.stderr == ""


# --------------------------------------------------------------------------- container


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.xlsx"
    expect_error(path, "nope.xlsx: file not found")
    assert not path.exists()


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    expect_error(path, "empty.xlsx: the file is empty (0 bytes)")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    path = tmp_path / "folder.xlsx"
    path.mkdir()
    expect_error(path, "folder.xlsx: not a file")


def test_csv_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "chips.xlsx"
    path.write_text("chip_id,tdp_w\nh100,700\n", encoding="utf-8")
    expect_error(path, "not a zip archive; a CSV or text file renamed to .xlsx?")


def test_legacy_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    expect_error(path, "old.xls: this is a legacy Excel 97-2003 .xls file")


def test_encrypted_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    body = b"\x00" * 1024 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 1024
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + body)
    result = expect_error(path, "locked.xlsx: the workbook is password-protected (encrypted)")
    assert ".xls file" not in result.stderr


def test_xlsb(tmp_path: Path) -> None:
    path = tmp_path / "binary.xlsb"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    expect_error(path, "binary.xlsb: this is a binary .xlsb workbook")


def test_truncated_zip(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "half.xlsx"
    data = base.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "half.xlsx: the workbook is corrupt or truncated")


def test_zip_without_content_types(base: Path, tmp_path: Path) -> None:
    path = rezip(base, tmp_path / "noct.xlsx", replace={"[Content_Types].xml": None})
    expect_error(path, "noct.xlsx: not a valid .xlsx workbook (the zip lacks [Content_Types].xml")


def test_zip_of_unrelated_files(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    expect_error(path, "photos.xlsx: not a valid .xlsx workbook")


def test_broken_sheet_xml(base: Path, tmp_path: Path) -> None:
    garbage = b"<worksheet><sheetData><row r='1'><c r='A1'><v>1</v></c><<unclosed"
    path = rezip(base, tmp_path / "broken.xlsx", replace={SHEET_XML["Chips"]: garbage})
    expect_error(path, "broken.xlsx: the workbook is corrupt and cannot be read")


ENTITY_REFUSED = "refused: the workbook XML declares entities or a DTD"


def _billion_laughs(base: Path, tmp_path: Path) -> Path:
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    bomb = b'<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + b"]>"
    bomb += minimal_sheet(b"&lol9;")
    return rezip(base, tmp_path / "lol.xlsx", replace={SHEET_XML["Chips"]: bomb})


SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_shared_string(base: Path, dst: Path, text: bytes, doctype: bytes = b"") -> Path:
    """Move the Chips A1 header (chip_id) into a new xl/sharedStrings.xml part.

    openpyxl writes inline strings, so the shared-strings parser is only reached
    through a part we add and register in [Content_Types].xml.
    """
    sheet = read_entry(base, SHEET_XML["Chips"])
    sheet, count = re.subn(
        rb'<c r="A1"( s="\d+")? t="inlineStr"><is><t>chip_id</t></is></c>',
        rb'<c r="A1"\1 t="s"><v>0</v></c>',
        sheet,
    )
    assert count == 1
    types = read_entry(base, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + SST_TYPE + b'"/></Types>',
    )
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        + doctype
        + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="1" uniqueCount="1"><si><t>' + text + b"</t></si></sst>"
    )
    return rezip(
        base,
        dst,
        replace={SHEET_XML["Chips"]: sheet, "[Content_Types].xml": types},
        add={"xl/sharedStrings.xml": sst},
    )


def test_shared_strings_part_is_read(base: Path, tmp_path: Path) -> None:
    """Sanity check of the construction the sharedStrings attacks rely on."""
    expect_ok(with_shared_string(base, tmp_path / "sst.xlsx", b"chip_id"))
    moved = with_shared_string(base, tmp_path / "sst2.xlsx", b"chip_identifier")
    expect_error(moved, "Sheet 'Chips', row 1, column A: unknown column key 'chip_identifier'")


def _xxe(base: Path, tmp_path: Path, part: str, marker: str) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(marker, encoding="utf-8")
    doctype = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "' + secret.as_uri().encode() + b'">]>'
    # The entity sits where a column key goes, so a resolved entity would be echoed
    # back in an "unknown column key" message.
    if part == "sharedStrings":
        return with_shared_string(base, tmp_path / "xxe.xlsx", b"&xxe;", doctype)
    data = b'<?xml version="1.0"?>' + doctype + minimal_sheet(b"&xxe;")
    return rezip(base, tmp_path / "xxe.xlsx", replace={SHEET_XML["Chips"]: data})


MARKER = "XXE-MARKER-7f3c1d9a2b"


def _refused_or_corrupt(result: Result, name: str) -> None:
    assert f"{name}: {ENTITY_REFUSED}" in result.stderr or (
        f"{name}: the workbook is corrupt and cannot be read" in result.stderr
    ), result.stderr


def test_billion_laughs(base: Path, tmp_path: Path) -> None:
    result = expect_error(_billion_laughs(base, tmp_path))
    _refused_or_corrupt(result, "lol.xlsx")
    assert "lollol" not in result.output


@pytest.mark.parametrize("part", ["sheet", "sharedStrings"])
def test_xxe_local_file_is_not_read(base: Path, tmp_path: Path, part: str) -> None:
    result = expect_error(_xxe(base, tmp_path, part, MARKER))
    _refused_or_corrupt(result, "xxe.xlsx")
    assert MARKER not in result.output


@pytest.mark.parametrize("attack", ["billion_laughs", "xxe_sheet", "xxe_shared_strings"])
def test_entity_attack_is_named_as_such(base: Path, tmp_path: Path, attack: str) -> None:
    if attack == "billion_laughs":
        path = _billion_laughs(base, tmp_path)
    else:
        path = _xxe(base, tmp_path, attack.removeprefix("xxe_").replace("shared_s", "sharedS"), "m")
    expect_error(path, f"{path.name}: {ENTITY_REFUSED}")


def test_corrupt_workbook_message_is_one_line(base: Path, tmp_path: Path) -> None:
    """A numeric cell holding text makes openpyxl raise its wrapped ValueError."""
    set_cell(base, CHIPS, "tdp_w", 12345.678)
    xml = read_entry(base, SHEET_XML["Chips"]).replace(b"<v>12345.678</v>", b"<v>abc</v>")
    path = rezip(base, tmp_path / "badnum.xlsx", replace={SHEET_XML["Chips"]: xml})
    result = expect_error(path, "badnum.xlsx: the workbook is corrupt and cannot be read")
    assert len(result.stderr.splitlines()) == 2, result.stderr
    assert str(tmp_path) not in result.stderr


def _patch_declared_size(path: Path, entry: str, size: int) -> None:
    """Rewrite the uncompressed size of `entry` in the zip central directory."""
    data = bytearray(path.read_bytes())
    name = entry.encode()
    start = 0
    while True:
        start = data.index(b"PK\x01\x02", start)
        (name_len,) = struct.unpack_from("<H", data, start + 28)
        if bytes(data[start + 46 : start + 46 + name_len]) == name:
            struct.pack_into("<I", data, start + 24, size)
            break
        start += 4
    path.write_bytes(bytes(data))


def test_zip_bomb_declared_size(base: Path, tmp_path: Path) -> None:
    declared = reader.MAX_ENTRY_BYTES + 1024 * 1024
    path = rezip(base, tmp_path / "bomb.xlsx", add={"xl/media/bomb.bin": b"\x00" * 4096})
    _patch_declared_size(path, "xl/media/bomb.bin", declared)
    assert path.stat().st_size < 100_000
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/media/bomb.bin").file_size == declared
    expect_error(
        path,
        f"bomb.xlsx: entry xl/media/bomb.bin declares {declared:,} bytes uncompressed, "
        f"over the {reader.MAX_ENTRY_BYTES:,}-byte limit (zip bomb?)",
    )


def test_zip_bomb_compression_ratio(base: Path, tmp_path: Path) -> None:
    """A real, highly compressible entry (4 MB of zeros, ~4 KB on disk)."""
    zeros = b"\x00" * (4 * 1024 * 1024)
    path = rezip(base, tmp_path / "ratio.xlsx", add={"xl/media/zeros.bin": zeros})
    expect_error(path, "entry xl/media/zeros.bin expands", "over the 200x limit (zip bomb?)")


def test_too_many_zip_entries(base: Path, tmp_path: Path) -> None:
    extra = {f"xl/media/f{i}.txt": b"x" for i in range(reader.MAX_ZIP_ENTRIES + 1)}
    path = rezip(base, tmp_path / "many.xlsx", add=extra)
    expect_error(path, f"over the {reader.MAX_ZIP_ENTRIES:,} limit")


def test_file_over_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 4096)
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1024)
    expect_error(path, "big.xlsx: the file is 4,100 bytes, over the 1,024-byte limit")


# --------------------------------------------------------------------------- layout


def test_stray_value_at_last_cell(base: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["Chips"]["XFD1048576"] = "oops"

    edit(base, change)
    expect_error(
        base,
        "Sheet 'Chips', row 1048576, column XFD: value 'oops' lies outside the readable area",
    )


def test_missing_sheet(base: Path) -> None:
    edit(base, lambda wb: wb.remove(wb["Fabrics"]))
    expect_error(
        base,
        "Sheet 'Fabrics' is missing; the workbook has: "
        "README, Chips, Cooling, Models, Workloads, Site, Uncertainty",
    )


def test_optional_uncertainty_sheet_may_be_left_out(base: Path) -> None:
    edit(base, lambda wb: wb.remove(wb["Uncertainty"]))
    expect_ok(base)


def test_misspelled_header_suggests_the_key(base: Path) -> None:
    set_cell(base, CHIPS, "tdp_w", "tdp_watts", row=1)
    letter = col(CHIPS, "tdp_w")
    expect_error(
        base,
        f"Sheet 'Chips', row 1, column {letter}: unknown column key 'tdp_watts' "
        "(did you mean 'tdp_w'?)",
        "Sheet 'Chips', row 1: required column 'tdp_w' is missing from row 1",
    )


def test_duplicated_header(base: Path) -> None:
    extra = get_column_letter(len(CHIPS.keys) + 1)

    def change(wb: Workbook) -> None:
        wb["Chips"][f"{extra}1"] = "tdp_w"
        wb["Chips"][f"{extra}3"] = 1

    edit(base, change)
    expect_error(
        base,
        f"Sheet 'Chips', row 1, column {extra}: duplicate column key 'tdp_w', "
        f"also in column {col(CHIPS, 'tdp_w')}",
    )


def test_unknown_extra_column(base: Path) -> None:
    extra = get_column_letter(len(CHIPS.keys) + 1)

    def change(wb: Workbook) -> None:
        wb["Chips"][f"{extra}1"] = "colour"
        wb["Chips"][f"{extra}3"] = "green"

    edit(base, change)
    expect_error(base, f"Sheet 'Chips', row 1, column {extra}: unknown column key 'colour'")


def test_note_columns_are_ignored(base: Path) -> None:
    a = get_column_letter(len(CHIPS.keys) + 1)
    b = get_column_letter(len(CHIPS.keys) + 2)

    def change(wb: Workbook) -> None:
        ws = wb["Chips"]
        ws[f"{a}1"], ws[f"{a}3"] = "note: buyer", "anything at all"
        ws[f"{b}1"], ws[f"{b}3"] = "# mine", "ten"

    edit(base, change)
    expect_ok(base)


@pytest.mark.parametrize("direction", ["across", "down"])
def test_merged_cells_in_data(base: Path, direction: str) -> None:
    first = col(CHIPS, "tdp_w")
    rng = f"{first}3:{col(CHIPS, 'card_price')}3" if direction == "across" else f"{first}3:{first}4"
    edit(base, lambda wb: wb["Chips"].merge_cells(rng))
    expect_error(base, f"Sheet 'Chips', row 3, column {first}: merged cells {rng} are not allowed")


def test_merged_cells_outside_the_table_columns(base: Path) -> None:
    a = get_column_letter(len(CHIPS.keys) + 2)
    b = get_column_letter(len(CHIPS.keys) + 3)
    edit(base, lambda wb: wb["Chips"].merge_cells(f"{a}3:{b}4"))
    expect_error(base, f"Sheet 'Chips', row 3, column {a}: merged cells {a}3:{b}4 are not allowed")


def test_site_unknown_key(base: Path) -> None:
    def change(wb: Workbook) -> None:
        ws = wb["Site"]
        row = ws.max_row + 1
        ws[f"A{row}"], ws[f"B{row}"] = "electricty_price", 0.2

    edit(base, change)
    last = FIRST_DATA_ROW + len(SITE.keys)
    expect_error(base, f"Sheet 'Site', row {last}, column A (key): unknown key 'electricty_price'")


def test_site_bad_value(base: Path) -> None:
    row = FIRST_DATA_ROW + SITE.keys.index("electricity_price_per_kwh")

    def change(wb: Workbook) -> None:
        wb["Site"][f"B{row}"] = "ten"

    edit(base, change)
    expect_error(
        base,
        f"Sheet 'Site', row {row}, column B (electricity_price_per_kwh): "
        "must be a number, got 'ten'",
    )


# --------------------------------------------------------------------------- cell values


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,000", "must be a number, got '1,000'"),
        ("ten", "must be a number, got 'ten'"),
        (-300, "must be > 0, got -300"),
        (0, "must be > 0, got 0"),
        ("nan", "must be a finite number, got 'nan'"),
        ("NaN", "must be a finite number, got 'NaN'"),
        ("inf", "must be a finite number, got 'inf'"),
        ("-Infinity", "must be a finite number, got '-Infinity'"),
        ("1e309", "must be a finite number, got inf"),
        (True, "must be a number, got yes"),
        (dt.datetime(2024, 1, 2), "must be a number"),
    ],
    ids=lambda v: str(v),
)
def test_bad_number(base: Path, value: Any, message: str) -> None:
    set_cell(base, CHIPS, "tdp_w", value)
    expect_error(base, f"{at(CHIPS, 'tdp_w')}: {message}")


def test_float_overflow_in_cell_xml(base: Path, tmp_path: Path) -> None:
    """A numeric cell whose stored text is 1e309 (reads as float inf)."""
    set_cell(base, CHIPS, "tdp_w", 12345.678)
    xml = read_entry(base, SHEET_XML["Chips"])
    assert xml.count(b"<v>12345.678</v>") == 1
    path = rezip(
        base,
        tmp_path / "overflow.xlsx",
        replace={SHEET_XML["Chips"]: xml.replace(b"<v>12345.678</v>", b"<v>1e309</v>")},
    )
    expect_error(path, f"{at(CHIPS, 'tdp_w')}: must be a finite number, got inf")


def test_infinite_float_written_by_openpyxl(base: Path) -> None:
    """openpyxl stores float('inf') as an empty <v/>: the cell reads as blank."""
    set_cell(base, CHIPS, "tdp_w", math.inf)
    expect_error(base, f"{at(CHIPS, 'tdp_w')}: is required but blank")


def test_huge_integer(base: Path, tmp_path: Path) -> None:
    """A numeric cell holding a 400-digit integer (openpyxl cannot write one: edit the XML)."""
    set_cell(base, CHIPS, "tdp_w", 12345.678)
    xml = read_entry(base, SHEET_XML["Chips"])
    assert xml.count(b"<v>12345.678</v>") == 1
    huge = b"<v>1" + b"0" * 400 + b"</v>"
    path = rezip(
        base,
        tmp_path / "huge.xlsx",
        replace={SHEET_XML["Chips"]: xml.replace(b"<v>12345.678</v>", huge)},
    )
    assert openpyxl.load_workbook(path)["Chips"][f"{col(CHIPS, 'tdp_w')}3"].value == 10**400
    expect_error(path, f"{at(CHIPS, 'tdp_w')}: must be a finite number")


def test_whole_number_required(base: Path) -> None:
    set_cell(base, CHIPS, "cards_per_node", 7.5)
    expect_error(base, f"{at(CHIPS, 'cards_per_node')}: must be a whole number, got 7.5")


def test_fraction_given_as_percent_number(base: Path) -> None:
    set_cell(base, CHIPS, "train_mfu", 25)
    expect_error(base, f"{at(CHIPS, 'train_mfu')}: must be <= 1, got 25")


def test_bad_enum_and_bool(base: Path) -> None:
    set_cell(base, CHIPS, "origin", "imported")
    set_cell(base, CHIPS, "available", "maybe")
    expect_error(
        base,
        f"{at(CHIPS, 'origin')}: must be one of domestic, import; got 'imported'",
        f"{at(CHIPS, 'available')}: must be yes or no, got 'maybe'",
    )


def test_required_value_blank(base: Path) -> None:
    set_cell(base, CHIPS, "tdp_w", None)
    expect_error(base, f"{at(CHIPS, 'tdp_w')}: is required but blank")


def test_error_cell_via_openpyxl(base: Path) -> None:
    def change(wb: Workbook) -> None:
        cell = wb["Chips"][f"{col(CHIPS, 'tdp_w')}3"]
        cell.value = "#DIV/0!"
        cell.data_type = "e"

    edit(base, change)
    expect_error(base, f"{at(CHIPS, 'tdp_w')}: Excel error #DIV/0! in the cell; fix the value")


def test_error_cell_via_xml(base: Path, tmp_path: Path) -> None:
    set_cell(base, CHIPS, "tdp_w", 12345.678)
    xml = read_entry(base, SHEET_XML["Chips"])
    ref = f"{col(CHIPS, 'tdp_w')}3".encode()
    start = xml.index(b'<c r="' + ref + b'"')
    end = xml.index(b"</c>", start) + 4
    cell = b'<c r="' + ref + b'" t="e"><v>#DIV/0!</v></c>'
    path = rezip(
        base, tmp_path / "err.xlsx", replace={SHEET_XML["Chips"]: xml[:start] + cell + xml[end:]}
    )
    expect_error(path, f"{at(CHIPS, 'tdp_w')}: Excel error #DIV/0! in the cell")


@pytest.mark.parametrize("formula", ["=1/0", "=A1*2"])
def test_formula_without_cached_value(base: Path, formula: str) -> None:
    set_cell(base, CHIPS, "tdp_w", formula)
    expect_error(
        base,
        f"{at(CHIPS, 'tdp_w')}: formula '{formula}' has no cached value; open and save",
    )


def with_cell_xml(base: Path, dst: Path, sheet: Sheet, key: str, cell_xml: str) -> Path:
    """Replace the whole <c> element of `key` in data row 3 by hand-written XML."""
    ref = f"{col(sheet, key)}{ROW}"
    set_cell(base, sheet, key, 12345.678)
    xml = read_entry(base, SHEET_XML[sheet.name])
    start = xml.index(f'<c r="{ref}"'.encode())
    end = xml.index(b"</c>", start) + 4
    data = xml[:start] + cell_xml.format(ref=ref).encode() + xml[end:]
    return rezip(base, dst, replace={SHEET_XML[sheet.name]: data})


def test_formula_with_cached_value_accepted(base: Path, tmp_path: Path) -> None:
    """As Excel saves it: the cached result is the value."""
    path = with_cell_xml(
        base, tmp_path / "cached.xlsx", CHIPS, "tdp_w", '<c r="{ref}"><f>350*2</f><v>700</v></c>'
    )
    expect_ok(path)


def test_formula_with_cached_error(base: Path, tmp_path: Path) -> None:
    path = with_cell_xml(
        base,
        tmp_path / "cachederr.xlsx",
        CHIPS,
        "tdp_w",
        '<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
    )
    expect_error(path, f"{at(CHIPS, 'tdp_w')}: Excel error #DIV/0! in the cell")


def test_array_formula_without_cached_value(base: Path, tmp_path: Path) -> None:
    path = with_cell_xml(
        base,
        tmp_path / "array.xlsx",
        CHIPS,
        "tdp_w",
        '<c r="{ref}"><f t="array" ref="{ref}">SUM(A1:A2*2)</f></c>',
    )
    expect_error(path, f"{at(CHIPS, 'tdp_w')}: formula 'array formula' has no cached value")


def test_chart_sheet_in_place_of_a_worksheet(base: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    def change(wb: Workbook) -> None:
        index = wb.sheetnames.index("Chips")
        wb.remove(wb["Chips"])
        chart = BarChart()
        chart.add_data(Reference(wb["Models"], min_col=2, min_row=3, max_row=3))
        wb.create_chartsheet("Chips", index).add_chart(chart)

    edit(base, change)
    expect_error(base, "Sheet 'Chips'")


def test_duplicate_ids(base: Path) -> None:
    set_cell(base, CHIPS, "chip_id", "h100", row=4)
    expect_error(base, f"{at(CHIPS, 'chip_id', row=4)}: duplicate id 'h100', first used in row 3")


def test_unknown_reference(base: Path) -> None:
    set_cell(base, WORKLOADS, "model_id", "llama-3-405b")
    expect_error(
        base,
        f"{at(WORKLOADS, 'model_id')}: unknown Models id 'llama-3-405b'; known: llama-2-70b",
    )


def test_unknown_id_in_list(base: Path) -> None:
    set_cell(base, WORKLOADS, "allowed_chips", "h100, b200")
    expect_error(base, f"{at(WORKLOADS, 'allowed_chips')}: unknown Chips id 'b200'")


def test_cross_field_check(base: Path) -> None:
    set_cell(base, MODELS, "kv_heads", 128)
    expect_error(base, f"{at(MODELS, 'kv_heads')}: must be <= heads (64), got 128")


def test_sheet_without_data_rows(base: Path) -> None:
    def change(wb: Workbook) -> None:
        ws = wb["Cooling"]
        for cell in ws[FIRST_DATA_ROW]:
            cell.value = None

    edit(base, change)
    expect_error(base, "Sheet 'Cooling': has no data rows (data starts on row 3)")


def test_all_errors_reported_in_one_run(base: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["Chips"][f"{col(CHIPS, 'tdp_w')}3"] = -300
        wb["Fabrics"][f"{col(FABRICS, 'port_gbps')}3"] = "ten"
        wb["Cooling"][f"{col(COOLING, 'pue')}3"] = 25

    edit(base, change)
    result = expect_error(
        base,
        f"{at(CHIPS, 'tdp_w')}: must be > 0, got -300",
        f"{at(FABRICS, 'port_gbps')}: must be a number, got 'ten'",
        f"{at(COOLING, 'pue')}: must be <= 3, got 25",
        "3 input problems; nothing was written.",
    )
    assert len(problem_lines(result)) == 3, result.stderr


def test_errors_are_listed_in_reading_order(base: Path) -> None:
    """A reference checked after the cell types (row 3's unknown chip) is listed before a
    later row's type error of the same sheet, and the sheets keep their order."""

    def change(wb: Workbook) -> None:
        rows = list(wb["Workloads"].iter_rows(min_row=3, max_row=3, values_only=True))
        wb["Workloads"].append(list(rows[0]))
        wb["Workloads"][f"{col(WORKLOADS, 'workload_id')}4"] = "second"
        wb["Workloads"][f"{col(WORKLOADS, 'max_tpot_ms')}4"] = "slow"
        wb["Workloads"][f"{col(WORKLOADS, 'allowed_chips')}3"] = "no-such-chip"
        wb["Chips"][f"{col(CHIPS, 'tdp_w')}3"] = -300

    edit(base, change)
    result = expect_error(base, "4 input problems; nothing was written.")
    lines = problem_lines(result)
    assert [line.split(":")[0] for line in lines] == [
        at(CHIPS, "tdp_w"),
        at(WORKLOADS, "allowed_chips"),  # unknown id
        at(WORKLOADS, "allowed_chips"),  # so none of its chips is available
        f"Sheet 'Workloads', row 4, column {col(WORKLOADS, 'max_tpot_ms')} (max_tpot_ms)",
    ], result.stderr


def test_invalid_row_does_not_cause_unknown_reference(base: Path) -> None:
    set_cell(base, MODELS, "layers", "1,000")
    result = expect_error(base, f"{at(MODELS, 'layers')}: must be a number, got '1,000'")
    assert "unknown Models id" not in result.stderr, result.stderr


def test_reader_and_layout_errors_reported_together(base: Path) -> None:
    """Problems in several sheets found by the reader all appear in one run."""

    def change(wb: Workbook) -> None:
        wb["Chips"][f"{col(CHIPS, 'tdp_w')}3"] = "=A1*2"
        wb["Models"][f"{col(MODELS, 'layers')}1"] = "layer"
        cell = wb["Workloads"][f"{col(WORKLOADS, 'max_tpot_ms')}3"]
        cell.value = "#N/A"
        cell.data_type = "e"

    edit(base, change)
    result = expect_error(
        base,
        f"{at(CHIPS, 'tdp_w')}: formula",
        f"Sheet 'Models', row 1, column {col(MODELS, 'layers')}: unknown column key 'layer'",
        f"{at(WORKLOADS, 'max_tpot_ms')}: Excel error #N/A",
    )
    assert len(problem_lines(result)) >= 3


def test_row_numbers_survive_blank_rows(base: Path) -> None:
    """An error below blank rows is reported at its real sheet row."""

    def change(wb: Workbook) -> None:
        ws = wb["Chips"]
        ws.move_range(f"A4:{get_column_letter(len(CHIPS.keys))}4", rows=3)
        ws[f"{col(CHIPS, 'tdp_w')}7"] = -1

    edit(base, change)
    expect_error(base, f"{at(CHIPS, 'tdp_w', row=7)}: must be > 0, got -1")


# --------------------------------------------------------------------------- accepted


def test_percent_formatted_fraction_accepted(base: Path) -> None:
    def change(wb: Workbook) -> None:
        cell = wb["Chips"][f"{col(CHIPS, 'train_mfu')}3"]
        cell.value = 0.25
        cell.number_format = "0%"
        wb["Fabrics"][f"{col(FABRICS, 'efficiency')}3"] = "85%"

    edit(base, change)
    expect_ok(base)


def test_stray_spaces_around_ids_and_enums_accepted(base: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["Chips"][f"{col(CHIPS, 'chip_id')}3"] = "  h100 "
        wb["Chips"][f"{col(CHIPS, 'origin')}3"] = " Import "
        wb["Models"][f"{col(MODELS, 'model_id')}3"] = " llama-2-70b"
        wb["Workloads"][f"{col(WORKLOADS, 'model_id')}3"] = "llama-2-70b  "
        wb["Workloads"][f"{col(WORKLOADS, 'kind')}3"] = " INFERENCE"
        wb["Workloads"][f"{col(WORKLOADS, 'allowed_chips')}3"] = " h100 , ascend "
        wb["Chips"][f"{col(CHIPS, 'tdp_w')}3"] = " 700 "

    edit(base, change)
    expect_ok(base)


def test_numeric_ids_accepted(base: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["Models"][f"{col(MODELS, 'model_id')}3"] = 7
        wb["Workloads"][f"{col(WORKLOADS, 'model_id')}3"] = 7.0
        wb["Chips"][f"{col(CHIPS, 'chip_id')}3"] = 100

    edit(base, change)
    expect_ok(base)


def test_blank_rows_between_data_rows_skipped(base: Path) -> None:
    def change(wb: Workbook) -> None:
        ws = wb["Chips"]
        ws.move_range(f"A4:{get_column_letter(len(CHIPS.keys))}4", rows=3)
        ws[f"{col(CHIPS, 'vendor')}5"] = "   "  # whitespace-only counts as blank

    edit(base, change)
    result = expect_ok(base)
    assert "2 Chips" in result.stdout


# --------------------------------------------------------------------------- real entry point


@pytest.mark.parametrize("case", ["formula", "xxe"])
def test_real_entry_point_prints_no_traceback(base: Path, tmp_path: Path, case: str) -> None:
    if case == "formula":
        path = set_cell(base, CHIPS, "tdp_w", "=1/0")
        expected = [f"{at(CHIPS, 'tdp_w')}: formula '=1/0' has no cached value"]
    else:
        doctype = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        data = b'<?xml version="1.0"?>' + doctype + minimal_sheet(b"&xxe;")
        path = rezip(base, tmp_path / "xxe.xlsx", replace={SHEET_XML["Chips"]: data})
        # "refused" is the intended message; see test_entity_attack_is_named_as_such.
        expected = [f"xxe.xlsx: {ENTITY_REFUSED}", "xxe.xlsx: the workbook is corrupt"]
    assert TCO_BIN.exists(), TCO_BIN
    before = sha256(path)
    proc = subprocess.run(
        [str(TCO_BIN), "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert any(text in proc.stderr for text in expected), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "root:" not in proc.stdout + proc.stderr
    assert sha256(path) == before


# --------------------------------------------------------------------------- fuzz

cell_values = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    # Bounded to floats' range: ints beyond 1e308 hit the known OverflowError
    # bug covered by test_huge_integer.
    st.integers(min_value=-(10**300), max_value=10**300),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "=1/0",
            "=A1*2",
            "=SUM(A3:A9)",
            "#REF!",
            "#DIV/0!",
            "#N/A",
            "1,000",
            "ten",
            "nan",
            "inf",
            "25%",
            " h100 ",
            "yes",
            "inference",
            "llama-2-70b",
            "tdp_w",
            "chip_id",
            "note",
        ]
    ),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=1000)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sheet=st.sampled_from(TABLE_SHEETS),
    row=st.integers(min_value=1, max_value=6),
    column=st.integers(min_value=1, max_value=30),
    value=cell_values,
)
def test_random_single_cell_edit(
    base_bytes: bytes, sheet: str, row: int, column: int, value: Any
) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(base_bytes))
    wb[sheet].cell(row, column).value = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.xlsx"
        wb.save(path)
        result = run(path)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert re.search(r"\d input problems?; nothing was written\.", result.stderr)


def test_committed_example_still_valid(tmp_path: Path) -> None:
    """Guard: the corpus's strictness does not reject the bundled example."""
    example = ROOT / "inputs"
    files = sorted(example.glob("*.xlsx")) if example.is_dir() else []
    if not files:
        pytest.skip("no bundled example workbook")
    copy_path = tmp_path / files[0].name
    shutil.copyfile(files[0], copy_path)
    expect_ok(copy_path)


def test_recompute_on_an_inference_workload_is_a_warning_naming_the_cell() -> None:
    inputs = make_inputs(Workloads=[dict(INFERENCE, recompute="full")])
    (warning,) = [w for w in inputs.warnings if "recompute" in w]
    assert "Workloads" in warning and "training only" in warning
