"""An independent, deliberately plain re-reading of the synthetic files, used only to cross-check the answer key of
``jykn synth`` (tests/test_synth.py). It is not the product's reader or rule engine: it reads with python-calamine and
the csv module, and follows docs/engine_rules.md literally and slowly, person by person.

If this oracle and the planted labels disagree, one of them misreads the rules: the test shows who and why.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from jykn_lib import idcard
from jykn_lib.contract import load_contract, normalize_header
from jykn_lib.params import load_parameters
from jykn_lib.retirement import retirement_date

DATE_RE = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), None),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), None),
    (re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), None),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"), None),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), None),
]


@functools.cache
def retirement_of(pid: str, base, on: dt.date) -> dt.date:
    return retirement_date(idcard.birth_date(pid), idcard.sex(pid), base, on)


def parse_date(v):
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    for rx, _ in DATE_RE:
        m = rx.match(s)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(f"not a date: {v!r}")


def add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    m = day.year * 12 + day.month - 1 + months
    y, mo = divmod(m, 12)
    return dt.date(y, mo + 1, min(day.day, calendar.monthrange(y, mo + 1)[1]))


def raw_rows(path: Path, encoding: str | None):
    if path.suffix == ".xlsx":
        wb = CalamineWorkbook.from_path(str(path))
        return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    text = path.read_bytes().decode(encoding or "utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text))]


class Data:
    """Every source as a list of dict rows (contract fields), after IDs, dates, blanks, duplicates and conflicts."""

    def __init__(self, folder: Path, manifest: dict):
        self.contract = load_contract()
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.rejected = []
        self.blank = 0
        order = 0
        tables = []
        values = set()
        for f in manifest["files"]:
            src = self.contract.source_for_title(f["source"])
            table = raw_rows(folder / f["file"], f.get("encoding"))
            header_at, mapping = self.find_header(src, table)
            tables.append((f, src, table, header_at, mapping))
            for j, field in mapping.items():
                if src.column(field).type == "id":
                    values.update(str(r[j]) for r in table[header_at + 1:] if j < len(r) and isinstance(r[j], str)
                                  and r[j] != "")
        values = sorted(values)
        parsed = idcard.parse_ids(pd.Series(values, dtype=object))
        self.ids = {v: (e is None or (isinstance(e, float) and e != e), n, e)
                    for v, n, e in zip(values, parsed["id_number"], parsed["error"])}
        for f, src, table, header_at, mapping in tables:
            for k, row in enumerate(table[header_at + 1:], start=header_at + 2):
                if all(c is None or str(c).strip() == "" for c in row):
                    self.blank += 1
                    continue
                rec = {"_file": f["file"], "_row": k, "_order": order}
                order += 1
                ok = True
                for j, field in mapping.items():
                    col = src.column(field)
                    v = row[j] if j < len(row) else ""
                    if col.type == "id":
                        if isinstance(v, (int, float)) and not isinstance(v, bool):  # a numeric cell
                            rec[field] = None
                            self.rejected.append((f["file"], k, "ID_NUMERIC"))
                            ok = False
                            continue
                        if v in (None, ""):
                            rec[field] = None
                            continue
                        good, number, error = self.ids[str(v)]
                        if not good:
                            self.rejected.append((f["file"], k, error))
                            ok = False
                        rec[field] = number
                    elif col.type == "date":
                        rec[field] = parse_date(v)
                    elif col.type == "enum" and v not in (None, "") and str(v).strip() not in map(str, col.values):
                        self.rejected.append((f["file"], k, "ENUM_INVALID"))  # an unknown value is never a blank
                        ok = False
                    elif col.type == "int_enum":
                        rec[field] = None if v in (None, "") else int(float(v))
                    else:
                        rec[field] = None if v in (None, "") else str(v).strip()
                if ok:
                    self.rows[src.name].append(rec)
        for name, rows in list(self.rows.items()):
            self.rows[name] = self.dedupe(name, rows)

    def find_header(self, src, table):
        known = {}
        for c in src.columns:
            known[normalize_header(c.header)] = c.field
            for s in c.synonyms:
                known.setdefault(normalize_header(s), c.field)
        for i, row in enumerate(table[:5]):
            mapping = {j: known[normalize_header(v)] for j, v in enumerate(row)
                       if v not in (None, "") and normalize_header(v) in known}
            if len(mapping) >= max(2, len(src.columns) // 2):
                return i, mapping
        raise ValueError(f"no header in {src.title}")

    def dedupe(self, name, rows):
        src = self.contract[name]
        seen, out = set(), []
        for r in rows:
            key = tuple(r.get(f) for f in src.fields)
            if key in seen:
                continue
            seen.add(key)
            out.append(r)
        if src.key != "person_unique":
            return out
        by = defaultdict(list)
        for r in out:
            by[r["id_number"]].append(r)
        return [self.resolve(src, rs) for rs in by.values()]

    @staticmethod
    def resolve(src, rows):
        def key(r):
            k = []
            for e in src.resolve:
                if "=" in e:
                    f, v = e.split("=", 1)
                    k.append((1 if r.get(f) == v else 0, 0))
                    continue
                desc = e.startswith("-")
                f = e.lstrip("-")
                v = r.get(f)
                if v is None:
                    k.append((0, 0))
                    continue
                col = src.column(f)
                x = (1 if v == col.true else 0) if col.type == "bool" else (
                    v.toordinal() if isinstance(v, dt.date) else v)
                k.append((1, -x if desc else x))
            return tuple(k)

        return sorted(rows, key=lambda r: (key(r), r["_order"]))[-1]


class Oracle:
    def __init__(self, folder: Path, manifest: dict):
        self.d = Data(folder, manifest)
        self.as_of = dt.date.fromisoformat(manifest["generator"]["as_of"])
        p = load_parameters()
        self.p = {k: p[k].at(self.as_of) for k in p.names()}
        rows = self.d.rows
        self.hukou = {r["id_number"]: r for r in rows["hukou"]}
        self.households = defaultdict(list)
        for r in rows["hukou"]:
            self.households[r["household_id"]].append(r)
        self.unemp = defaultdict(list)
        for r in rows["unemployment"]:
            self.unemp[r["id_number"]].append(r)
        self.ledger = {r["id_number"]: r for r in rows["ledger"]}
        self.index = {}
        for name in ("dibao", "disability", "veteran", "poverty", "landless", "special", "contributions", "pension",
                     "market", "services"):
            idx = defaultdict(list)
            for r in rows[name]:
                idx[r["id_number"]].append(r)
            self.index[name] = idx
        ym = self.as_of.year * 12 + self.as_of.month - 1
        self.ym = ym
        self.window = (ym - self.p["rules.evidence.unit_contribution_lookback_months"], ym)

    # -- helpers ----------------------------------------------------------------------------------------------
    def current_reg(self, pid):
        regs = [r for r in self.unemp.get(pid, []) if r["reg_date"] and r["reg_date"] <= self.as_of]
        if not regs:
            return None
        return sorted(regs, key=lambda r: (r["reg_date"], r["_order"]))[-1]

    def reg_valid(self, r):
        status = r.get("reg_status") or "有效"
        return status == "有效" or (status == "已注销" and r.get("cancel_date") and r["cancel_date"] > self.as_of)

    def status_on(self, row):
        if row is None:
            return None
        s = row.get("hukou_status") or "正常"
        if s != "正常" and row.get("change_date") and row["change_date"] > self.as_of:
            return "正常"
        return s

    def age(self, pid):
        b = idcard.birth_date(pid)
        a = self.as_of
        return a.year - b.year - ((a.month, a.day) < (b.month, b.day))

    def retired(self, pid, base=None):
        return self.as_of >= retirement_of(pid, base, self.as_of)

    def working_age(self, pid, base=None):
        return self.age(pid) >= self.p["rules.general.working_age_min"] and not self.retired(pid, base)

    def period(self, r):
        s = str(r["period"])
        return int(s[:4]) * 12 + int(s[4:6]) - 1

    def unit_evidence(self, pid):
        lo, hi = self.window
        return any(r["contrib_type"] == "单位" and lo <= self.period(r) <= hi
                   for r in self.index["contributions"].get(pid, []))

    def entity_exists(self, r):
        if r.get("founded_date") and r["founded_date"] > self.as_of:
            return False
        if r["entity_status"] == "存续":
            return True
        return bool(r.get("closed_date") and r["closed_date"] > self.as_of)

    def market_evidence(self, pid):
        return any(r["role"] in ("法定代表人", "负责人", "经营者") and self.entity_exists(r)
                   for r in self.index["market"].get(pid, []))

    def ledger_active(self, pid):
        r = self.ledger.get(pid)
        if not r or not r["recognised_date"] or r["recognised_date"] > self.as_of:
            return None
        if r["status"] == "有效" or (r["status"] == "已退出" and r.get("exit_date") and r["exit_date"] > self.as_of):
            return r
        return None

    def ledger_evidence(self, pid):
        r = self.ledger_active(pid)
        return bool(r and (r.get("employment_status") or "未就业") != "未就业"
                    and (r.get("employment_date") is None or r["employment_date"] <= self.as_of))

    def evidence(self, pid):
        return self.unit_evidence(pid) or self.market_evidence(pid) or self.ledger_evidence(pid)

    def checked(self, pid):
        if not self.working_age(pid):
            return False
        cur = self.current_reg(pid)
        return not (cur and (cur.get("able") == "无" or cur.get("willing") == "否"))

    def household_zero(self, pid, area):
        row = self.hukou.get(pid)
        if row is None or self.status_on(row) != "正常" or row["area_type"] != area:
            return False, []
        members = [m for m in self.households[row["household_id"]] if self.status_on(m) == "正常"]
        if len(members) < self.p["rules.categories.c04.min_household_size"]:
            return False, members
        return not any(self.checked(m["id_number"]) and self.evidence(m["id_number"]) for m in members), members

    # -- screening --------------------------------------------------------------------------------------------
    def screen(self, pid):
        cur = self.current_reg(pid)
        if cur is None or not self.reg_valid(cur):
            return {"outcome": "not_screened", "categories": [], "reasons": [], "hints": []}
        reasons, hints, cats = [], [], []
        hk = self.hukou.get(pid)
        st = self.status_on(hk)
        if hk is None:
            (hints if pid.startswith("44") else reasons).append(
                "H_HUKOU_CHECK" if pid.startswith("44") else "X_HUKOU_UNMATCHED")
        elif st == "迁出省外":
            reasons.append("X_HUKOU_OUT")
        elif st == "死亡":
            reasons.append("X_DECEASED")
        if self.age(pid) < self.p["rules.general.working_age_min"]:
            reasons.append("X_UNDER_AGE")
        elif self.retired(pid):
            reasons.append("X_RETIRED" if idcard.sex(pid) == "男" else "X_RETIRED_F50")
        if not self.retired(pid) and any(r["start_date"] <= self.as_of for r in self.index["pension"].get(pid, [])):
            reasons.append("X_PENSION")  # a pension already paid: not recognised (docs/rules.md §0)
        if cur.get("able") == "无":
            reasons.append("X_NO_ABILITY")
        if cur.get("willing") == "否":
            reasons.append("X_NOT_WILLING")
        if self.unit_evidence(pid):
            reasons.append("X_EMP_UNIT")
        if self.market_evidence(pid):
            reasons.append("X_EMP_MARKET")
        if self.ledger_evidence(pid):
            reasons.append("X_EMP_LEDGER")
        if self.ledger_active(pid):
            reasons.append("X_RECOGNISED")
        else:
            lr = self.ledger.get(pid)
            if lr and lr["status"] == "已退出" and lr.get("exit_date") and lr["exit_date"] <= self.as_of:
                hints.append("H_EXITED")
        lo, hi = self.window
        if any(r["contrib_type"] == "灵活就业" and lo <= self.period(r) <= hi
               for r in self.index["contributions"].get(pid, [])):
            hints.append("H_FLEX")
        if not self.market_evidence(pid) and any(r["role"] == "股东" and self.entity_exists(r)
                                                 for r in self.index["market"].get(pid, [])):
            hints.append("H_SHAREHOLDER")
        # categories
        age, sex = self.age(pid), idcard.sex(pid)
        if age >= (self.p["rules.categories.c01.male_min_age"] if sex == "男"
                   else self.p["rules.categories.c01.female_min_age"]):
            cats.append("01")
        dis = self.index["disability"].get(pid, [])
        vet = self.index["veteran"].get(pid, [])
        if any((r.get("cert_status") or "有效") == "有效" and (r.get("issue_date") is None
                                                             or r["issue_date"] <= self.as_of) for r in dis) or any(
                r.get("disability_cert_no") and r["discharge_date"] <= self.as_of for r in vet):
            cats.append("02")
        if any(r["assistance_type"] in ("城市低保", "农村低保") and r["start_date"] <= self.as_of
               and (r.get("end_date") is None or r["end_date"] >= self.as_of) for r in self.index["dibao"].get(pid, [])):
            cats.append("03")
        zero_u, _ = self.household_zero(pid, "城镇")
        if zero_u:
            cats.append("04")
        zero_r, members = self.household_zero(pid, "农村")
        if zero_r and any(m["id_number"] in self.index["poverty"] for m in members):
            cats.append("05")
        if any(r["all_land_lost"] == "是" and r["expropriation_date"] <= self.as_of
               for r in self.index["landless"].get(pid, [])):
            cats.append("06")
        reg = cur["reg_date"]
        reg_ym = reg.year * 12 + reg.month - 1
        if add_months(reg, self.p["rules.categories.c07.min_months_since_registration"]) <= self.as_of and not any(
                r["contrib_type"] == "单位" and reg_ym < self.period(r) <= self.ym
                for r in self.index["contributions"].get(pid, [])):
            cats.append("07")
        for code, kind in (("08", "戒毒康复"), ("09", "刑满释放"), ("10", "精神障碍康复")):
            if any(r["person_type"] == kind and (r.get("date") is None or r["date"] <= self.as_of)
                   for r in self.index["special"].get(pid, [])):
                cats.append(code)
        if any(r["discharge_date"] <= self.as_of for r in vet) and add_months(
                reg, self.p["rules.categories.c11.min_months_registered"]) <= self.as_of:
            cats.append("11")
        cats = sorted(set(cats))
        if not cats:
            return {"outcome": "no_category", "categories": [], "reasons": sorted(reasons), "hints": sorted(hints)}
        return {"outcome": "excluded" if reasons else "candidate", "categories": cats, "reasons": sorted(reasons),
                "hints": sorted(hints)}

    # -- exits ------------------------------------------------------------------------------------------------
    def exits(self, pid):
        lr = self.ledger_active(pid)
        out = []
        base = lr.get("women_base")
        if any(r["start_date"] <= self.as_of for r in self.index["pension"].get(pid, [])) or self.retired(pid, base):
            out.append("E1")
        cur = self.current_reg(pid)
        if cur and cur.get("able") == "无":
            out.append("E2")
        ws = add_months(self.as_of, -self.p["rules.exits.e4_refusal_window_months"])
        svc = self.index["services"].get(pid, [])
        if sum(1 for r in svc if r.get("result") in self.p["rules.exits.refusal_results"]
               and ws <= r["service_date"] <= self.as_of) >= self.p["rules.exits.e4_refusal_count"]:
            out.append("E4")
        if self.evidence(pid) or (cur and (cur.get("reg_status") == "已注销") and cur.get("cancel_date")
                                  and cur["cancel_date"] <= self.as_of):
            out.append("E5")
        cats = re.findall(r"\b(0[1-9]|1[0-3])\b", lr["categories"] or "")
        if {"04", "05"} & set(cats):
            row = self.hukou.get(pid)
            if row and any(m["id_number"] != pid and self.status_on(m) == "正常" and self.evidence(m["id_number"])
                           for m in self.households[row["household_id"]]):
                out.append("E6")
        contacts = [r["service_date"] for r in svc if r["service_date"] <= self.as_of and (
            r.get("result") in self.p["rules.exits.contact_results"]
            or r.get("method") in self.p["rules.exits.self_contact_methods"])]
        last = max(contacts) if contacts else lr["recognised_date"]
        if last < add_months(self.as_of, -self.p["rules.exits.e10_no_contact_months"]):
            out.append("E10")
        if self.basis_lost(pid, cats):
            out.append("E11")
        st = self.status_on(self.hukou.get(pid))
        if st == "死亡":
            out.append("D1")
        if st == "迁出省外":
            out.append("D2")
        return sorted(out)

    def basis_lost(self, pid, cats) -> bool:
        """E11: every category of the ledger row lost its basis (02 certificate cancelled, 03 低保 ended, 04/05 another
        member employed), at least one of them 02 or 03."""
        if not cats or not set(cats) <= {"02", "03", "04", "05"} or not {"02", "03"} & set(cats):
            return False
        dis = [r for r in self.index["disability"].get(pid, []) if r.get("issue_date") is None
               or r["issue_date"] <= self.as_of]
        vet = any(r.get("disability_cert_no") and r["discharge_date"] <= self.as_of
                  for r in self.index["veteran"].get(pid, []))
        db = [r for r in self.index["dibao"].get(pid, []) if r["assistance_type"] in ("城市低保", "农村低保")
              and r["start_date"] <= self.as_of]
        row = self.hukou.get(pid)
        member_works = bool(row) and any(m["id_number"] != pid and self.status_on(m) == "正常"
                                         and self.evidence(m["id_number"]) for m in self.households[row["household_id"]])
        lost = {"02": bool(dis) and not vet and not any((r.get("cert_status") or "有效") == "有效" for r in dis),
                "03": bool(db) and not any(r.get("end_date") is None or r["end_date"] >= self.as_of for r in db),
                "04": member_works, "05": member_works}
        return all(lost[c] for c in cats)

    def active_ledger_ids(self):
        return sorted(pid for pid in self.ledger if self.ledger_active(pid))


def compare(folder: Path, manifest: dict) -> tuple[list, list]:
    """(screening mismatches, exit mismatches) between the oracle and the manifest's labels."""
    o = Oracle(folder, manifest)
    bad_s = []
    for pid, lab in manifest["screening_labels"].items():
        got = o.screen(pid)
        want = {k: sorted(lab[k]) if isinstance(lab[k], list) else lab[k]
                for k in ("outcome", "categories", "reasons", "hints")}
        if got != want:
            bad_s.append((pid, want, got))
    screened = {pid for pid in o.unemp if o.current_reg(pid) and o.reg_valid(o.current_reg(pid))}
    missing = screened - set(manifest["screening_labels"])
    bad_s += [(pid, None, o.screen(pid)) for pid in sorted(missing)]
    bad_e = []
    active = o.active_ledger_ids()
    for pid in active:
        want = sorted(manifest["exit_labels"].get(pid, ["<missing>"]))
        got = o.exits(pid)
        if got != want:
            bad_e.append((pid, want, got))
    extra = set(manifest["exit_labels"]) - set(active)
    bad_e += [(pid, manifest["exit_labels"][pid], "<not active>") for pid in sorted(extra)]
    return bad_s, bad_e


if __name__ == "__main__":  # python tests/synth_oracle.py DIR
    import json
    import sys

    folder = Path(sys.argv[1])
    m = json.loads((folder / "synth_manifest.json").read_text(encoding="utf-8"))
    s, e = compare(folder, m)
    names = {c["id_number"]: c["case"] for c in m["cases"]}
    for pid, want, got in s[:40]:
        print("SCREEN", names.get(pid, "-"), pid, want, got)
    for pid, want, got in e[:40]:
        print("EXIT", names.get(pid, "-"), pid, want, got)
    print(len(s), "screening mismatches;", len(e), "exit mismatches")
