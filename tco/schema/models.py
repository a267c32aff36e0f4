"""Cell coercion and row validation against the generated row models.

The row models (`tco.schema.rows`) are generated from the field table
(`tco.schema.fields`), the single source of truth. Each model is frozen and
forbids extra fields (Calliope style). Attribute names are the column keys,
so later stages read `chip.tdp_w`, `site.power_budget_kw`.

Coercion happens before pydantic sees a value so that the messages speak the
planner's language ("must be a number, got '1,000'") rather than pydantic's.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tco.errors import show_value
from tco.schema.fields import CURRENCY_PATTERN, Field

RowT = TypeVar("RowT", bound=BaseModel)

_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class CellProblem(ValueError):
    """A cell value that cannot be coerced to its field's type."""


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise CellProblem(f"must be a number, got {show_value(value)}")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            raise CellProblem(f"must be a finite number, got {show_value(value)}") from None
    elif isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        body = text[:-1].strip() if percent else text
        if not _PLAIN_NUMBER.match(body):
            if body.lower() in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}:
                raise CellProblem(f"must be a finite number, got {show_value(value)}")
            raise CellProblem(f"must be a number, got {show_value(value)}")
        number = float(body) / (100.0 if percent else 1.0)
    else:
        raise CellProblem(f"must be a number, got {show_value(value)}")
    if not math.isfinite(number):
        raise CellProblem(f"must be a finite number, got {show_value(number)}")
    return number


def coerce(field: Field, value: Any) -> Any:
    """Convert one non-blank cell value to the field's Python type.

    Numbers stored as text are accepted when they are plain ("12", "0.5",
    "25%"); thousands separators are refused because "1,000" reads as 1.000
    in locales that use a decimal comma.
    """
    if field.type == "float":
        return _to_float(value)
    if field.type == "int":
        number = _to_float(value)
        if not number.is_integer():
            raise CellProblem(f"must be a whole number, got {show_value(value)}")
        return int(number)
    if field.type == "bool":
        if isinstance(value, bool):
            return value
        text = show_value(value).strip("'\"").strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellProblem(f"must be yes or no, got {show_value(value)}")
    text = _to_text(value)
    if field.type == "enum":
        for choice in field.choices:
            if text.lower() == choice.lower():
                return choice
        raise CellProblem(f"must be one of {', '.join(field.choices)}; got {show_value(text)}")
    if field.type == "idlist":
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if field.type == "currency":
        # Codes are matched between sheets (a row's currency, an FX row, the Site's),
        # so "cny" must not differ from "CNY".
        code = text.upper()
        if not re.match(CURRENCY_PATTERN, code):
            raise CellProblem(
                f"must be a three-letter ISO 4217 currency code (USD, CNY, EUR ...), got "
                f"{show_value(text)}"
            )
        return code
    return text


def _to_text(value: Any) -> str:
    """Ids typed as numbers (7, 7.0) become '7'; text is trimmed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def describe_error(error: ErrorDetails) -> str:
    """Turn one pydantic error dict into the planner-facing message."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    got = show_value(error.get("input"))
    limits = {
        "greater_than": (">", "gt"),
        "greater_than_equal": (">=", "ge"),
        "less_than": ("<", "lt"),
        "less_than_equal": ("<=", "le"),
    }
    if kind in limits:
        symbol, name = limits[kind]
        return f"must be {symbol} {show_value(ctx.get(name))}, got {got}"
    if kind == "missing":
        return "is required but blank"
    if kind == "string_too_short":
        return "is required but blank"
    return f"{error.get('msg', 'invalid value')}, got {got}"


def build_row(model: type[RowT], values: dict[str, Any]) -> tuple[RowT | None, list[ErrorDetails]]:
    """Validate coerced values; return the row or the pydantic error dicts."""
    try:
        return model(**values), []
    except ValidationError as exc:
        return None, list(exc.errors())
