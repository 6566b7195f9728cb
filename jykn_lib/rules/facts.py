"""Facts of each person on their evaluation date, derived from the sources (vectorised; no per-person loop).

Every function takes ``keys``: a frame with one row per question — ``row`` (the person's position), ``id_number`` and
``eval_date`` — and returns a frame or Series indexed by ``row``. The same functions serve the people asked about and
the members of their households. Semantics: docs/engine_rules.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import idcard
from ..dates import add_months, age_on, month_index
from ..params import Parameters
from ..retirement import retirement_dates

EMPTY = pd.DataFrame()
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text dtype


# --- person codes: every join of the engine is on integers --------------------------------------------------------
#
# Every source table carries a ``_pid`` column: the identity number as an integer (jykn_lib.idcard.numeric_codes).
# The reader adds it once, when it parses a file (kept in the parse cache); ``Sources`` adds it to a table that lacks
# it (hand-made tables). A value that is not a well-formed identity number (the reader never lets one through; hand-made
# tables might) gets a negative code from one dictionary shared by all tables, so that equal strings still match.
# A table whose ``id_number`` is changed must drop its ``_pid`` (rules.policies does so for 安置人员身份号码).


def _has_codes(df: pd.DataFrame) -> bool:
    return "_pid" in df.columns and df["_pid"].dtype == np.int64


class Sources(dict):
    """The source tables, each with ``_pid`` (the person code of its 公民身份号码) and 户籍人口 with ``_hid``.

    ``Sources.for_people(tables, ids)`` first cuts every person-keyed table to the people asked about and the members
    of their households — one integer lookup per row — so that everything after runs on that population, not on the
    whole district. ``factorized(name, column)`` keeps the codes of a text column for every fact that tests it.
    """

    def __init__(self, tables, universe: np.ndarray | None = None, odd: dict | None = None, households: bool = True,
                 cut: dict | None = None):
        super().__init__()
        self._odd: dict[str, int] = {} if odd is None else odd  # codes of values that are not well-formed numbers
        self._factors: dict = {}
        wanted = pd.Index(universe) if universe is not None else None  # distinct codes
        for name, df in tables.items():
            if df is None:
                continue
            if cut and name in cut:  # already cut by the caller (户籍人口 by household)
                self[name] = cut[name]
                continue
            if "id_number" in df.columns and not _has_codes(df):
                df = df.assign(_pid=self.codes(df["id_number"]))
            if universe is not None and "id_number" in df.columns and len(df):
                keep = _rows_in(df["_pid"].to_numpy(), wanted)
                if len(keep) < len(df):
                    # the cut joins on codes: the text number is not copied (户籍人口 keeps it: its members become keys)
                    df = (df if name == "hukou" else df.drop(columns="id_number")).take(keep)
            if households and name == "hukou" and "household_id" in df.columns and "_hid" not in df.columns:
                df = df.assign(_hid=_factorize(df["household_id"]))
            self[name] = df

    @classmethod
    def for_people(cls, tables, ids: pd.Series) -> Sources:
        whole = cls(tables, households=False)  # codes for the tables that lack them (the reader's tables have them)
        universe = pd.unique(whole.codes(pd.Series(ids)))
        h = whole.get("hukou")
        cut = {}
        if h is not None and len(h) and "household_id" in h.columns:
            # 户籍人口 is read for the asked people's own rows and the rows of their households, nothing else: those
            # rows, with each household's code (-1 for a blank 户号) from the one lookup that finds the households
            own = code_in(h["_pid"].to_numpy(), universe)
            hid = _household_codes(h["household_id"], own)
            members = hid >= 0
            rows = np.flatnonzero(own | members)
            universe = pd.unique(np.concatenate([universe, h["_pid"].to_numpy()[members]]))
            cut["hukou"] = h.take(rows).assign(_hid=hid[rows])
        return cls(whole, universe, whole._odd, cut=cut)

    def codes(self, values) -> np.ndarray:
        codes, ok = idcard.numeric_codes(_arrow_strings(values))
        if not ok.all():
            texts = pd.Series(values).astype(object).to_numpy()
            for i in np.flatnonzero(~ok):
                key = str(texts[i])
                codes[i] = self._odd.setdefault(key, -1 - len(self._odd))
        return codes

    def factorized(self, name: str, column: str, df: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
        """(codes, values) of a text column of a table (-1 for blanks), computed once per evaluation. ``df`` is the
        table as :func:`_table` gives it: the same rows as ``self[name]``, a column it lacks being blank."""
        codes, uniques = self.derived(name, ("factorized", column), lambda: pd.factorize(df[column], use_na_sentinel=True))
        return codes, pd.Index(uniques)

    def derived(self, name: str, key, compute):
        """What ``compute()`` derives from table ``name`` (its rows as they are here), computed once."""
        source = self.get(name)
        if (name, key) not in self._factors or self._factors[(name, key)][0] is not source:
            self._factors[(name, key)] = (source, compute())
        return self._factors[(name, key)][1]


def _factorize(values: pd.Series) -> np.ndarray:
    return pd.factorize(values.astype(object), use_na_sentinel=True)[0]


def _household_codes(household_id: pd.Series, own: np.ndarray) -> np.ndarray:
    """Per row: the code of its 户号 among the 户号 of the ``own`` rows, -1 for another household or a blank one."""
    households = household_id[own].dropna()
    if not len(households):
        return np.full(len(household_id), -1, dtype=np.int64)
    hay = pc.unique(_arrow_strings(households).cast(pa.string()))
    at = pc.index_in(_arrow_strings(household_id).cast(pa.string()), value_set=hay)
    return at.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def person_codes(keys: pd.DataFrame, tables) -> np.ndarray:
    """The keys' person codes (their ``_pid`` column if present, else looked up in the tables' codes)."""
    if "_pid" in keys.columns:
        return keys["_pid"].to_numpy(dtype=np.int64)
    return (tables if isinstance(tables, Sources) else Sources({})).codes(keys["id_number"])


def _table(tables, name: str, columns: list[str]) -> pd.DataFrame:
    """A source table with at least ``columns`` (an absent source is an empty table)."""
    df = tables.get(name)
    if df is None or len(df) == 0:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        out["_pid"] = pd.Series(dtype=np.int64)
        return out
    missing = [c for c in columns if c not in df.columns and not (c == "id_number" and _has_codes(df))]
    if missing:  # blank columns added once per evaluation (社保缴费 is long, and read twice)
        source = df
        df = (tables.derived(name, ("blank", tuple(missing)), lambda: source.assign(**{c: pd.NA for c in missing}))
              if isinstance(tables, Sources) else df.assign(**{c: pd.NA for c in missing}))
    if not _has_codes(df) and "id_number" in df.columns:
        df = df.assign(_pid=Sources({}).codes(df["id_number"]))
    return df


def _in_values(tables, name: str, table: pd.DataFrame, column: str, values) -> np.ndarray:
    """Per table row: its ``column`` is one of ``values`` (the column factorized once per evaluation)."""
    if isinstance(tables, Sources) and tables.get(name) is not None and len(table):
        codes, uniques = tables.factorized(name, column, table)
        hit = np.append(uniques.isin(list(values)), False)  # code -1 (blank) is never in
        return hit[codes]
    return table[column].isin(list(values)).to_numpy(dtype=bool)


def _dates(series: pd.Series) -> pd.Series:
    if series.dtype == object and len(series) > 1 and series.isna().all():
        # a blank column (a field the source lacks): nothing to parse (pandas would look at every blank in turn)
        kind = pd.to_datetime(series.iloc[:1], errors="coerce").dtype
        return pd.Series(np.full(len(series), np.datetime64("NaT"), dtype=kind), index=series.index, name=series.name)
    return pd.to_datetime(series, errors="coerce")


_arrow_strings = idcard.arrow_strings


def isin(values: pd.Series, wanted) -> np.ndarray:
    """Fast membership for string columns (pandas' isin is slow when object and Arrow strings meet)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    hay = pc.unique(_arrow_strings(pd.Series(wanted)).cast(pa.string()))
    out = pc.is_in(_arrow_strings(values).cast(pa.string()), value_set=hay)
    return out.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _run_starts(codes: np.ndarray) -> np.ndarray | None:
    """Where each run of equal codes starts, for a long column made of few runs (else None). A person's rows are
    usually together (社保缴费: one row per month), so a long column is looked up one run at a time."""
    n = len(codes)
    if n < 4096:
        return None
    head = np.empty(n, dtype=bool)
    head[0] = True
    np.not_equal(codes[1:], codes[:-1], out=head[1:])
    starts = np.flatnonzero(head)
    return starts if 2 * len(starts) < n else None


def _positions(codes: np.ndarray, index: pd.Index, found_only: bool = False) -> np.ndarray:
    """``index.get_indexer(codes)`` (-1 where absent), or with ``found_only`` whether each code is there."""
    starts = _run_starts(codes)
    if starts is not None:
        at = index.get_indexer(codes[starts])
        return np.repeat(at >= 0 if found_only else at, np.diff(np.append(starts, len(codes))))
    at = index.get_indexer(codes)
    return at >= 0 if found_only else at


def _rows_in(codes: np.ndarray, index: pd.Index) -> np.ndarray:
    """Positions of the rows whose code is in ``index``, in order (from the runs when there are few: no per-row mask
    of a long table)."""
    starts = _run_starts(codes)
    if starts is None:
        return np.flatnonzero(index.get_indexer(codes) >= 0)
    found = index.get_indexer(codes[starts]) >= 0
    lengths = np.diff(np.append(starts, len(codes)))[found]
    first = starts[found]
    # run k covers first[k] … first[k] + lengths[k] - 1
    offset = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
    return offset + np.arange(int(lengths.sum()))


def code_in(codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Membership of integer codes (a hash lookup, no sorting)."""
    if len(codes) == 0 or len(wanted) == 0:
        return np.zeros(len(codes), dtype=bool)
    return _positions(codes, pd.Index(pd.unique(wanted)), found_only=True)


_KEY_INDEX: list = []  # the last keys' codes and their index (the facts of one evaluation share their keys)


def _key_index(kc: np.ndarray) -> pd.Index:
    """``pd.Index(kc)``, its hash table built once for the many joins of the same keys (checked equal, not assumed)."""
    if _KEY_INDEX and len(_KEY_INDEX[0]) == len(kc) and np.array_equal(_KEY_INDEX[0], kc):
        return _KEY_INDEX[1]
    index = pd.Index(kc.copy())
    _KEY_INDEX[:] = [index.to_numpy(), index]
    return index


def _pairs(keys: pd.DataFrame, table: pd.DataFrame, tables=None) -> tuple[np.ndarray, np.ndarray]:
    """(key position, table row position) of every pair of a key and a table row of the same person, in table order
    and, for one table row, in key order."""
    return _pairs_of(keys, table["_pid"].to_numpy(dtype=np.int64), tables)


def _pairs_of(keys: pd.DataFrame, tc: np.ndarray, tables=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pairs` for table rows given by their person codes ``tc``."""
    kc = person_codes(keys, tables)
    index = _key_index(kc)
    if index.is_unique:  # one key per person (the usual case): a key's position is its index position
        pos = _positions(tc, index) if len(tc) and len(kc) else np.full(len(tc), -1)
        t_idx = np.flatnonzero(pos >= 0)
        return pos[t_idx], t_idx
    sel = np.flatnonzero(code_in(tc, kc))
    order_k = np.argsort(kc, kind="stable")
    sorted_k = kc[order_k]
    sub = tc[sel]
    start = np.searchsorted(sorted_k, sub, "left")
    count = np.searchsorted(sorted_k, sub, "right") - start
    total = int(count.sum())
    t_idx = np.repeat(sel, count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return order_k[np.repeat(start, count) + offset], t_idx


def _join(keys: pd.DataFrame, table: pd.DataFrame, columns: list[str], tables=None, with_id: bool = True
          ) -> pd.DataFrame:
    """Rows of ``table`` for the keys' people, with the keys' ``row``, ``id_number`` (unless not ``with_id``) and
    ``eval_date`` attached (every pair of a key and a table row of the same person; ``_order`` is the table row's
    position, file order)."""
    k_idx, t_idx = _pairs(keys, table, tables)
    out = {"row": keys["row"].to_numpy()[k_idx]}
    if with_id:
        out["id_number"] = keys["id_number"].to_numpy()[k_idx]
    out["eval_date"] = keys["eval_date"].to_numpy()[k_idx]
    for c in columns:
        out[c] = table[c].take(t_idx).reset_index(drop=True)
    out["_order"] = t_idx
    return pd.DataFrame(out)  # built at once (a column added to a frame costs a copy of its column index)


def _last_per_row(j: pd.DataFrame, order: list[str] | None = None, **sort) -> pd.DataFrame:
    """The last pair of each key, pairs sorted stably by ``order`` (as they are without it); when every key has one
    pair there is nothing to choose, and the pairs are returned as they are."""
    if not j["row"].duplicated().any():
        return j
    if order:
        j = j.sort_values(order, kind="stable", **sort)
    return j.drop_duplicates("row", keep="last")


def _any_at(n: int, k_idx: np.ndarray, mask) -> np.ndarray:
    """Per key position: any of its pairs is in ``mask``."""
    out = np.zeros(n, dtype=bool)
    out[k_idx[np.asarray(mask, dtype=bool)]] = True
    return out


def _any_by_row(frame: pd.DataFrame, mask, index) -> pd.Series:
    rows = frame.loc[np.asarray(mask, dtype=bool), "row"].unique()
    return pd.Series(np.isin(index, rows), index=index)


def _param(params: Parameters, name: str, dates: pd.Series):
    return params[name].constant_over(dates)


def _scalar_per_row(params: Parameters, name: str, dates: pd.Series) -> np.ndarray:
    return params[name].at_many(dates)


# --- the person -------------------------------------------------------------------------------------------------------


def person_facts(keys: pd.DataFrame, women_base: pd.Series | None, params: Parameters) -> pd.DataFrame:
    """Birth date, sex, age, retirement date and working age on the evaluation date."""
    return pd.DataFrame(_person(keys, women_base, params), index=keys["row"].to_numpy())


def _person(keys: pd.DataFrame, women_base: pd.Series | None, params: Parameters) -> dict[str, np.ndarray]:
    """The columns of :func:`person_facts`, as arrays (a household member needs only ``working_age``)."""
    birth, sex = birth_and_sex(keys)
    d = keys["eval_date"].to_numpy()
    age = age_on(birth, d)
    base = (
        pd.to_numeric(pd.Series(women_base).reset_index(drop=True), errors="coerce").to_numpy(dtype=float)
        if women_base is not None
        else np.full(len(keys), np.nan)
    )
    retirement = retirement_dates(birth, sex, base, d, params)
    under_age = age < _scalar_per_row(params, "rules.general.working_age_min", keys["eval_date"])
    retired = d.astype("datetime64[D]") >= retirement.astype("datetime64[D]")
    return {"birth_date": birth, "sex": sex, "age": age, "women_base_given": ~np.isnan(base), "women_base": base,
            "retirement_date": retirement, "under_age": under_age, "retired": retired,
            "working_age": ~under_age & ~retired & ~np.isnat(birth)}


_CHECK_VALUES = np.array([1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)  # idcard.CHECK_CHARS as code digits
_PROVINCES = np.array(sorted(int(k) for k in idcard.PROVINCE_CODES), dtype=np.int64)


def birth_and_sex(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Birth date and sex of each key as :func:`jykn_lib.idcard.parse_ids` gives them (NaT and None for a number that
    is not valid), read from the person codes; a key without a code (not a well-formed number) is parsed as text."""
    n = len(keys)
    codes = keys["_pid"].to_numpy(dtype=np.int64) if "_pid" in keys.columns else np.full(n, -1, dtype=np.int64)
    coded = codes >= 0
    body, check = np.divmod(np.where(coded, codes, 0), 11)
    weighted = np.zeros(n, dtype=np.int64)
    for i, w in enumerate(idcard.WEIGHTS):
        weighted += (body // 10 ** (16 - i)) % 10 * w
    ymd = (body // 1000) % 100_000_000
    births = pd.to_datetime(pd.DataFrame({"year": ymd // 10_000, "month": ymd // 100 % 100, "day": ymd % 100}),
                            errors="coerce").to_numpy(dtype="datetime64[ns]")
    with np.errstate(invalid="ignore"):
        good = (coded & np.isin(body // 10 ** 15, _PROVINCES) & ~np.isnat(births)
                & (births >= np.datetime64(idcard.EARLIEST_BIRTH)) & (_CHECK_VALUES[weighted % 11] == check))
    birth = np.where(good, births, np.datetime64("NaT")).astype("datetime64[ns]")
    sex = np.array(["女", "男", None], dtype=object)[np.where(good, body % 2, 2)]
    if not coded.all():
        rest = np.flatnonzero(~coded)
        parsed = idcard.parse_ids(keys["id_number"].iloc[rest].reset_index(drop=True))
        birth[rest] = parsed["birth_date"].to_numpy(dtype="datetime64[ns]")
        sex[rest] = parsed["sex"].to_numpy()
    return birth, sex


# --- 失业登记 ----------------------------------------------------------------------------------------------------------


def registration_facts(keys: pd.DataFrame, tables, params: Parameters, lean: bool = False) -> pd.DataFrame:
    """The current 失业登记 (latest with 失业登记日期 ≤ date) and whether it is valid on the date. ``lean``: only
    ``no_ability`` and ``not_willing`` (what a household member is checked for)."""
    cols = ["reg_date", "reg_status", "cancel_date", "name", "town", "village", "phone", "able", "willing"]
    if lean:
        cols = ["reg_date", "able", "willing"]
    t = _table(tables, "unemployment", ["id_number", *cols])
    j = _join(keys, t, cols, tables, with_id=False)
    j["reg_date"] = _dates(j["reg_date"])
    if not lean:
        j["cancel_date"] = _dates(j["cancel_date"])
    j = j[j["reg_date"] <= j["eval_date"]]
    j = _last_per_row(j, ["row", "reg_date", "_order"])
    out = pd.DataFrame(index=keys["row"].to_numpy())
    j = j.set_index("row")
    if lean:
        blank_yes = bool(_param(params, "rules.general.blank_ability_counts_as_yes", keys["eval_date"]))
        for c, name in (("able", "no_ability"), ("willing", "not_willing")):
            given = j[c].reindex(out.index).astype("boolean")
            out[name] = (given == False).fillna(not blank_yes).astype(bool)  # noqa: E712 (nullable boolean)
        return out
    out["reg_found"] = out.index.isin(j.index)
    j = j[cols].reindex(out.index)  # one row lookup for every column
    for c in cols:
        out["reg_" + c if not c.startswith("reg_") else c] = j[c]
    status = out["reg_status"].fillna("有效")
    cancel = out["reg_cancel_date"]
    d = pd.Series(keys["eval_date"].to_numpy(), index=out.index)
    out["reg_valid"] = out["reg_found"] & ((status == "有效") | ((status == "已注销") & cancel.notna() & (cancel > d)))
    out["reg_cancelled"] = out["reg_found"] & (status == "已注销") & (cancel.isna() | (cancel <= d))
    blank_yes = bool(_param(params, "rules.general.blank_ability_counts_as_yes", keys["eval_date"]))
    able = out["reg_able"].astype("boolean")
    willing = out["reg_willing"].astype("boolean")
    out["no_ability"] = (able == False).fillna(not blank_yes).astype(bool)  # noqa: E712 (nullable boolean)
    out["not_willing"] = (willing == False).fillna(not blank_yes).astype(bool)  # noqa: E712
    return out


# --- 户籍人口 ----------------------------------------------------------------------------------------------------------


def hukou_status_on(status: pd.Series, change_date: pd.Series, on: pd.Series) -> pd.Series:
    """户籍状态 on the date: a change dated after the date has not happened yet (the person was 正常)."""
    status = status.fillna("正常")
    later = _dates(change_date).notna() & (_dates(change_date) > on)
    return status.where(~later, "正常")


def hukou_facts(keys: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    cols = ["household_id", "area_type", "town", "village", "hukou_status", "change_date"]
    t = _table(tables, "hukou", ["id_number", *cols])
    j = _last_per_row(_join(keys, t, cols, tables, with_id=False)).set_index("row")
    out = pd.DataFrame(index=keys["row"].to_numpy())
    out["hukou_found"] = out.index.isin(j.index)
    j = j[cols].reindex(out.index)  # one row lookup for every column
    for c in cols:
        out["hukou_" + c if not c.startswith("hukou_") else c] = j[c]
    on = pd.Series(keys["eval_date"].to_numpy(), index=out.index)
    out["hukou_status_on"] = hukou_status_on(out["hukou_status"], out["hukou_change_date"], on).where(
        out["hukou_found"]
    )
    ok = _param(params, "rules.general.hukou_statuses_ok", keys["eval_date"])
    deceased = _param(params, "rules.exits.deceased_statuses", keys["eval_date"])
    prefix = str(_param(params, "rules.general.province_id_prefix", keys["eval_date"]))
    out["hukou_ok"] = out["hukou_found"] & out["hukou_status_on"].isin(ok)
    out["deceased"] = out["hukou_found"] & out["hukou_status_on"].isin(deceased)
    out["hukou_out"] = out["hukou_found"] & ~out["hukou_ok"] & ~out["deceased"]
    out["id_in_province"] = keys["id_number"].str.startswith(prefix).to_numpy()
    return out


# --- department lists -------------------------------------------------------------------------------------------------


def dibao_active(keys: pd.DataFrame, tables, params: Parameters) -> pd.Series:
    t = _table(tables, "dibao", ["id_number", "assistance_type", "start_date", "end_date"])
    j = _join(keys, t, ["assistance_type", "start_date", "end_date"], tables, with_id=False)
    types = _param(params, "rules.categories.c03.assistance_types", keys["eval_date"])
    start, end = _dates(j["start_date"]), _dates(j["end_date"])
    ok = j["assistance_type"].isin(types) & (start <= j["eval_date"]) & (end.isna() | (end >= j["eval_date"]))
    return _any_by_row(j, ok, keys["row"].to_numpy())


def basis_ended(keys: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    """Department lists that once gave a category and now show it ended (E11): 低保 listed but none in force on the
    date (``dibao_ended``, with the last 结束日期), 残疾人证 listed but none valid (``disability_cancelled``). A person
    absent from a list is not "ended": an absent or partial source never signals a loss."""
    index = keys["row"].to_numpy()
    out = pd.DataFrame(index=index)
    t = _table(tables, "dibao", ["id_number", "assistance_type", "start_date", "end_date"])
    j = _join(keys, t, ["assistance_type", "start_date", "end_date"], with_id=False)
    types = _param(params, "rules.categories.c03.assistance_types", keys["eval_date"])
    start, end = _dates(j["start_date"]), _dates(j["end_date"])
    began = j["assistance_type"].isin(types) & (start <= j["eval_date"])
    active = began & (end.isna() | (end >= j["eval_date"]))
    out["dibao_ended"] = _any_by_row(j, began, index) & ~_any_by_row(j, active, index)
    out["dibao_end_date"] = j.loc[began].assign(_end=end[began]).groupby("row")["_end"].max().reindex(index)
    t = _table(tables, "disability", ["id_number", "cert_status", "issue_date"])
    j = _join(keys, t, ["cert_status", "issue_date"], with_id=False)
    valid = _param(params, "rules.categories.c02.valid_cert_statuses", keys["eval_date"])
    issued = _dates(j["issue_date"])
    listed = issued.isna() | (issued <= j["eval_date"])
    ok = j["cert_status"].fillna(valid[0] if valid else "有效").isin(valid) & listed
    out["disability_cancelled"] = _any_by_row(j, listed, index) & ~_any_by_row(j, ok, index)
    return out


def disability_facts(keys: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    index = keys["row"].to_numpy()
    t = _table(tables, "disability", ["id_number", "cert_status", "issue_date"])
    j = _join(keys, t, ["cert_status", "issue_date"], tables, with_id=False)
    valid = _param(params, "rules.categories.c02.valid_cert_statuses", keys["eval_date"])
    issued = _dates(j["issue_date"])
    ok = j["cert_status"].fillna(valid[0] if valid else "有效").isin(valid) & (issued.isna() | (issued <= j["eval_date"]))
    out = pd.DataFrame(index=index)
    out["disability_cert"] = _any_by_row(j, ok, index)

    v = _table(tables, "veteran", ["id_number", "discharge_date", "disability_cert_no"])
    jv = _join(keys, v, ["discharge_date", "disability_cert_no"], tables, with_id=False)
    discharged = _dates(jv["discharge_date"]) <= jv["eval_date"]
    out["veteran"] = _any_by_row(jv, discharged, index)
    has_cert = jv["disability_cert_no"].astype("string").str.strip().fillna("").str.len() > 0
    out["veteran_disability_cert"] = _any_by_row(jv, discharged & has_cert, index)
    return out


def listed(keys: pd.DataFrame, tables, name: str) -> pd.Series:
    """In a plain list (原建档立卡)."""
    t = _table(tables, name, ["id_number"])
    return pd.Series(code_in(person_codes(keys, tables), t["_pid"].to_numpy(dtype=np.int64)),
                     index=keys["row"].to_numpy())


def landless_all(keys: pd.DataFrame, tables, params: Parameters) -> pd.Series:
    t = _table(tables, "landless", ["id_number", "expropriation_date", "all_land_lost"])
    j = _join(keys, t, ["expropriation_date", "all_land_lost"], tables, with_id=False)
    need_all = bool(_param(params, "rules.categories.c06.require_all_land_lost", keys["eval_date"]))
    lost = j["all_land_lost"].astype("boolean").fillna(False).astype(bool) if need_all else True
    when = _dates(j["expropriation_date"])
    return _any_by_row(j, lost & (when.isna() | (when <= j["eval_date"])), keys["row"].to_numpy())


def special_facts(keys: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    t = _table(tables, "special", ["id_number", "person_type", "date"])
    j = _join(keys, t, ["person_type", "date"], tables, with_id=False)
    mapping = _param(params, "rules.categories.special_person_types", keys["eval_date"])
    when = _dates(j["date"])
    dated_ok = when.isna() | (when <= j["eval_date"])
    out = pd.DataFrame(index=keys["row"].to_numpy())
    for code, person_type in mapping.items():
        out[f"special_{code}"] = _any_by_row(j, dated_ok & (j["person_type"] == person_type), out.index)
    return out


def pension_started(keys: pd.DataFrame, tables) -> pd.DataFrame:
    t = _table(tables, "pension", ["id_number", "start_date"])
    j = _join(keys, t, ["start_date"], tables, with_id=False)
    j["start_date"] = _dates(j["start_date"])
    j = j[j["start_date"] <= j["eval_date"]]
    first = j.groupby("row")["start_date"].min()
    out = pd.DataFrame(index=keys["row"].to_numpy())
    out["pension_start"] = first.reindex(out.index)
    out["pension_started"] = out["pension_start"].notna()
    return out


def _period_months(periods: np.ndarray) -> np.ndarray:
    """:func:`jykn_lib.dates.period_index` of a float array (no conversion)."""
    blank = np.isnan(periods)
    p = np.where(blank, 0, periods)
    if (p == np.floor(p)).all():  # whole months (always, from the reader): integer arithmetic, the same values
        q = p.astype(np.int64)
        return np.where(blank, -1, q // 100 * 12 + q % 100 - 1)
    return np.where(blank, -1, np.floor_divide(p, 100) * 12 + np.mod(p, 100) - 1).astype(np.int64)


def _span_text(first: pd.Series, last: pd.Series) -> pd.Series:
    """'202608' or '202608–202611' (费款所属期 from–to), vectorised; NaN where there is none."""
    a = first.astype("Int64").astype(str)
    b = last.astype("Int64").astype(str)
    return a.where(first == last, a + "–" + b).where(first.notna())


def _reachable(months: np.ndarray, typed: np.ndarray, key_month: np.ndarray, lookback: np.ndarray,
               reg_month: np.ndarray | None) -> np.ndarray:
    """Positions of the contribution rows of a tested type whose month lies between the earliest month any key looks
    at (its window start, or the month after its registration) and the latest evaluation month."""
    if len(key_month) == 0 or len(months) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = int((key_month - lookback).min())
    if reg_month is not None and (reg_month >= 0).any():
        lo = min(lo, int(reg_month[reg_month >= 0].min()) + 1)
    return np.flatnonzero(typed & (months >= lo) & (months <= int(key_month.max())))


# --- employment evidence ----------------------------------------------------------------------------------------------


def employment_facts(keys: pd.DataFrame, tables, params: Parameters, reg_month: pd.Series | None = None,
                     lean: bool = False) -> pd.DataFrame:
    """Strong evidence (单位 contributions in the window, an active entity role, the ledger's 就业状态) and weak hints.

    ``reg_month`` (month index of the current registration, aligned with ``keys``) enables the C07 check: a 单位
    contribution with a 费款所属期 after the registration month, up to the evaluation month. ``lean``: only
    ``employed`` (what a household member is checked for).
    """
    index = keys["row"].to_numpy()
    n = len(index)
    out = pd.DataFrame(index=index)
    dates = keys["eval_date"]
    lookback = _scalar_per_row(params, "rules.evidence.unit_contribution_lookback_months", dates)
    unit_types = _param(params, "rules.evidence.unit_contribution_types", dates)
    weak_types = _param(params, "rules.evidence.weak_contribution_types", dates)

    # 社保缴费 has a row per person and month: tested per table row, then per pair with the key's months (numpy)
    t = _table(tables, "contributions", ["id_number", "period", "contrib_type", "employer"])

    def period_months():
        values = pd.to_numeric(t["period"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        code, distinct = pd.factorize(values, use_na_sentinel=False)  # a few dozen months over millions of rows
        return values, _period_months(np.asarray(distinct, dtype=float))[code]

    all_periods, all_months = (tables.derived("contributions", "period", period_months) if isinstance(tables, Sources)
                               and tables.get("contributions") is not None else period_months())
    key_month = month_index(dates)
    all_unit = _in_values(tables, "contributions", t, "contrib_type", unit_types)
    all_weak = None if lean else _in_values(tables, "contributions", t, "contrib_type", weak_types)
    # only the rows some key's window (or C07 check) can reach are paired with the keys: a superset, tested exactly below
    rows = _reachable(all_months, all_unit if lean else all_unit | all_weak, key_month, np.asarray(lookback),
                      None if lean or reg_month is None else reg_month.to_numpy())
    k_idx, sub = _pairs_of(keys, t["_pid"].to_numpy(dtype=np.int64)[rows], tables)
    t_idx = rows[sub]
    periods, p = all_periods[t_idx], all_months[t_idx]
    eval_month = key_month[k_idx]
    in_window = (p <= eval_month) & (p >= eval_month - np.asarray(lookback)[k_idx])
    unit = all_unit[t_idx]
    unit_window = unit & in_window
    out["emp_unit"] = _any_at(n, k_idx, unit_window)
    if not lean:
        at = k_idx[unit_window]
        g = pd.Series(periods[unit_window]).groupby(at)
        first = pd.Series(g.min().reindex(range(n)).to_numpy(), index=index).astype("Int64")
        last = pd.Series(g.max().reindex(range(n)).to_numpy(), index=index).astype("Int64")
        out["emp_unit_periods"] = _span_text(first, last)
        # the employer of the latest such month (the last row of the file among equal months)
        named = unit_window.copy()
        named[named] = t["employer"].take(t_idx[named]).notna().to_numpy()
        rank = pd.Series(periods[named] * (len(t) + 1) + t_idx[named]).groupby(k_idx[named]).max()
        rows = (rank.to_numpy() % (len(t) + 1)).astype(np.int64)
        employer = t["employer"].take(rows).set_axis(index[rank.index.to_numpy()])
        out["emp_unit_employer"] = employer.reindex(index)
        weak = all_weak[t_idx]
        out["flex"] = _any_at(n, k_idx, weak & in_window)
        if reg_month is not None:
            rm = reg_month.to_numpy()[k_idx]
            out["unit_since_registration"] = _any_at(n, k_idx, unit & (p > rm) & (p <= eval_month) & (rm >= 0))

    roles = _param(params, "rules.evidence.employment_roles", dates)
    weak_roles = _param(params, "rules.evidence.weak_roles", dates)
    active = _param(params, "rules.evidence.active_entity_statuses", dates)
    m = _table(tables, "market", ["id_number", "entity_name", "role", "entity_status", "founded_date", "closed_date"])
    jm = _join(keys, m, ["entity_name", "role", "entity_status", "founded_date", "closed_date"], tables, with_id=False)
    founded, closed = _dates(jm["founded_date"]), _dates(jm["closed_date"])
    exists = (founded.isna() | (founded <= jm["eval_date"])) & (
        jm["entity_status"].isin(active) | (closed.notna() & (closed > jm["eval_date"]))
    )
    strong = exists & jm["role"].isin(roles)
    out["emp_market"] = _any_by_row(jm, strong, index)
    employed_statuses = _param(params, "rules.evidence.ledger_employed_statuses", dates)

    def ledger_employed(ledger: pd.DataFrame, k: pd.DataFrame) -> pd.Series:
        since = ledger["ledger_employment_date"]
        d = pd.Series(k["eval_date"].to_numpy(), index=since.index)
        return (ledger["recognised_on"] & ledger["ledger_employment_status"].isin(employed_statuses)
                & (since.isna() | (since <= d)))

    if lean:  # only a key with a ledger row can be employed by it
        in_ledger = code_in(person_codes(keys, tables), _table(tables, "ledger", ["id_number"])["_pid"].to_numpy())
        out["emp_ledger"] = _subset(keys, in_ledger, lambda k: ledger_employed(ledger_facts(k, tables, params), k))
        out["employed"] = out["emp_unit"] | out["emp_market"] | out["emp_ledger"]
        return out
    ledger = ledger_facts(keys, tables, params)
    out["emp_ledger"] = ledger_employed(ledger, keys)
    out["employed"] = out["emp_unit"] | out["emp_market"] | out["emp_ledger"]
    named = jm.loc[strong, ["row", "entity_name"]].sort_values(["row", "entity_name"])
    gm = named.groupby("row")["entity_name"]
    count = gm.nunique().reindex(index)
    out["emp_market_entities"] = gm.first().reindex(index).astype(object).where(
        count.isna() | (count <= 1), gm.first().reindex(index).astype(str) + " 等" + count.astype("Int64").astype(str) + "个主体"
    )
    out["shareholder"] = _any_by_row(jm, exists & jm["role"].isin(weak_roles), index) & ~out["emp_market"]
    # the columns in the order they always had
    order = ["emp_unit", "emp_unit_periods", "emp_unit_employer", "flex", "unit_since_registration", "emp_market",
             "emp_market_entities", "shareholder", "emp_ledger", "employed"]
    return out[[c for c in order if c in out.columns]].join(ledger)


def ledger_facts(keys: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    """The ledger row: recognised on the date (有效), exited before it, categories, base, 就业状态."""
    cols = ["status", "recognised_date", "exit_date", "exit_reason", "categories", "employment_status",
            "employment_date", "women_base", "town"]
    t = _table(tables, "ledger", ["id_number", *cols])
    # one row per recognition: the latest recognition made by the date (its 有效 row first), else the earliest later one
    j = _join(keys, t, cols, tables, with_id=False)
    j["_rec"] = _dates(j["recognised_date"])
    j["_made"] = (j["_rec"] <= j["eval_date"]).astype(int)
    j["_active"] = (j["status"] == "有效").fillna(False).astype(int)
    j = _last_per_row(j, ["row", "_made", "_rec", "_active", "_order"], na_position="first").set_index("row")
    index = keys["row"].to_numpy()
    out = pd.DataFrame(index=index)
    d = pd.Series(keys["eval_date"].to_numpy(), index=index)
    for c in ("recognised_date", "exit_date", "employment_date"):
        j[c] = _dates(j[c])
    j["women_base"] = pd.to_numeric(j["women_base"], errors="coerce")
    found = pd.Series(index, index=index).isin(j.index)
    j = j[cols].reindex(index)  # one row lookup for every column
    rec, ext, status = j["recognised_date"], j["exit_date"], j["status"]
    out["ledger_found"] = found
    out["recognised_on"] = (rec <= d) & ((status == "有效") | ((status == "已退出") & ext.notna() & (ext > d)))
    out["exited_before"] = (rec <= d) & (status == "已退出") & (ext.isna() | (ext <= d))
    out["ledger_recognised_date"] = rec
    out["ledger_exit_date"] = ext
    out["ledger_exit_reason"] = j["exit_reason"]
    out["ledger_categories"] = j["categories"]
    out["ledger_employment_status"] = j["employment_status"]
    out["ledger_employment_date"] = j["employment_date"]
    out["ledger_women_base"] = j["women_base"]
    out["ledger_town"] = j["town"]
    return out


# --- households -------------------------------------------------------------------------------------------------------


def household_facts(keys: pd.DataFrame, person_hukou: pd.DataFrame, tables, params: Parameters,
                    employed: pd.Series | None = None) -> pd.DataFrame:
    """Household size and whether a checked member (or another member) has employment evidence, per docs/rules.md §0.
    ``employed``: the keys' own ``employed`` fact, if known (an asked person's is then not computed again)."""
    index = keys["row"].to_numpy()
    n_keys = len(index)
    cols = {"household_size": np.zeros(n_keys, dtype=np.int64),
            **{name: np.zeros(n_keys, dtype=bool) for name in ("household_checked_employed", "household_other_employed",
                                                               "household_poverty", "household_member")}}
    area_type, unknown_area = None, np.zeros(n_keys, dtype=bool)

    def frame() -> pd.DataFrame:  # the columns filled in numpy, then the frame at once
        out = pd.DataFrame(cols, index=index)
        own = person_hukou["hukou_area_type"]
        # text (some of it given) stays text: the households' values put in place in Arrow, no Python string per row
        if area_type is not None and own.dtype == _TEXT and own.notna().any():
            values = pa.array(area_type, type=pa.large_string(), from_pandas=True)
            positions = np.arange(n_keys, dtype=np.int64)
            positions[asked_pos] = n_keys + np.arange(len(asked_pos))
            both = pa.concat_arrays([own.array._pa_array.combine_chunks().cast(pa.large_string()), values])
            out["household_area_type"] = pd.array(both.take(pa.array(positions)), dtype=_TEXT)
        else:
            out["household_area_type"] = own.to_numpy()
            if area_type is not None:
                out.iloc[asked_pos, out.columns.get_loc("household_area_type")] = area_type
        out["household_area_unknown"] = unknown_area
        return out

    hh = person_hukou["hukou_household_id"]
    have = hh.notna().to_numpy()
    if not have.any():
        return frame()
    member_statuses = _param(params, "rules.categories.household_member_statuses", keys["eval_date"])
    t = _table(tables, "hukou", ["id_number", "household_id", "hukou_status", "change_date", "area_type", "relation"])
    if "_hid" not in t.columns:
        t = t.assign(_hid=_factorize(t["household_id"]))
    hid = t["_hid"].to_numpy()
    # the asked person's household code: from their own 户籍人口 row
    asked_pos = np.flatnonzero(have)
    self_pid = person_codes(keys, tables)[have]
    self_rows = pd.Index(t["_pid"].to_numpy()).get_indexer(self_pid)
    asked_hid = np.where(self_rows >= 0, hid[np.maximum(self_rows, 0)], -1)
    member_rows = np.flatnonzero(code_in(hid, asked_hid))
    members = t.take(member_rows)[["_hid", "household_id", "area_type", "relation"]]
    area, unknown = household_area(members, params, keys["eval_date"], by="_hid")
    area_type = pd.Series(asked_hid).map(area).to_numpy()
    unknown_area[asked_pos] = np.isin(asked_hid, list(unknown))
    # every (asked person, member) pair: the members of a household are its rows, in file order
    m_order = member_rows[np.argsort(hid[member_rows], kind="stable")]
    m_hid = hid[m_order]
    a_order = np.argsort(asked_hid, kind="stable")
    lo = np.searchsorted(m_hid, asked_hid[a_order], "left")
    cnt = np.searchsorted(m_hid, asked_hid[a_order], "right") - lo
    pair_a = np.repeat(a_order, cnt)  # position among the asked
    pair_t = m_order[np.repeat(lo, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)]
    on = keys["eval_date"].to_numpy()[asked_pos][pair_a]
    # 户籍状态 on the date (hukou_status_on): a change after the date has not happened yet (正常)
    status_in = t["hukou_status"].fillna("正常").isin(member_statuses).to_numpy(dtype=bool)[pair_t]
    change = _dates(t["change_date"]).to_numpy(dtype="datetime64[ns]")[pair_t]
    with np.errstate(invalid="ignore"):
        later = ~np.isnat(change) & (change > on)
    keep = np.where(later, "正常" in list(member_statuses), status_in)
    pair_a, pair_t, on = pair_a[keep], pair_t[keep], on[keep]
    if len(pair_a) == 0:
        return frame()
    # the facts of each member on each evaluation date asked: once per (member, date)
    m_pid = t["_pid"].to_numpy()[pair_t]
    pid_code, pids = pd.factorize(m_pid)
    date_code, dates_seen = pd.factorize(on)
    if len(dates_seen) == 1:  # one date (a screening): the members are the (member, date) pairs, in the same order
        ucodes, n_unique = pid_code, len(pids)
    else:
        ucodes, uniq = pd.factorize(pid_code * len(dates_seen) + date_code)
        n_unique = len(uniq)
    first = np.zeros(n_unique, dtype=np.int64)
    first[ucodes[::-1]] = np.arange(len(ucodes))[::-1]  # the first pair of each (member, date)
    member_ids = t["id_number"].take(pair_t[first])
    mkeys = pd.DataFrame({"row": np.arange(n_unique),
                          "id_number": member_ids.array if member_ids.dtype == _TEXT else member_ids.to_numpy(),
                          "eval_date": on[first], "_pid": m_pid[first]})
    is_self = m_pid == self_pid[pair_a]
    # only a member with some employment evidence can be employed, and only an employed member's checks matter;
    # an asked person's own employment on their date is known already when ``employed`` is given
    known = np.zeros(n_unique, dtype=bool)
    if employed is not None:
        own = np.flatnonzero(is_self)
        known[ucodes[own]] = True
        own_employed = np.zeros(n_unique, dtype=bool)
        own_employed[ucodes[own]] = np.asarray(employed, dtype=bool)[asked_pos[pair_a[own]]]
    lean = _subset(mkeys, _evidence_listed(mkeys, tables) & ~known,
                   lambda k: employment_facts(k, tables, params, lean=True)["employed"])
    employed = lean | own_employed if employed is not None else lean

    def checked_member(k: pd.DataFrame) -> pd.Series:  # of working age, able and willing (docs/rules.md §0)
        reg = registration_facts(k, tables, params, lean=True)
        return _person(k, None, params)["working_age"] & ~reg["no_ability"].to_numpy() & ~reg["not_willing"].to_numpy()

    checked = _subset(mkeys, employed, checked_member)
    checked, employed = checked[ucodes], employed[ucodes]
    poverty = listed(mkeys, tables, "poverty").to_numpy()[ucodes]
    n = len(asked_pos)
    found = {"household_size": np.bincount(pair_a, minlength=n),
             "household_checked_employed": _any_at(n, pair_a, checked & employed),
             "household_other_employed": _any_at(n, pair_a, ~is_self & employed),
             "household_poverty": _any_at(n, pair_a, poverty), "household_member": _any_at(n, pair_a, is_self)}
    for name, values in found.items():
        cols[name][asked_pos] = values
    return frame()


def _subset(keys: pd.DataFrame, mask: np.ndarray, fact) -> np.ndarray:
    """A boolean fact of the keys in ``mask`` (False for the others), computed on those keys only."""
    out = np.zeros(len(keys), dtype=bool)
    if mask.any():
        out[mask] = np.asarray(fact(keys[mask]), dtype=bool)
    return out


EVIDENCE_SOURCES = ("contributions", "market", "ledger")  # the sources employment_facts finds employment in


def _evidence_listed(keys: pd.DataFrame, tables) -> np.ndarray:
    """Keys with a row in a source of employment evidence (the others are not employed, whatever the date)."""
    kc = person_codes(keys, tables)
    people = pd.Index(pd.unique(kc))
    seen = np.zeros(len(people), dtype=bool)
    for name in EVIDENCE_SOURCES:  # the long tables are looked up in the keys, not the other way round
        t = _table(tables, name, ["id_number"])
        codes = t["_pid"].to_numpy()
        starts = _run_starts(codes)  # who is listed, not which rows: one code per run of equal codes is enough
        at = people.get_indexer(codes if starts is None else codes[starts])
        seen[at[at >= 0]] = True
    return seen[people.get_indexer(kc)]


def household_area(members: pd.DataFrame, params: Parameters, dates: pd.Series, by: str = "household_id"
                   ) -> tuple[pd.Series, set]:
    """城乡属性 of each 户号: the one all rows share; when rows disagree, the 户主's row (与户主关系 in
    ``rules.categories.household_head_relations``); with no such row the household's area is unknown (returned apart)."""
    heads = _param(params, "rules.categories.household_head_relations", dates)
    g = members.groupby(by, sort=False)["area_type"]
    n_area = g.nunique()
    area = g.first()
    mixed = n_area[n_area > 1].index
    if len(mixed):
        sub = members[members[by].isin(mixed)]
        head_area = sub[sub["relation"].isin(heads)].groupby(by)["area_type"].first()
        area.loc[mixed] = head_area.reindex(mixed).to_numpy()
    unknown = set(area[area.isna()].index) & set(mixed)
    return area, unknown


# --- services ---------------------------------------------------------------------------------------------------------


def service_facts(keys: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    """Refusals in the rolling window (E4) and the last contact (E10)."""
    index = keys["row"].to_numpy()
    dates = keys["eval_date"]
    t = _table(tables, "services", ["id_number", "service_date", "method", "result"])
    j = _join(keys, t, ["service_date", "method", "result"], tables, with_id=False)
    j["service_date"] = _dates(j["service_date"])
    j = j[j["service_date"] <= j["eval_date"]]
    window = _scalar_per_row(params, "rules.exits.e4_refusal_window_months", dates)
    k = pd.DataFrame({"row": index, "_start": add_months(dates, -window.astype(np.int64))})
    rows = pd.Index(index)
    if rows.is_unique:  # each pair's window start looked up by position (what the merge gives, without one)
        j = j.reset_index(drop=True)
        j["_start"] = k["_start"].to_numpy()[rows.get_indexer(j["row"].to_numpy())]
    else:
        j = j.merge(k, on="row", how="left")
    refusals = _param(params, "rules.exits.refusal_results", dates)
    contacts = _param(params, "rules.exits.contact_results", dates)
    self_methods = _param(params, "rules.exits.self_contact_methods", dates)
    ref = j[j["result"].isin(refusals) & (j["service_date"] >= j["_start"])]
    out = pd.DataFrame(index=index)
    out["refusals_in_window"] = ref.groupby("row").size().reindex(index).fillna(0).astype(int)
    con = j[j["result"].isin(contacts) | j["method"].isin(self_methods)]
    out["last_contact"] = con.groupby("row")["service_date"].max().reindex(index)
    return out
