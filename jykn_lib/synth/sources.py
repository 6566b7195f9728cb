"""One builder per source of the data contract: the world's facts as a table with the contract's fields.

Each builder returns a DataFrame whose columns are the contract's ``field`` names in contract order, plus ``_pid``
(the person, -1 if none) and ``_grp`` (plain / bu / member / named / filler), sorted the way an export would be.
Dates are ``datetime.date`` (or None), identity numbers text. 社保缴费 is built per range of months
(:func:`contributions`) because it is by far the largest source.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from ..contract import load_contract
from .config import rng_for
from .population import World, ym_text

DISABILITY_TYPES = {1: "视力残疾", 2: "听力残疾", 3: "言语残疾", 4: "肢体残疾", 5: "智力残疾", 6: "精神残疾", 7: "多重残疾"}
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
INSURANCE = "企业职工基本养老保险"


def fields(source: str) -> list[str]:
    return load_contract()[source].fields


def obj(values, index=None) -> pd.Series:
    """A text column kept as Python objects (no Arrow string conversion, no copies of the strings)."""
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object)


def _blank(v) -> bool:
    return v is None or (not isinstance(v, (str, tuple, list)) and pd.isna(v))


def _dates(values) -> np.ndarray:
    """Anything date-like to an object array of datetime.date / None."""
    s = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
    out = np.empty(len(s), dtype=object)
    ok = s.notna().to_numpy()
    out[ok] = [t.date() for t in s[ok]]
    out[~ok] = None
    return out


def _finish(source: str, df: pd.DataFrame, sort: list[str] | None) -> pd.DataFrame:
    if sort:
        df = df.sort_values(sort, kind="stable")
    cols = fields(source)
    for c in cols:
        if c not in df:
            df[c] = None
    return df[cols + ["_pid", "_grp"]].reset_index(drop=True)


class Builders:
    def __init__(self, world: World):
        self.w = world
        people = world.people()
        self.ids = people["id_number"].to_numpy(dtype=object)
        self.sex = people["sex"].to_numpy(dtype=object)
        rng = rng_for(world.s.seed, "names")
        self.names = world.pools.names(rng, self.sex == "男")
        self.phones = world.pools.phones(rng_for(world.s.seed, "phones"), len(people))
        self.people = people
        hh = world.hh.frame()
        self.hh = hh
        self.town_order = {t.name: i for i, t in enumerate(world.towns)}
        self.rng = rng_for(world.s.seed, "sources")

    def _person_cols(self, df: pd.DataFrame) -> pd.DataFrame:
        pid = df["pid"].to_numpy(dtype=np.int64)
        df = df.copy()
        df["_pid"] = pid
        df["id_number"] = obj(self.ids[pid], df.index)
        df["name"] = obj(self.names[pid], df.index)
        df["_grp"] = obj(df["group"].to_numpy(dtype=object), df.index) if "group" in df else "plain"
        return df

    def unemployment(self) -> pd.DataFrame:
        df = self._person_cols(self.w.unemp.frame())
        df["reg_date"] = _dates(df["reg_date"])
        df["cancel_date"] = _dates(df["cancel_date"])
        df["reg_status"] = df["status"]
        df["phone"] = self.phones[df["_pid"].to_numpy()]
        df["seq"] = pd.to_numeric(df["seq"], errors="coerce").fillna(0)
        df["_d"] = pd.to_datetime(df["reg_date"])
        out = _finish("unemployment", df, ["_d", "id_number", "seq"])
        out["_tag"] = df.sort_values(["_d", "id_number", "seq"], kind="stable")["tag"].to_numpy()
        return out

    def hukou(self) -> pd.DataFrame:
        p = self.people
        p = p[p["in_hukou"].astype(bool)].copy()
        p["pid"] = p.index.to_numpy()
        p["_seq"] = 0
        extra = pd.DataFrame(self.w.extra_hukou)
        if len(extra):
            rows = p.loc[extra["pid"].to_numpy()].copy()
            rows["status"] = extra["status"].to_numpy()
            rows["change_date"] = extra["change_date"].to_numpy()
            rows["_seq"] = np.where(extra["before"].to_numpy(dtype=bool), -1, 1)
            p = pd.concat([p, rows], ignore_index=True)
        hid = p["hid"].to_numpy(dtype=np.int64)
        df = self._person_cols(p)
        for field, col in (("household_id", "hh_no"), ("area_type", "area"), ("town", "town"), ("village", "village")):
            df[field] = obj(self.hh[col].to_numpy(dtype=object)[hid], df.index)
        df["hukou_status"] = df["status"]
        df["change_date"] = _dates(df["change_date"])
        df["_t"] = df["town"].map(self.town_order)
        # the household head first within a household
        df["_h"] = (df["relation"] != "户主").astype(int)
        return _finish("hukou", df, ["_t", "household_id", "_h", "_pid", "_seq"])

    def dibao(self) -> pd.DataFrame:
        df = self._person_cols(self.w.dibao.frame())
        df["assistance_type"] = df["type"]
        df["start_date"] = _dates(df["start"])
        df["end_date"] = _dates(df["end"])
        return _finish("dibao", df, ["id_number"])

    def disability(self) -> pd.DataFrame:
        df = self._person_cols(self.w.disability.frame())
        t = df["dtype"].astype(int).to_numpy()
        g = df["grade"].astype(int).to_numpy()
        df["cert_no"] = [f"{i}{a}{b}" for i, a, b in zip(df["id_number"], t, g)]
        df["disability_type"] = [DISABILITY_TYPES[x] for x in t]
        df["disability_grade"] = [GRADES[x] for x in g]
        df["issue_date"] = _dates(df["issue"])
        df["cert_status"] = df["status"]
        return _finish("disability", df, ["id_number"])

    def veteran(self) -> pd.DataFrame:
        df = self._person_cols(self.w.veteran.frame())
        df["discharge_date"] = _dates(df["discharge"])
        df["disability_cert_no"] = df["cert"]
        df["disability_grade"] = df["grade"]
        return _finish("veteran", df, ["id_number"])

    def poverty(self) -> pd.DataFrame:
        return _finish("poverty", self._person_cols(self.w.poverty.frame()), ["id_number"])

    def landless(self) -> pd.DataFrame:
        df = self._person_cols(self.w.landless.frame())
        df["expropriation_date"] = _dates(df["date"])
        df["all_land_lost"] = df["all_lost"]
        return _finish("landless", df, ["id_number"])

    def special(self) -> pd.DataFrame:
        df = self._person_cols(self.w.special.frame())
        df["person_type"] = df["type"]
        df["date"] = _dates(df["date"])
        return _finish("special", df, ["id_number"])

    def pension(self) -> pd.DataFrame:
        df = self._person_cols(self.w.pension.frame())
        df["start_date"] = _dates(df["start"])
        return _finish("pension", df, ["id_number"])

    def market(self) -> pd.DataFrame:
        f = self.w.market.frame()
        entity = f["name"].to_numpy(dtype=object)
        df = self._person_cols(f)
        df["entity_name"] = entity
        df["entity_status"] = df["status"]
        df["entity_type"] = df["etype"]
        df["credit_code"] = df["credit"]
        df["founded_date"] = _dates(df["founded"])
        df["closed_date"] = _dates(df["closed"])
        return _finish("market", df, ["id_number"])

    def ledger(self) -> pd.DataFrame:
        w, rng = self.w, self.rng
        df = self._person_cols(w.ledger.frame())
        names = w.r.category_names
        texts = []
        for cats in df["cats"]:
            if rng.random() < 0.6:
                texts.append("、".join(f"{c} {names[c]}" for c in cats))
            else:
                texts.append("、".join(cats))
        df["categories"] = texts
        df["recognised_date"] = _dates(df["recognised"])
        df["exit_date"] = _dates(df["exit_date"])
        df["exit_reason"] = [None if _blank(r) else (f"{r} {w.r.exit_names[r]}" if rng.random() < 0.5 else r)
                             for r in df["exit_reason"]]
        df["employment_status"] = df["emp_status"]
        df["employment_date"] = _dates(df["emp_date"])
        df["income_change"] = df["income"]
        df["women_base"] = df["base"]
        df["phone"] = self.phones[df["_pid"].to_numpy()]
        df["employment_status_date"] = _dates(df["status_date"])
        df["policies_claimed"] = [None if _blank(p) or not p else "、".join(p) for p in df["policies"]]
        df["_t"] = df["town"].map(self.town_order)
        df["_d"] = pd.to_datetime(df["recognised_date"])
        return _finish("ledger", df, ["_t", "_d", "id_number"])

    def services(self) -> pd.DataFrame:
        df = self._person_cols(self.w.services.frame())
        df["service_date"] = _dates(df["date"])
        df["service_type"] = df["stype"]
        df["_d"] = pd.to_datetime(df["service_date"])
        return _finish("services", df, ["_d", "id_number"])

    def posts(self) -> pd.DataFrame:
        df = self.w.posts.frame().copy()
        holder = df["holder"].to_numpy(dtype=object)
        has = np.array([h is not None and not (isinstance(h, float) and np.isnan(h)) for h in holder])
        df["_pid"] = np.where(has, [int(h) if ok else -1 for h, ok in zip(holder, has)], -1)
        df["holder_id"] = [self.ids[int(h)] if ok else None for h, ok in zip(holder, has)]
        df["post_category"] = df["category"]
        df["created_date"] = _dates(df["created"])
        df["post_name"] = df["name"]
        df["start_date"] = _dates(df["start"])
        df["leave_date"] = _dates(df["leave"])
        df["report_date"] = _dates(df["town"].map(self.w.post_reports))
        df["_grp"] = df["group"]
        return _finish("posts", df, ["post_id"])

    def applications(self) -> pd.DataFrame:
        w, rng = self.w, self.rng
        df = self._person_cols(w.applications.frame())
        df["application_id"] = df["app_id"]
        df["apply_date"] = _dates(df["date"])
        df["categories"] = ["、".join(c) if rng.random() < 0.5 else "、".join(
            f"{x} {w.r.category_names[x]}" for x in c) for c in df["cats"]]
        df["materials"] = [None if _blank(m) or not m else "、".join(m) for m in df["materials"]]
        df["phone"] = self.phones[df["_pid"].to_numpy()]
        df["women_base"] = df["base"]
        df["accept_date"] = _dates(df["accept"])
        return _finish("applications", df, ["application_id"])

    # -- 社保缴费 ----------------------------------------------------------------------------------------------
    def contribution_months(self) -> np.ndarray:
        """Rows per month index (for planning the split), from the spells."""
        sp = self.w.spells.frame()
        start = sp["start"].to_numpy(dtype=np.int64)
        end = sp["end"].to_numpy(dtype=np.int64)
        lo, hi = int(start.min()), int(end.max())
        diff = np.zeros(hi - lo + 2, dtype=np.int64)
        np.add.at(diff, start - lo, 1)
        np.add.at(diff, end - lo + 1, -1)
        counts = np.cumsum(diff)[:-1]
        return np.arange(lo, hi + 1), counts

    def contributions(self, m_lo: int, m_hi: int) -> pd.DataFrame:
        """Monthly rows of every spell overlapping months [m_lo, m_hi], sorted by period then identity number."""
        if getattr(self, "_spells", None) is None:
            self._spells = self.w.spells.frame()
        sp = self._spells
        start = np.maximum(sp["start"].to_numpy(dtype=np.int64), m_lo)
        end = np.minimum(sp["end"].to_numpy(dtype=np.int64), m_hi)
        keep = start <= end
        sp = sp[keep]
        start, end = start[keep], end[keep]
        n = end - start + 1
        rep = np.repeat(np.arange(len(sp)), n)
        offs = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        month = start[rep] + offs
        pid = sp["pid"].to_numpy(dtype=np.int64)[rep]
        periods = np.array([ym_text(m) for m in range(m_lo, m_hi + 1)], dtype=object)
        df = pd.DataFrame({
            "id_number": obj(self.ids[pid]),
            "period": obj(periods[month - m_lo]),
            "contrib_type": obj(sp["ctype"].to_numpy(dtype=object)[rep]),
            "insurance": obj(np.full(len(pid), INSURANCE, dtype=object)),
            "employer": obj(sp["employer"].to_numpy(dtype=object)[rep]),
            "_pid": pid,
            "_grp": obj(sp["group"].to_numpy(dtype=object)[rep]),
            "_m": month,
        })
        if getattr(self, "_id_rank", None) is None:  # sort by identity number through an integer rank (fast)
            self._id_rank = np.empty(len(self.ids), dtype=np.int64)
            self._id_rank[np.argsort(self.ids.astype(str), kind="stable")] = np.arange(len(self.ids))
        order = np.lexsort((self._id_rank[pid], month))
        df = df.iloc[order]
        return df[fields("contributions") + ["_pid", "_grp"]].reset_index(drop=True)

