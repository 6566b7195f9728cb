"""pandera schemas generated from the data contract: shape and types of a source after its cells were parsed.

Cells are parsed first (jykn_lib.io.cells); the schema then checks the parsed frame lazily, so that one bad cell
does not hide the checks on its column. Every check carries a rule code (the 问题数据 规则代码); :func:`failures`
maps pandera's failure cases back to (row position, field, rule). Rows are never dropped here: the reader decides
and reports.
"""

from __future__ import annotations

import functools

import pandas as pd
import pandera.pandas as pa

from ..contract import Source, load_contract
from ..params import params_dir
from .cells import DTYPES, Context

# Plausible range of any date and period in the sources (not a rule of law: a guard against typos such as 1024 or 2204).
DATE_MIN, DATE_MAX = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")
PERIOD_MIN, PERIOD_MAX = 190001, 210012
ID_PATTERN = r"^\d{17}[\dX]$"


def _date_range(s: pd.Series) -> pd.Series:
    return s.isna() | ((s >= DATE_MIN) & (s <= DATE_MAX))


def _period_ok(s: pd.Series) -> pd.Series:
    return s.isna() | ((s >= PERIOD_MIN) & (s <= PERIOD_MAX) & (s % 100 >= 1) & (s % 100 <= 12))


def _checks(col) -> list[tuple[pa.Check, str]]:
    """(check, rule code) for one contract column."""
    t = col.type
    if t == "id":
        return [(pa.Check.str_matches(ID_PATTERN), "ID_CHARS")]
    if t == "date":
        return [(pa.Check(_date_range), "DATE_INVALID")]
    if t == "period":
        return [(pa.Check(_period_ok), "PERIOD_INVALID")]
    if t in ("enum", "int_enum"):
        return [(pa.Check.isin(list(col.values)), "ENUM_INVALID")]
    if t == "town":
        return [(pa.Check.isin(list(Context.load().town_names)), "TOWN_UNKNOWN")]
    if t == "categories":
        return [(pa.Check.str_matches(r"^\d{2}(,\d{2})*$"), "CATEGORY_UNKNOWN")]
    if t == "exit_reason":
        return [(pa.Check.str_matches(r"^(E\d{1,2}|D\d)$"), "EXIT_REASON_UNKNOWN")]
    return []


def schema_parts(name: str) -> tuple[pa.DataFrameSchema, dict[str, list[str]]]:
    """The schema of source ``name`` and, per field, the rule code of each check (by check number)."""
    return _schema_parts(name, str(params_dir()))


@functools.lru_cache(maxsize=64)
def _schema_parts(name: str, root: str) -> tuple[pa.DataFrameSchema, dict[str, list[str]]]:
    src: Source = load_contract(root)[name]
    columns, rules = {}, {}
    for col in src.columns:
        checks = _checks(col)
        columns[col.field] = pa.Column(DTYPES[col.type], checks=[c for c, _ in checks],
                                       nullable=not col.required, required=True, title=col.header)
        rules[col.field] = [r for _, r in checks]
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name=src.title), rules


def schema_for(name: str) -> pa.DataFrameSchema:
    return schema_parts(name)[0]


def failures(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate lazily; return one row per failing cell: ``pos`` (frame index), ``field``, ``rule``, ``value``.

    A failure that is not about a cell (a wrong dtype) is a programming error and raises.
    """
    schema, rules = schema_parts(name)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    else:
        return pd.DataFrame({"pos": pd.Series(dtype="int64"), "field": pd.Series(dtype=object),
                             "rule": pd.Series(dtype=object), "value": pd.Series(dtype=object)})
    if fc["index"].isna().any():
        raise TypeError(f"数据契约 {name}：解析后的列类型与模式不符：\n{fc[fc['index'].isna()].to_string()}")
    src = load_contract()[name]
    out = []
    for rec in fc.itertuples(index=False):  # only the failing cells
        field = rec.column
        if rec.check == "not_nullable":
            rule = "ID_EMPTY" if src.column(field).type == "id" else "REQUIRED_MISSING"
        else:
            rule = rules[field][int(rec.check_number)]
        out.append((int(rec.index), field, rule, rec.failure_case))
    return pd.DataFrame(out, columns=["pos", "field", "rule", "value"])
