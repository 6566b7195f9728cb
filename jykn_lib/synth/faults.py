"""Planted faults, as real exports have them, each recorded with its file, sheet, Excel row, column, value and what
the reader should conclude.

Rejecting faults (wrong check digit, numbers) sit only on rows of ordinary residents ("plain") and on extra
失业登记 rows of filler people, so they never change a labelled outcome. Recoverable faults (full-width digits, a
lower-case x, text dates) may sit on anyone, and are forced onto a few named cases. Each row carries at most one fault.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .. import idcard
from ..contract import load_contract
from .config import rng_for
from .population import World, mangled_passes_check, numeric_mangle
from .writers import FileSpec, NumberCell

KINDS = ["id_check_digit", "id_numeric", "id_numeric_check_ok", "id_fullwidth", "id_lowercase_x",
         "duplicate_identical", "duplicate_conflict", "blank_row", "text_date", "header_synonym", "title_row"]
RATES = {"id_check_digit": 0.0015, "id_numeric": 0.0012, "id_numeric_check_ok": 0.0006, "id_fullwidth": 0.0015,
         "id_lowercase_x": 0.0015, "duplicate_identical": 0.0015, "duplicate_conflict": 0.001, "blank_row": 0.001,
         "text_date": 0.0005}  # per resident; text_date per style
MIN_COUNT = 10
TEXT_STYLES = ("iso", "slash", "dot", "cn", "compact")
# share of each rejecting kind planted as extra 失业登记 rows of filler people (the rest on other sources' rows)
UNEMP_SHARE = {"id_check_digit": 0.4, "id_numeric": 0.5, "id_numeric_check_ok": 0.5}
REJECT_SOURCES = ["hukou", "dibao", "disability", "veteran", "landless", "special", "pension", "market",
                  "contributions", "poverty"]
RECOVER_SOURCES = ["unemployment", "hukou", "dibao", "disability", "veteran", "landless", "special", "pension",
                   "market", "contributions", "ledger", "services", "applications", "poverty"]
CONFLICT_SOURCES = ["hukou", "disability", "veteran", "poverty", "landless", "pension"]
# cell faults forced on named cases only (jykn_lib/synth/ledger_cases.py): kind → (rule, action)
CELL_KINDS = {"required_blank": ("REQUIRED_MISSING", "rejected"), "enum_invalid": ("ENUM_INVALID", "rejected"),
              "error_cell": ("CELL_ERROR", "blank"), "phone_malformed": ("PHONE_SUSPICIOUS", "used"), "phone_blank": (None, "used")}
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def fault_count(kind: str, people: int) -> int:
    return max(MIN_COUNT, int(round(RATES[kind] * people)))


def text_date(day: dt.date, style: str) -> str:
    return {"iso": f"{day:%Y-%m-%d}", "slash": f"{day.year}/{day.month}/{day.day}",
            "dot": f"{day.year}.{day.month}.{day.day}", "cn": f"{day.year}年{day.month}月{day.day}日",
            "compact": f"{day:%Y%m%d}"}[style]


def add_fillers(world: World) -> None:
    """Extra 失业登记 rows of ordinary residents whose identity number will be mangled: the row is rejected, so the
    person is simply not screened (labelled so)."""
    rng = rng_for(world.s.seed, "fillers")
    info = world.plain_info
    ids = world.ids()
    ok = (info["status"].to_numpy() == "正常") & (info["age"].to_numpy() >= 20) & (info["age"].to_numpy() <= 45)
    pids = info["pid"].to_numpy()[ok]
    pids = pids[rng.permutation(len(pids))]
    all_ids = set(ids.tolist())
    hh = world.hh.frame()
    people = world.people()
    used = 0
    for kind, share in UNEMP_SHARE.items():
        need = math.ceil(share * fault_count(kind, world.s.people))
        while need > 0 and used < len(pids):
            pid = int(pids[used])
            used += 1
            number = ids[pid]
            if kind != "id_check_digit":
                if number.endswith("X") or numeric_mangle(number) in all_ids:
                    continue
                if mangled_passes_check(number) != (kind == "id_numeric_check_ok"):
                    continue
            hid = int(people["hid"].iat[pid])
            town, village = hh["town"].iat[hid], hh["village"].iat[hid]
            world.unemp.add(pid=pid, reg_date=world.days_before(int(rng.integers(20, 300))), status="有效",
                            cancel_date=None, town=town, village=village, willing="是", able="有", group="filler",
                            seq=0, tag=kind)
            world.screening[pid] = {"town": town, "outcome": "not_screened", "categories": [], "reasons": [],
                                    "hints": [], "note": f"唯一一条失业登记的身份证号无法使用（{kind}）"}
            need -= 1


def resolve_chosen(source: str, rows: list[dict]) -> int:
    """Index (in file order) of the row the contract's ``resolve`` rule picks among conflicting rows."""
    src = load_contract()[source]
    entries = src.resolve

    def comparable(field: str, value):
        col = src.column(field)
        if col.type == "bool":
            return 1 if value == col.true else 0
        if isinstance(value, dt.date):
            return value.toordinal()
        return value

    def key(row):
        k = []
        for e in entries:
            if "=" in e:
                f, v = e.split("=", 1)
                k.append((1 if str(row.get(f)) == v else 0, 0))
                continue
            desc = e.startswith("-")
            f = e.lstrip("-")
            val = row.get(f)
            if val is None or (isinstance(val, float) and math.isnan(val)) or val == "":
                k.append((0, 0))
            else:
                x = comparable(f, val)
                k.append((1, -x if desc else x))
        return tuple(k)

    order = sorted(range(len(rows)), key=lambda i: key(rows[i]))
    return order[-1]


class RowView:
    """Read access to one row of a file for eligibility tests."""

    def __init__(self, faults: Faults, spec: FileSpec, i: int):
        self.f, self.spec, self.i = faults, spec, i

    def __getitem__(self, name: str):
        return self.f.col(self.spec, name)[self.i]


class Faults:
    def __init__(self, world: World, specs: dict[str, list[FileSpec]]):
        self.w = world
        self.specs = specs
        self.rng = rng_for(world.s.seed, "faults")
        self.records: list[dict] = []
        self.locked: set[int] = set()
        self.uid = 0
        for source in specs:
            for spec in specs[source]:
                n = len(spec.data)
                spec.data["_uid"] = np.arange(self.uid, self.uid + n)
                self.uid += n
        self.all_ids = set(world.ids().tolist())
        self._cols: dict = {}

    # -- helpers ------------------------------------------------------------------------------------------------
    def id_field(self, spec: FileSpec) -> str:
        return "holder_id" if spec.source == "posts" else "id_number"

    def new_uid(self) -> int:
        self.uid += 1
        return self.uid - 1

    def record(self, kind, spec: FileSpec, uid, column, value, rule, action, **extra) -> dict:
        rec = {"kind": kind, "source": spec.title_cn, "file": spec.name, "sheet": spec.sheet, "_spec": spec,
               "_uid": uid, "column": column, "value": "" if value is None else str(value),
               "expect": {"rule": rule, "action": action}, **extra}
        self.records.append(rec)
        return rec

    def col(self, spec: FileSpec, name: str) -> np.ndarray:
        """A column as a numpy array, cached (only read for rows not yet changed: changed rows are locked)."""
        key = (id(spec), name)
        arr = self._cols.get(key)
        if arr is None:
            arr = spec.data[name].to_numpy()
            self._cols[key] = arr
        return arr

    def pick(self, sources, groups, pred=None, fmt=None, tries=4000):
        """A random unlocked row (spec, position) of one of ``sources`` whose group is in ``groups``."""
        by_source: dict[str, list[FileSpec]] = {}
        for src in sources:
            for s in self.specs.get(src, []):
                if (fmt is None or s.fmt == fmt) and len(s.data):
                    by_source.setdefault(src, []).append(s)
        if not by_source:
            return None
        names = sorted(by_source)
        for _ in range(tries):
            specs = by_source[names[int(self.rng.integers(0, len(names)))]]
            sizes = np.array([len(s.data) for s in specs], dtype=float)
            spec = specs[int(self.rng.choice(len(specs), p=sizes / sizes.sum()))]
            i = int(self.rng.integers(0, len(spec.data)))
            if self.col(spec, "_grp")[i] not in groups:
                continue
            uid = int(self.col(spec, "_uid")[i])
            if uid in self.locked:
                continue
            if pred is not None and not pred(spec, RowView(self, spec, i)):
                continue
            self.locked.add(uid)
            return spec, i
        return None

    def set_cell(self, spec: FileSpec, i: int, field: str, value) -> None:
        spec.data.iat[i, spec.data.columns.get_loc(field)] = value

    def rows_of(self, source: str, pid: int) -> list[tuple[FileSpec, int]]:
        out = []
        for spec in self.specs[source]:
            pos = np.flatnonzero(spec.data["_pid"].to_numpy() == pid)
            out += [(spec, int(i)) for i in pos]
        return out

    # -- identity number faults ---------------------------------------------------------------------------------
    def id_fault(self, kind: str, spec: FileSpec, i: int, case: str | None = None) -> None:
        f = self.id_field(spec)
        true = spec.data[f].iat[i]
        uid = int(spec.data["_uid"].iat[i])
        header = spec.header_of(f)
        extra = {"case": case} if case else {}
        if kind == "id_fullwidth":
            value = true.translate(FULLWIDTH)
            self.set_cell(spec, i, f, value)
            self.record(kind, spec, uid, header, value, None, "used", id_number=true, **extra)
        elif kind == "id_lowercase_x":
            value = true[:-1] + "x"
            self.set_cell(spec, i, f, value)
            self.record(kind, spec, uid, header, value, None, "used", id_number=true, **extra)
        elif kind == "id_check_digit":
            wrong = [c for c in idcard.CHECK_CHARS if c != true[-1]]
            value = true[:-1] + wrong[int(self.rng.integers(0, len(wrong)))]
            self.set_cell(spec, i, f, value)
            self.record(kind, spec, uid, header, value, "ID_CHECK", "rejected", id_number=true, **extra)
        else:  # id_numeric, id_numeric_check_ok: Excel keeps 15 significant digits
            digits = numeric_mangle(true)
            self.set_cell(spec, i, f, NumberCell(float(int(digits))))
            self.record(kind, spec, uid, header, digits, "ID_NUMERIC", "rejected", id_number=true,
                        written_as="number", **extra)

    def plant_rejecting(self) -> None:
        # extra 失业登记 rows of filler people (add_fillers), then rows of ordinary residents elsewhere
        for spec in self.specs["unemployment"]:
            tags = spec.data["_tag"].to_numpy()
            for i in np.flatnonzero(pd.notna(tags)):
                self.locked.add(int(spec.data["_uid"].iat[i]))
                self.id_fault(str(tags[i]), spec, int(i))
        done = {k: sum(1 for r in self.records if r["kind"] == k) for k in UNEMP_SHARE}
        for kind in UNEMP_SHARE:
            need = fault_count(kind, self.w.s.people) - done[kind]
            for _ in range(max(0, need)):
                if kind == "id_check_digit":
                    got = self.pick(REJECT_SOURCES, {"plain"})
                else:
                    want_ok = kind == "id_numeric_check_ok"

                    def pred(spec, row, want_ok=want_ok):
                        v = row["id_number"]
                        return (not v.endswith("X") and mangled_passes_check(v) == want_ok
                                and numeric_mangle(v) not in self.all_ids)

                    got = self.pick(REJECT_SOURCES, {"plain"}, pred, fmt="xlsx")
                if got:
                    self.id_fault(kind, *got)

    def plant_recoverable(self) -> None:
        for f in self.w.forced_faults:
            if f["kind"] in ("id_fullwidth", "id_lowercase_x", "id_check_digit"):
                rows = self.rows_of(f["source"], f["pid"])
                spec, i = rows[-1]
                self.locked.add(int(spec.data["_uid"].iat[i]))
                self.id_fault(f["kind"], spec, i, case=f["case"])
            elif f["kind"] in CELL_KINDS:
                self.cell_fault(f)
        groups = {"plain", "bu", "member"}
        for kind in ("id_fullwidth", "id_lowercase_x"):
            need = fault_count(kind, self.w.s.people) - sum(1 for r in self.records if r["kind"] == kind)
            pred = None if kind == "id_fullwidth" else (lambda spec, row: str(row["id_number"]).endswith("X"))
            for _ in range(max(0, need)):
                got = self.pick(RECOVER_SOURCES, groups, pred)
                if got:
                    self.id_fault(kind, *got)

    def cell_fault(self, f: dict) -> None:
        """A planted cell of a named case (the ledger review's): a blank required cell (the row is rejected), an
        unknown value in a dropdown cell (rejected too: an unknown value is never a blank), an Excel
        error value (blanked), a suspicious or a blank phone (kept)."""
        spec, i = self.rows_of(f["source"], f["pid"])[-1]
        uid = int(spec.data["_uid"].iat[i])
        self.locked.add(uid)
        value = f.get("value")
        self.set_cell(spec, i, f["field"], value)
        rule, action = CELL_KINDS[f["kind"]]
        self.record(f["kind"], spec, uid, spec.header_of(f["field"]), value, rule, action,
                    id_number=spec.data["id_number"].iat[i], case=f["case"])

    # -- text dates ------------------------------------------------------------------------------------------------
    def date_fault(self, spec: FileSpec, i: int, field: str, style: str, case: str | None = None) -> None:
        day = spec.data[field].iat[i]
        value = text_date(day, style)
        self.set_cell(spec, i, field, value)
        extra = {"case": case} if case else {}
        self.record("text_date", spec, int(spec.data["_uid"].iat[i]), spec.header_of(field), value, None, "used",
                    date=day.isoformat(), style=style, **extra)

    def plant_text_dates(self) -> None:
        for f in self.w.forced_faults:
            if f["kind"] == "text_date":
                spec, i = self.rows_of(f["source"], f["pid"])[-1]
                self.locked.add(int(spec.data["_uid"].iat[i]))
                self.date_fault(spec, i, f["field"], f["style"], case=f["case"])
        xlsx_sources = [s for s in self.specs if any(sp.fmt == "xlsx" for sp in self.specs[s])]
        for style in TEXT_STYLES:
            need = fault_count("text_date", self.w.s.people) - sum(
                1 for r in self.records if r["kind"] == "text_date" and r["style"] == style)
            for _ in range(max(0, need)):
                chosen = {}

                def pred(spec, row, chosen=chosen):
                    date_fields = [f for f, t in zip(spec.fields, spec.types)
                                   if t == "date" and isinstance(row[f], dt.date)]
                    if not date_fields:
                        return False
                    chosen["field"] = date_fields[int(self.rng.integers(0, len(date_fields)))]
                    return True

                got = self.pick(xlsx_sources, {"plain", "bu", "member"}, pred, fmt="xlsx")
                if got:
                    self.date_fault(*got, chosen["field"], style)

    # -- duplicates and blank rows -------------------------------------------------------------------------------
    def insert(self, spec: FileSpec, after_key: float, values: dict) -> int:
        uid = self.new_uid()
        n = sum(1 for e in spec.extra if math.floor(e["_key"]) == math.floor(after_key))
        row = {**values, "_key": math.floor(after_key) + 0.5 + 0.001 * n, "_uid": uid}
        spec.extra.append(row)
        self.locked.add(uid)
        return uid

    def row_values(self, spec: FileSpec, i: int) -> dict:
        return {c: spec.data[c].iat[i] for c in spec.data.columns if c not in ("_key", "_uid")}

    def plant_duplicates(self) -> None:
        for _ in range(fault_count("duplicate_identical", self.w.s.people)):
            got = self.pick(RECOVER_SOURCES + ["posts"], {"plain", "bu", "member"})
            if not got:
                continue
            spec, i = got
            values = self.row_values(spec, i)
            near = self.rng.random() < 0.6 or len(spec.data) < 3
            anchor = spec.data["_key"].iat[i] if near else float(self.rng.integers(i, len(spec.data)))
            uid = self.insert(spec, anchor, values)
            f = "post_id" if spec.source == "posts" else "id_number"
            extra = {} if spec.source == "posts" else {"id_number": values[f]}
            rec = self.record("duplicate_identical", spec, uid, spec.header_of(f), values[f], "DUPLICATE_IDENTICAL",
                              "collapsed", **extra)
            rec["_uids"] = [int(spec.data["_uid"].iat[i]), uid]
        for c in self.w.conflicts:  # planted on labelled people
            rows = self.rows_of(c["source"], c["pid"])
            spec = rows[0][0]
            if any(s is not spec for s, _ in rows):
                raise AssertionError("planted conflicting rows were split over files")
            for _, i in rows:
                self.locked.add(int(spec.data["_uid"].iat[i]))
            self.conflict_record(spec, [i for _, i in rows], case=c["case"])
        for _ in range(fault_count("duplicate_conflict", self.w.s.people)):
            got = self.pick(CONFLICT_SOURCES, {"plain"})
            if got:
                self.plain_conflict(*got)

    def plain_conflict(self, spec: FileSpec, i: int) -> None:
        w, rng = self.w, self.rng
        values = self.row_values(spec, i)
        src = spec.source
        if src in ("hukou", "poverty"):
            if src == "hukou" and values.get("hukou_status") == "正常" and rng.random() < 0.5:
                values["hukou_status"] = "迁出省内"
                values["change_date"] = w.days_before(int(rng.integers(30, 600)))
            else:
                other = w.pools.names(rng, np.array([rng.random() < 0.5]))[0]
                values["name"] = other if other != values["name"] else values["name"] + "某"
        elif src == "disability":
            values["cert_status"] = "注销" if values["cert_status"] == "有效" else "有效"
            values["issue_date"] = (values["issue_date"] or w.as_of) - dt.timedelta(days=int(rng.integers(30, 900)))
        elif src == "veteran":
            values["discharge_date"] = values["discharge_date"] - dt.timedelta(days=int(rng.integers(100, 800)))
        elif src == "landless":
            values["all_land_lost"] = "否" if values["all_land_lost"] == "是" else "是"
            values["expropriation_date"] = values["expropriation_date"] + dt.timedelta(days=int(rng.integers(30, 300)))
        elif src == "pension":
            values["start_date"] = values["start_date"] + dt.timedelta(days=int(rng.integers(30, 400)))
        self.insert(spec, spec.data["_key"].iat[i], values)
        j = len(spec.data) + len(spec.extra) - 1  # position among data + extra
        self.conflict_record(spec, [i, j], case=None)

    def conflict_record(self, spec: FileSpec, positions: list[int], case: str | None) -> None:
        rows, uids = [], []
        for p in positions:
            if p < len(spec.data):
                rows.append(self.row_values(spec, p))
                uids.append(int(spec.data["_uid"].iat[p]))
            else:
                e = spec.extra[p - len(spec.data)]
                rows.append({k: v for k, v in e.items() if k not in ("_key", "_uid")})
                uids.append(int(e["_uid"]))
        keys = [spec.data["_key"].iat[p] if p < len(spec.data) else spec.extra[p - len(spec.data)]["_key"]
                for p in positions]
        order = sorted(range(len(rows)), key=lambda k: keys[k])  # file order
        rows = [rows[k] for k in order]
        uids = [uids[k] for k in order]
        chosen = resolve_chosen(spec.source, rows)
        diff = [f for f in spec.fields if any(str(r.get(f)) != str(rows[0].get(f)) for r in rows[1:])]
        column = spec.header_of(diff[0]) if diff else spec.header_of("id_number")
        value = rows[-1].get(diff[0]) if diff else rows[-1]["id_number"]
        if isinstance(value, dt.date):
            value = value.isoformat()
        extra = {"case": case} if case else {}
        rec = self.record("duplicate_conflict", spec, uids[-1], column, value, "DUPLICATE_CONFLICT", "conflict_kept",
                          id_number=rows[0]["id_number"], **extra)
        rec["_uids"] = uids
        rec["_chosen_uid"] = uids[chosen]

    def plant_blank_rows(self) -> None:
        for _ in range(fault_count("blank_row", self.w.s.people)):
            got = self.pick(RECOVER_SOURCES + ["posts"], {"plain", "bu", "member", "named", "filler"},
                            lambda spec, row: row["_key"] < len(spec.data) - 1)
            if not got:
                continue
            spec, i = got
            self.locked.discard(int(spec.data["_uid"].iat[i]))  # the anchor row itself stays usable
            values = {c: None for c in spec.data.columns if c not in ("_key", "_uid")}
            values["_pid"], values["_grp"] = -1, "blank"
            uid = self.insert(spec, spec.data["_key"].iat[i], values)
            self.record("blank_row", spec, uid, None, "", None, "blank")

    # -- file level ------------------------------------------------------------------------------------------------
    def plant_file_level(self) -> None:
        for source, specs in self.specs.items():
            for spec in specs:
                if spec.title:
                    self.record("title_row", spec, None, None, spec.title, None, "used")
                for standard, written in spec.synonyms.items():
                    self.record("header_synonym", spec, None, written, written, None, "used", standard=standard)

    # -- all -------------------------------------------------------------------------------------------------------
    def plant(self) -> list[dict]:
        self.plant_rejecting()
        self.plant_recoverable()
        self.plant_text_dates()
        self.plant_duplicates()
        self.plant_blank_rows()
        self.plant_file_level()
        return self.records

    def resolve_rows(self) -> list[dict]:
        """Turn row ids into Excel row numbers (after every insertion) and drop internal keys."""
        self._cols.clear()  # cached columns of the unsorted rows are not needed any more
        out = []
        maps: dict[int, dict] = {}
        for rec in self.records:
            spec: FileSpec = rec["_spec"]
            rows_by_uid = maps.get(id(spec))
            if rows_by_uid is None:
                final = spec.finalise()
                rows_by_uid = dict(zip(final["_uid"].to_numpy().tolist(), final["_row"].to_numpy().tolist()))
                maps[id(spec)] = rows_by_uid
            r = {k: v for k, v in rec.items() if not k.startswith("_")}
            r["row"] = spec.header_row if rec["_uid"] is None else int(rows_by_uid[rec["_uid"]])
            if "_uids" in rec:
                r["rows"] = sorted(int(rows_by_uid[u]) for u in rec["_uids"])
            if "_chosen_uid" in rec:
                r["chosen_row"] = int(rows_by_uid[rec["_chosen_uid"]])
            out.append(r)
        return out
