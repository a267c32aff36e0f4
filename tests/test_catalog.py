"""The default catalog obeys the field table and the modelling conventions.

Its CSV files load only when valid, and a bad cell is reported by file, line and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter

from tco.data.catalog import (
    DEFAULT_CATALOG,
    FILE_NAMES,
    MAY_LEAVE_OUT,
    CatalogError,
    load_catalog,
)
from tco.schema.fields import SHEETS_BY_NAME, Field, Sheet

SEED_CHIPS = {
    "ascend-910b",
    "ascend-910b3",
    "ascend-910c",
    "mlu370-x4",
    "mlu370-x8",
    "mlu370-s4",
    "mlu590",
    "enflame-t10",
    "enflame-t20",
    "enflame-i20",
    "enflame-s60",
    "enflame-l600",
    "hygon-z100",
    "hygon-k100-ai",
    "hygon-bw1000",
    "a100",
    "h100",
    "h200",
    "b100",
    "b200",
    "gb200",
    "h800",
    "h20",
    "a800",
}
#: Rows that sell a seed chip in another purchase unit: the 910C in 8-package Atlas 800T
#: A3 servers next to its CloudMatrix 384 supernode row.
PURCHASE_VARIANTS = {"ascend-910c-a3"}
FABRIC_IDS = {"ib-ndr400", "roce-400g", "roce-200g", "spectrum-x", "ascend-roce-200g"}
COOLING_IDS = {"air", "liquid", "immersion"}
MODEL_IDS = {
    "qwen2.5-72b",
    "r1-distill-qwen-32b",
    "r1-distill-qwen-14b",
    "r1-distill-qwen-7b",
    "llama-2-70b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "deepseek-v3",
    "deepseek-r1",
    "qwen3-235b-a22b",
    "qwen3-30b-a3b",
    "gpt-oss-120b",
}
#: Chips whose card price is published in the reference (card or server quote).
PUBLISHED_PRICE = {"a100", "a800", "h100", "h800", "h20"}


def num(value: object) -> float:
    """A numeric cell as float (fails the test on anything else)."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return float(value)


def ids_of(sheet_name: str) -> set[str]:
    sheet = SHEETS_BY_NAME[sheet_name]
    assert sheet.id_key is not None
    return {str(row[sheet.id_key]) for row in DEFAULT_CATALOG[sheet_name]}


def cell_problems(field: Field, value: object) -> list[str]:
    """Why `value` is not a valid cell for `field` (empty list = valid)."""
    if value is None:
        return ["required but blank"] if field.required else []
    problems: list[str] = []
    if field.type == "bool":
        if not isinstance(value, bool):
            problems.append(f"{value!r} is not a bool")
    elif field.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{value!r} is not an int")
    elif field.type == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{value!r} is not a number")
        elif not math.isfinite(value):
            problems.append(f"{value!r} is not finite")
    elif field.type in ("str", "enum", "idlist") and (
        not isinstance(value, str) or not value.strip()
    ):
        problems.append(f"{value!r} is not non-empty text")
    if problems:
        return problems
    if field.choices and value not in field.choices:
        problems.append(f"{value!r} not in {field.choices}")
    if field.is_numeric:
        number = num(value)
        if field.gt is not None and not number > field.gt:
            problems.append(f"{number} not > {field.gt}")
        if field.ge is not None and not number >= field.ge:
            problems.append(f"{number} not >= {field.ge}")
        if field.lt is not None and not number < field.lt:
            problems.append(f"{number} not < {field.lt}")
        if field.le is not None and not number <= field.le:
            problems.append(f"{number} not <= {field.le}")
    if field.type == "idlist" and field.ref is not None:
        known = ids_of(field.ref)
        for item in str(value).split(","):
            if item.strip() not in known:
                problems.append(f"{item.strip()!r} is not a {field.ref} id")
    return problems


def row_problems(sheet: Sheet, row: dict[str, object]) -> list[str]:
    problems = [f"unknown key {key!r}" for key in row if key not in sheet.keys]
    for field in sheet.fields:
        problems += [f"{field.key}: {p}" for p in cell_problems(field, row.get(field.key))]
    return problems


def test_catalog_has_exactly_the_five_sheets() -> None:
    assert set(DEFAULT_CATALOG) == {"Chips", "Fabrics", "Cooling", "Models", "Uncertainty"}


@pytest.mark.parametrize("sheet_name", sorted(DEFAULT_CATALOG))
def test_every_row_obeys_the_field_table(sheet_name: str) -> None:
    sheet = SHEETS_BY_NAME[sheet_name]
    assert DEFAULT_CATALOG[sheet_name], f"{sheet_name} is empty"
    problems = {}
    for index, row in enumerate(DEFAULT_CATALOG[sheet_name]):
        found = row_problems(sheet, row)
        if found:
            problems[row.get(sheet.id_key or "row_id", index)] = found
    assert not problems, problems


def test_checker_rejects_bad_rows() -> None:
    """The checker itself can fail: a wrong key, type, range or choice is caught."""
    chips = SHEETS_BY_NAME["Chips"]
    good = dict(DEFAULT_CATALOG["Chips"][0])
    assert row_problems(chips, good) == []
    assert row_problems(chips, {**good, "bogus": 1})
    assert row_problems(chips, {**good, "train_mfu": 1.5})
    assert row_problems(chips, {**good, "origin": "mars"})
    assert row_problems(chips, {**good, "integrated_nic": "yes"})
    assert row_problems(chips, {**good, "scaleup_domain": 8.0})
    assert row_problems(chips, {k: v for k, v in good.items() if k != "tdp_w"})
    fabrics = SHEETS_BY_NAME["Fabrics"]
    fabric = dict(DEFAULT_CATALOG["Fabrics"][0])
    assert row_problems(fabrics, {**fabric, "compatible_chips": "h100,nope"})


@pytest.mark.parametrize("sheet_name", ["Chips", "Fabrics", "Cooling", "Models"])
def test_ids_are_unique(sheet_name: str) -> None:
    key = SHEETS_BY_NAME[sheet_name].id_key
    assert key is not None
    ids = [row[key] for row in DEFAULT_CATALOG[sheet_name]]
    assert len(ids) == len(set(ids))


def test_required_ids_present() -> None:
    assert ids_of("Chips") == SEED_CHIPS | PURCHASE_VARIANTS
    assert ids_of("Fabrics") >= FABRIC_IDS
    assert ids_of("Cooling") == COOLING_IDS
    assert ids_of("Models") == MODEL_IDS


@pytest.mark.parametrize("sheet_name", ["Chips", "Fabrics", "Cooling", "Models", "Uncertainty"])
def test_every_row_names_its_source(sheet_name: str) -> None:
    for row in DEFAULT_CATALOG[sheet_name]:
        assert isinstance(row.get("source"), str) and len(str(row["source"]).strip()) > 10, row


def chip(chip_id: str) -> dict[str, object]:
    return next(r for r in DEFAULT_CATALOG["Chips"] if r["chip_id"] == chip_id)


def test_bf16_is_dense_not_sparse() -> None:
    assert chip("h100")["bf16_tflops"] == 989.5
    assert chip("h200")["bf16_tflops"] == 989.5
    assert chip("a100")["bf16_tflops"] == 312.0
    for row in DEFAULT_CATALOG["Chips"]:
        fp8 = row.get("fp8_tflops")
        if fp8 is not None:  # FP8 dense is 2x BF16 dense on Hopper/Blackwell
            assert fp8 == pytest.approx(2 * num(row["bf16_tflops"]), rel=0.01), row["chip_id"]


def test_fp8_only_on_chips_that_have_it() -> None:
    with_fp8 = {r["chip_id"] for r in DEFAULT_CATALOG["Chips"] if r.get("fp8_tflops")}
    assert with_fp8 == {"h100", "h200", "h800", "h20", "b100", "b200", "gb200"}


def test_efficiency_notes_state_the_values_in_use() -> None:
    """A note deriving an efficiency ("fp8_matrix_efficiency 0.43 = train_mfu 0.575 x 0.75")
    names the row's own values: after the x1.15 recalibration every such note still said
    0.375 = 0.5 x 0.75, and a buyer reads the note beside the value on the Assumptions sheet."""
    found = 0
    for row in DEFAULT_CATALOG["Chips"]:
        source = str(row["source"])
        for m in re.finditer(
            r"(fp8|int8)_matrix_efficiency ([0-9.]+) = train_mfu ([0-9.]+) x ([0-9.]+)", source
        ):
            kind, value, mfu, ratio = m.groups()
            assert float(value) == num(row[f"{kind}_matrix_efficiency"]), row["chip_id"]
            assert float(mfu) == num(row["train_mfu"]), row["chip_id"]
            assert float(mfu) * float(ratio) == pytest.approx(float(value), abs=0.005)
            found += 1
        for m in re.finditer(r"train_mfu ([0-9.]+) as [A-Z]", source):
            assert float(m.group(1)) == num(row["train_mfu"]), row["chip_id"]
    assert found >= 9


def test_prices_low_confidence_where_no_published_price() -> None:
    for row in DEFAULT_CATALOG["Chips"]:
        if row["origin"] == "domestic":
            assert row["price_confidence"] == "low", row["chip_id"]
            assert "placeholder" in str(row["source"]), row["chip_id"]
    low = {r["chip_id"] for r in DEFAULT_CATALOG["Chips"] if r["price_confidence"] == "low"}
    assert low == (SEED_CHIPS | PURCHASE_VARIANTS) - PUBLISHED_PRICE
    placeholder_priced = {
        u["row_id"]
        for u in DEFAULT_CATALOG["Uncertainty"]
        if u["sheet"] == "Chips" and u["field"] == "card_price"
    }
    assert low <= placeholder_priced, low - placeholder_priced


def test_liquid_only_and_integrated_nic() -> None:
    assert chip("gb200")["cooling_required"] == "liquid"
    assert chip("h100")["cooling_required"] == "any"
    for chip_id in ("ascend-910b", "ascend-910b3", "ascend-910c", "ascend-910c-a3"):
        assert chip(chip_id)["integrated_nic"] is True


def test_rack_scale_parts_are_ordered_as_their_systems() -> None:
    """GB200 is sold as NVL72 racks, the 910C as CloudMatrix 384 or in A3 servers."""
    gb200, cm384, a3 = chip("gb200"), chip("ascend-910c"), chip("ascend-910c-a3")
    assert (gb200["system_cards"], gb200["scaleup_domain"], gb200["cards_per_node"]) == (72, 72, 4)
    assert (cm384["system_cards"], cm384["scaleup_domain"], cm384["cards_per_node"]) == (
        384,
        384,
        8,
    )
    assert a3.get("system_cards") is None and a3["scaleup_domain"] == a3["cards_per_node"] == 8

    # The split keeps each system's published total: NVL72 about $3.6M at these
    # placeholders, CloudMatrix 384 $8.2M and 559 kW (capacitymedia / SemiAnalysis).
    def total(c: dict, key_card: str, key_node: str, key_system: str) -> float:
        nodes = c["system_cards"] // c["cards_per_node"]
        return c["system_cards"] * c[key_card] + nodes * c[key_node] + c[key_system]

    assert total(cm384, "card_price", "node_price", "system_price") == pytest.approx(8.208e6)
    assert total(cm384, "tdp_w", "node_power_w", "system_power_w") == pytest.approx(559e3, rel=0.01)
    assert total(gb200, "tdp_w", "node_power_w", "system_power_w") == pytest.approx(120e3, rel=0.01)
    for c in DEFAULT_CATALOG["Chips"]:
        system = c.get("system_cards") or c["cards_per_node"]
        assert c["scaleup_domain"] <= system, c["chip_id"]
    ascend = next(f for f in DEFAULT_CATALOG["Fabrics"] if f["fabric_id"] == "ascend-roce-200g")
    assert ascend["nic_price"] == 0 and ascend["nic_power_w"] == 0
    assert ascend["origin"] == "domestic"


#: US export rules for China as of 2024-2025 (tco/data/README.md): the 2022-10 rule (A100,
#: H100), the 2023-10 rule (A800, H800 and everything above its threshold) and the 2025-04
#: licence requirement for the H20.
RESTRICTED_FOR_CHINA = {"a100", "a800", "h100", "h800", "h200", "b100", "b200", "gb200", "h20"}


def test_export_class_follows_the_public_record() -> None:
    chips = DEFAULT_CATALOG["Chips"]
    restricted = {c["chip_id"] for c in chips if c.get("export_class") == "restricted-cn"}
    assert restricted == RESTRICTED_FOR_CHINA
    for chip in chips:
        assert chip["export_class"] in ("unrestricted", "restricted-cn"), chip["chip_id"]
        assert f"export_class {chip['export_class']}" in str(chip["source"]), chip["chip_id"]
        if chip["origin"] == "domestic":
            assert chip["export_class"] == "unrestricted", chip["chip_id"]
        # Whether a site can buy a chip is the planner's call, never the catalog's: a catalog
        # "yes" would let Site allow_restricted = yes admit every restricted chip at once.
        assert "available" not in chip, chip["chip_id"]


def test_uncertainty_rows_bracket_the_nominal_value() -> None:
    for u in DEFAULT_CATALOG["Uncertainty"]:
        sheet = SHEETS_BY_NAME[str(u["sheet"])]
        assert sheet.id_key is not None
        rows = {r[sheet.id_key]: r for r in DEFAULT_CATALOG[sheet.name]}
        assert u["row_id"] in rows, u
        field = sheet.field(str(u["field"]))
        assert field.is_numeric, u
        nominal = rows[u["row_id"]].get(field.key)
        assert nominal is not None, u
        assert num(u["low"]) <= num(nominal) <= num(u["high"]), u
        assert num(u["low"]) < num(u["high"]), u
        # the range itself must be a legal value of the field
        assert cell_problems(field, u["low"]) == [] and cell_problems(field, u["high"]) == [], u


def test_uncertainty_covers_the_seed_ranges() -> None:
    covered = {(u["row_id"], u["field"]) for u in DEFAULT_CATALOG["Uncertainty"]}
    for pair in [
        ("ascend-910b", "bf16_tflops"),
        ("ascend-910b", "memory_bw_gbs"),
        ("ascend-910b", "tdp_w"),
        ("ascend-910c", "bf16_tflops"),
        ("mlu370-x8", "memory_gb"),
        ("b200", "bf16_tflops"),
        ("air", "pue"),
        ("liquid", "pue"),
    ]:
        assert pair in covered, pair
    bw = next(
        u
        for u in DEFAULT_CATALOG["Uncertainty"]
        if (u["row_id"], u["field"]) == ("ascend-910b", "memory_bw_gbs")
    )
    assert bw["low"] == 400.0 and bw["high"] == 1600.0


def kv_bytes_per_token(model: dict[str, object], bytes_per_value: int = 2) -> float:
    override = model.get("kv_bytes_per_token")
    if override is not None:
        return num(override)
    layers, kv_heads, head_dim = (num(model[k]) for k in ("layers", "kv_heads", "head_dim"))
    return 2 * layers * kv_heads * head_dim * bytes_per_value


def model(model_id: str) -> dict[str, object]:
    return next(m for m in DEFAULT_CATALOG["Models"] if m["model_id"] == model_id)


def test_kv_cache_bytes() -> None:
    assert kv_bytes_per_token(model("llama-2-70b")) == 327_680
    assert kv_bytes_per_token(model("qwen2.5-72b")) == 327_680
    assert kv_bytes_per_token(model("llama-3.1-405b")) == 516_096
    assert kv_bytes_per_token(model("deepseek-v3")) == 61 * (512 + 64) * 2


def test_models_are_consistent() -> None:
    for m in DEFAULT_CATALOG["Models"]:
        assert num(m["active_params_b"]) <= num(m["params_b"]), m
        assert num(m["heads"]) % num(m["kv_heads"]) == 0, m
        if m.get("experts") is None:
            assert m["active_params_b"] == m["params_b"], m
            assert num(m["heads"]) * num(m["head_dim"]) == num(m["hidden"]), m
            continue
        # A MoE: the parameters outside the routed experts are all active, so total minus
        # routed and active minus the k routed a token uses must roughly agree (embeddings
        # and multi-token-prediction heads counted on one side only keep it from equality).
        moe_layers = num(m["moe_layers"]) if m.get("moe_layers") is not None else num(m["layers"])
        per_expert = 3 * num(m["hidden"]) * num(m["expert_ffn"]) / 1e9
        non_routed = num(m["params_b"]) - moe_layers * num(m["experts"]) * per_expert
        non_routed_active = (
            num(m["active_params_b"]) - moe_layers * num(m["experts_per_token"]) * per_expert
        )
        assert non_routed > 0 and non_routed_active > 0, m
        assert non_routed_active == pytest.approx(non_routed, rel=0.3), m
    # seed table 9: BF16 weights ~140 / 64 / 28 / 14 GB
    for model_id, weights_gb in [
        ("qwen2.5-72b", 140),
        ("r1-distill-qwen-32b", 64),
        ("r1-distill-qwen-14b", 28),
        ("r1-distill-qwen-7b", 14),
    ]:
        assert 2 * num(model(model_id)["params_b"]) == pytest.approx(weights_gb, rel=0.1)


# --------------------------------------------------------------------------------------
# The CSV files and their loader
# --------------------------------------------------------------------------------------

#: The catalog files as shipped in the package.
PACKAGED = files("tco.data")


def csv_records(folder: Traversable, file_name: str) -> list[list[str]]:
    """A catalog file as csv records, header first, read independently of the loader."""
    text = (folder / file_name).read_text(encoding="utf-8")
    return [record for record in csv.reader(io.StringIO(text, newline="")) if record]


def catalog_copy(tmp_path: Path) -> Path:
    for file_name in FILE_NAMES.values():
        (tmp_path / file_name).write_text(
            (PACKAGED / file_name).read_text(encoding="utf-8"), encoding="utf-8", newline=""
        )
    return tmp_path


def rewrite(path: Path, records: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)


@pytest.mark.parametrize("sheet_name", sorted(FILE_NAMES))
def test_csv_header_is_the_field_table(sheet_name: str) -> None:
    """The field table's keys in order; only the fleet-plan columns may be left out."""
    header = csv_records(PACKAGED, FILE_NAMES[sheet_name])[0]
    keys = SHEETS_BY_NAME[sheet_name].keys
    assert header == [k for k in keys if k in header or k not in MAY_LEAVE_OUT]


def test_a_csv_may_leave_out_the_fleet_columns_only(tmp_path: Path) -> None:
    folder = catalog_copy(tmp_path)
    records = csv_records(folder, FILE_NAMES["Cooling"])
    drop = records[0].index("pue")
    rewrite(folder / FILE_NAMES["Cooling"], [r[:drop] + r[drop + 1 :] for r in records])
    with pytest.raises(CatalogError, match="missing: \\['pue'\\]"):
        load_catalog(folder)


@pytest.mark.parametrize("sheet_name", sorted(FILE_NAMES))
def test_every_csv_record_is_one_catalog_row_in_file_order(sheet_name: str) -> None:
    header, *records = csv_records(PACKAGED, FILE_NAMES[sheet_name])
    loaded = load_catalog(PACKAGED)[sheet_name]
    first = header[0]
    assert [record[0] for record in records] == [str(row[first]) for row in loaded]


@pytest.mark.parametrize(
    ("file_name", "row_id", "key", "bad", "message"),
    [
        ("chips.csv", "h100", "tdp_w", "700 W", "must be a number, got '700 W'"),
        ("chips.csv", "h100", "origin", "mars", "must be one of domestic, import"),
        ("fabrics.csv", "roce-400g", "efficiency", "1.5", "must be <= 1, got 1.5"),
        ("models.csv", "llama-2-70b", "kv_heads", "128", "must be <= heads (64), got 128"),
        ("uncertainty.csv", "Chips", "row_id", "no-such-chip", "no Chips row with id"),
    ],
)
def test_bad_cell_names_file_line_and_column(
    tmp_path: Path, file_name: str, row_id: str, key: str, bad: str, message: str
) -> None:
    folder = catalog_copy(tmp_path)
    records = csv_records(folder, file_name)
    # An earlier source cell spanning two lines shifts every later record by one line.
    records[1][records[0].index("source")] += "\nsecond line"
    index = next(i for i, record in enumerate(records) if i > 1 and record[0] == row_id)
    column = records[0].index(key)
    records[index][column] = bad
    rewrite(folder / file_name, records)
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    line = index + 2  # 1-based, plus the extra line of record 1
    where = f"{folder / file_name}, line {line}, column {get_column_letter(column + 1)} ({key})"
    assert f"{where}: {message}" in str(caught.value)


def test_header_out_of_field_table_order_is_refused(tmp_path: Path) -> None:
    folder = catalog_copy(tmp_path)
    records = csv_records(folder, "cooling.csv")
    records[0][1], records[0][2] = records[0][2], records[0][1]
    rewrite(folder / "cooling.csv", records)
    with pytest.raises(CatalogError, match=r"cooling\.csv, line 1: the header must be"):
        load_catalog(folder)


def test_csv_saved_by_excel_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    folder = catalog_copy(tmp_path)
    chips = folder / "chips.csv"
    chips.write_text("\ufeff" + chips.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_catalog(folder) == DEFAULT_CATALOG


def test_a_catalog_nominal_outside_its_own_range_is_refused(tmp_path: Path) -> None:
    """A planner's quote outside a published range only warns; the shipped catalog's own
    nominal outside its own range is a data error."""
    folder = catalog_copy(tmp_path)
    header, first, *rest = csv_records(folder, "uncertainty.csv")
    assert (first[0], first[1], first[2]) == ("Chips", "ascend-910b", "bf16_tflops")
    first[header.index("low")], first[header.index("high")] = "400", "500"  # nominal 320
    rewrite(folder / "uncertainty.csv", [header, first, *rest])
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert "chips.csv, line 2, column H (bf16_tflops): ascend-910b: 320 is outside" in str(
        caught.value
    )
