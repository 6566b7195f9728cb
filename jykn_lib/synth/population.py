"""The synthetic people of 清新区: households, persons, identity numbers, and the columnar fact tables.

Everyone lives in a :class:`World`. Ordinary residents ("plain" people) are made in bulk with numpy; the people
whose screening or exit outcome is labelled are added one by one by :mod:`.design`, :mod:`.background` and
:mod:`.cases`. Identity numbers are built from exact birth dates with the GB 11643 layout: a sequence unique per region
and birth date, odd for men and even for women. Bulk people take sequences 000–499 and planted people 501–999, so the
two never collide.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import idcard
from ..contract import district
from ..dates import add_months
from ..retirement import retirement_dates
from .config import RuleNumbers, Settings, rng_for
from .fakes import Pools

# Share of residents per town (太和镇, the district seat, holds about 40%) and the urban share of its households.
# Demographic assumptions of the synthetic district, not law.
TOWN_WEIGHTS = {"太和镇": 0.40, "太平镇": 0.11, "山塘镇": 0.09, "三坑镇": 0.07, "龙颈镇": 0.10, "禾云镇": 0.07,
                "浸潭镇": 0.09, "石潭镇": 0.06, "笔架林场": 0.01}
URBAN_SHARE = {"太和镇": 0.80, "笔架林场": 0.50}
URBAN_SHARE_DEFAULT = 0.22
OTHER_GUANGDONG = ("441802", "441881", "440106")  # 清城区, 英德市, 广州天河区
OTHER_PROVINCES = ("430621", "452122", "360731")  # 湖南岳阳县, 广西武鸣, 江西于都
NATIVE_FORMER_BEFORE = dt.date(1990, 1, 1)  # born before: registered under the former county code 441827
CN_NUM = "一二三四五六七八九十"

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # birth is stored as date.toordinal() in the people table
BULK_SEQ_MAX = 499
SPECIAL_SEQ_MIN = 501


def cn_number(i: int) -> str:
    if i <= 10:
        return CN_NUM[i - 1]
    if i < 20:
        return "十" + CN_NUM[i - 11]
    return CN_NUM[i // 10 - 1] + "十" + (CN_NUM[i % 10 - 1] if i % 10 else "")


def ym(day: dt.date) -> int:
    """Month index year*12 + month-1 (as jykn_lib.dates.month_index)."""
    return day.year * 12 + day.month - 1


def ym_text(index: int) -> str:
    return f"{index // 12}{index % 12 + 1:02d}"


def to_day(value) -> np.datetime64:
    return np.datetime64(value, "D")


def _objects(values: list) -> np.ndarray:
    """A 1-D object array even when the items are tuples or lists."""
    arr = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        arr[i] = v
    return arr


class Table:
    """Rows of one kind of fact: single rows appended as keywords, bulk rows as arrays; ``frame()`` keeps the order."""

    def __init__(self, *columns: str):
        self.columns = list(columns)
        self._chunks: list[dict] = []
        self._buf: dict[str, list] = {c: [] for c in self.columns}
        self.n = 0

    def add(self, **row) -> int:
        extra = set(row) - set(self.columns)
        if extra:
            raise KeyError(f"unknown columns {sorted(extra)}")
        for c in self.columns:
            self._buf[c].append(row.get(c))
        self.n += 1
        return self.n - 1

    def extend(self, **cols) -> np.ndarray:
        extra = set(cols) - set(self.columns)
        if extra:
            raise KeyError(f"unknown columns {sorted(extra)}")
        m = len(next(iter(cols.values())))
        self._flush()
        chunk = {}
        for c in self.columns:
            v = cols.get(c)
            arr = np.full(m, None, dtype=object) if v is None else np.asarray(v)
            if arr.dtype.kind == "M":
                arr = arr.astype("datetime64[s]")  # pandas needs an explicit unit
            chunk[c] = arr
        self._chunks.append(chunk)
        start = self.n
        self.n += m
        return np.arange(start, self.n)

    def _flush(self) -> None:
        if self._buf[self.columns[0]]:
            self._chunks.append({c: _objects(v) for c, v in self._buf.items()})
            self._buf = {c: [] for c in self.columns}

    def frame(self) -> pd.DataFrame:
        self._flush()
        if not self._chunks:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in self.columns})
        # object columns stay object (pandas would otherwise turn text into Arrow strings and back, copying them)
        parts = [pd.DataFrame({c: pd.Series(ch[c], dtype=object) if ch[c].dtype == object else ch[c]
                               for c in self.columns}) for ch in self._chunks]
        if len(parts) == 1:
            return parts[0]
        return pd.concat(parts, ignore_index=True)

    def __len__(self) -> int:
        return self.n


@dataclass
class Town:
    name: str
    code: str
    rural: list[str]  # 村
    urban: list[str]  # 社区
    weight: float
    urban_share: float


def load_towns() -> list[Town]:
    out = []
    for t in district()["towns"]:
        name = t["name"]
        villages = list((t.get("villages") or {}).keys())
        rural = [v for v in villages if not v.endswith("社区")]
        urban = [v for v in villages if v.endswith("社区")]
        if not rural:  # no known village list: clearly synthetic names
            rural = [f"{name}合成{cn_number(i)}村" for i in range(1, 9)]
        urban += [f"{name}合成{cn_number(i)}社区" for i in range(1, 4)]
        out.append(Town(name, str(t["code"]), rural, urban, TOWN_WEIGHTS.get(name, 0.05),
                        URBAN_SHARE.get(name, URBAN_SHARE_DEFAULT)))
    total = sum(t.weight for t in out)
    for t in out:
        t.weight /= total
    return out


def id_bodies(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Vectorised make_id: region + YYYYMMDD + 3-digit sequence + MOD 11-2 check character."""
    ymd = np.char.replace(np.datetime_as_string(birth.astype("datetime64[D]"), unit="D"), "-", "")
    body = np.char.add(np.char.add(region.astype("U6"), ymd), np.char.zfill(seq.astype("U3"), 3))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17).astype(np.int64) - 48
    check = np.array(list(idcard.CHECK_CHARS))[(digits @ idcard.WEIGHTS) % 11]
    return np.char.add(body, check).astype(object)


def numeric_mangle(id_number: str) -> str:
    """What Excel keeps of an 18-digit number: 15 significant digits, the rest zeros."""
    return id_number[:15] + "000"


def mangled_passes_check(id_number: str) -> bool:
    m = numeric_mangle(id_number)
    return idcard.check_digit(m[:17]) == m[17]


class World:
    """All people, households and facts of one synthetic district."""

    def __init__(self, settings: Settings, rules: RuleNumbers):
        self.s = settings
        self.r = rules
        self.as_of = settings.as_of
        self.as_of_ym = ym(settings.as_of)
        self.hist_start = self.add_months(settings.as_of, -24)
        self.hist_start_ym = self.as_of_ym - 23
        self.window_start_ym = self.as_of_ym - rules.lookback_months
        d = district()
        self.district_code = str(d["district"]["code"])
        self.former_code = str((d["district"].get("former_codes") or [self.district_code])[0])
        self.towns = load_towns()
        self.town_by_name = {t.name: t for t in self.towns}
        self.pools = Pools(settings.seed)
        self.hh = Table("town", "village", "area", "hh_no")
        self.pp = Table("hid", "relation", "sex", "birth", "region", "status", "change_date", "in_hukou", "group",
                        "id_number")
        self._hh_counter: dict[str, int] = {}
        self.hh_village: dict[int, str] = {}
        self.meta: dict[int, tuple[str, str, dt.date]] = {}  # planted people: (sex, group, birth)
        self._used: dict[tuple[str, str], set[int]] = {}
        # facts, keyed by person index (pid)
        self.unemp = Table("pid", "reg_date", "status", "cancel_date", "town", "village", "willing", "able", "group",
                           "seq", "tag")
        self.dibao = Table("pid", "type", "start", "end", "group")
        self.disability = Table("pid", "dtype", "grade", "issue", "status", "group")
        self.veteran = Table("pid", "discharge", "cert", "grade", "group")
        self.poverty = Table("pid", "group")
        self.landless = Table("pid", "date", "all_lost", "group")
        self.special = Table("pid", "type", "date", "group")
        self.spells = Table("pid", "start", "end", "ctype", "employer", "group")  # contribution spells (month indexes)
        self.pension = Table("pid", "start", "group")
        self.market = Table("pid", "name", "role", "status", "etype", "credit", "founded", "closed", "group")
        self.ledger = Table("pid", "town", "village", "cats", "recognised", "status", "exit_date", "exit_reason",
                            "emp_status", "emp_date", "skills", "income", "helper", "grade", "base", "group",
                            "status_date", "policies")
        self.services = Table("pid", "date", "stype", "method", "result", "clerk", "town", "group")
        self.posts = Table("town", "post_id", "category", "created", "name", "holder", "start", "leave", "group")
        self.applications = Table("app_id", "pid", "date", "cats", "town", "materials", "base", "accept", "objection",
                                  "group")
        # answer key
        self.screening: dict[int, dict] = {}
        self.exits: dict[int, list[str]] = {}
        self.cases: list[dict] = []
        self.app_keys: list[dict] = []
        self.app_people: dict = {}  # named cases of .cases whose application .applications plants
        self.app_schedule: list = []  # the decision dates of 05 in the year (.applications.decision_dates)
        self.forced_faults: list[dict] = []  # faults that must sit on named cases (see faults.py)
        self.conflicts: list[dict] = []  # planted conflicting duplicates on labelled people
        self.post_reports: dict[str, dt.date | None] = {}  # 公益性岗位 报送日期 per town (ledger_cases.py)
        self.ledger_review: dict = {}  # the ledger review's answer key (ledger_cases.py)
        self.extra_hukou: list[dict] = []  # extra 户籍人口 rows of one person (conflicts), with "before": bool
        self._ids: np.ndarray | None = None
        self._retirement: dict[str, tuple] = {}
        self._people: pd.DataFrame | None = None

    # -- dates -------------------------------------------------------------------------------------------------
    def add_months(self, day: dt.date, months: int) -> dt.date:
        """Same day of month, clamped to the month's end (as jykn_lib.dates.add_months, for one date)."""
        m = day.year * 12 + day.month - 1 + months
        y, mo = divmod(m, 12)
        return dt.date(y, mo + 1, min(day.day, calendar.monthrange(y, mo + 1)[1]))

    def days_before(self, days: int) -> dt.date:
        return self.as_of - dt.timedelta(days=int(days))

    def birth_for_age(self, rng: np.random.Generator, age_min: int, age_max: int) -> dt.date:
        """A birth date giving an age in [age_min, age_max] 周岁 on the reference date, birthday at least 10 days away."""
        age = int(rng.integers(age_min, age_max + 1))
        anniversary = self.add_months(self.as_of, -12 * age)
        return anniversary - dt.timedelta(days=int(rng.integers(10, 355)))

    def retirement(self, birth: dt.date, sex: str, base: int | None = None) -> dt.date:
        """Statutory retirement date (jykn_lib.retirement, schedule in force on the reference date), from a table
        computed once per group for every birth date of the last 110 years."""
        group = "男" if sex == "男" else f"女{base or self.r.women_default_base}"
        table = self._retirement.get(group)
        if table is None:
            days = np.arange(np.datetime64(self.as_of, "D") - np.timedelta64(110 * 366, "D"),
                             np.datetime64(self.as_of, "D") + np.timedelta64(1, "D"))
            sexes = np.full(len(days), "男" if sex == "男" else "女", dtype=object)
            bases = np.full(len(days), np.nan if sex == "男" else float(base or self.r.women_default_base))
            table = (days[0], retirement_dates(days, sexes, bases, self.as_of))
            self._retirement[group] = table
        first, values = table
        return pd.Timestamp(values[(np.datetime64(birth, "D") - first).astype(int)]).date()

    # -- households and people ---------------------------------------------------------------------------------
    def hh_number(self, town: str) -> str:
        k = self._hh_counter.get(town, 0) + 1
        self._hh_counter[town] = k
        return f"{self.town_by_name[town].code}{k:06d}"

    def village_for(self, rng: np.random.Generator, town: str, area: str) -> str:
        t = self.town_by_name[town]
        pool = t.urban if area == "城镇" else t.rural
        return pool[int(rng.integers(0, len(pool)))]

    def add_household(self, rng: np.random.Generator, town: str, area: str) -> int:
        village = self.village_for(rng, town, area)
        hid = self.hh.add(town=town, village=village, area=area, hh_no=self.hh_number(town))
        self.hh_village[hid] = village
        return hid

    def native_region(self, birth: dt.date) -> str:
        return self.former_code if birth < NATIVE_FORMER_BEFORE else self.district_code

    def alloc_id(self, region: str, birth: dt.date, sex: str, want: str | None = None) -> str | None:
        """A fresh identity number in the planted range; ``want``: 'X', 'noX', 'numeric_ok', 'numeric_bad'."""
        key = (region, birth.isoformat())
        used = self._used.setdefault(key, set())
        first = SPECIAL_SEQ_MIN if sex == "男" else SPECIAL_SEQ_MIN + 1
        for seq in range(first, 1000, 2):
            if seq in used:
                continue
            number = idcard.make_id(region, birth, seq)
            ok = (want is None or (want == "X" and number.endswith("X"))
                  or (want == "noX" and not number.endswith("X"))
                  or (want == "numeric_ok" and not number.endswith("X") and mangled_passes_check(number))
                  or (want == "numeric_bad" and not number.endswith("X") and not mangled_passes_check(number)))
            if ok:
                used.add(seq)
                return number
        return None

    def add_person(self, hid: int | None, relation: str, sex: str, birth: dt.date, *, region: str | None = None,
                   status: str = "正常", change_date: dt.date | None = None, in_hukou: bool = True,
                   group: str = "bu", want: str | None = None, id_number: str | None = None) -> int:
        region = region or self.native_region(birth)
        if id_number is None:
            id_number = self.alloc_id(region, birth, sex, want)
            if id_number is None:
                raise ValueError(f"no free identity number for {region} {birth} {want}")
        pid = self.pp.add(hid=hid, relation=relation, sex=sex, birth=birth.toordinal(), region=region, status=status,
                          change_date=change_date, in_hukou=in_hukou and hid is not None, group=group,
                          id_number=id_number)
        self.meta[pid] = (sex, group, birth)
        return pid

    def pp_group(self, pid: int) -> str:
        return self.meta[pid][1] if pid in self.meta else "plain"

    def pp_sex(self, pid: int) -> str:
        return self.meta[pid][0]

    # -- finalisation ------------------------------------------------------------------------------------------
    def people(self) -> pd.DataFrame:
        if self._people is None or len(self._people) != self.pp.n:
            self._people = self.pp.frame()
        return self._people

    def ids(self) -> np.ndarray:
        if self._ids is None or len(self._ids) != self.pp.n:
            self._ids = self.people()["id_number"].to_numpy(dtype=object)
        return self._ids


# -- the plain population --------------------------------------------------------------------------------------
# Household templates: roles H head, S spouse, C child, P parent of the head; (roles, probability within its size).
TEMPLATES = {
    1: [("H", 1.0)],
    2: [("HS", 0.75), ("HC", 0.25)],
    3: [("HSC", 0.85), ("HSP", 0.15)],
    4: [("HSCC", 0.65), ("HSCP", 0.35)],
    5: [("HSCCP", 0.5), ("HSCCC", 0.2), ("HSCPP", 0.3)],
    6: [("HSCCPP", 0.6), ("HSCCCP", 0.4)],
}
SIZE_P = {1: 0.16, 2: 0.24, 3: 0.24, 4: 0.19, 5: 0.11, 6: 0.06}
HEAD_AGE = {"H": (20, 88), "HS": (22, 85), "HC": (38, 80)}  # others: with parents 28–55, with children 26–62


def sample_sizes(rng: np.random.Generator, n_people: int) -> np.ndarray:
    sizes = list(SIZE_P)
    p = np.array([SIZE_P[s] for s in sizes])
    draw = rng.choice(sizes, p=p, size=int(n_people / 3.0) + 50)
    while draw.sum() < n_people:
        draw = np.concatenate([draw, rng.choice(sizes, p=p, size=100)])
    cum = np.cumsum(draw)
    k = int(np.searchsorted(cum, n_people)) + 1
    out = draw[:k].copy()
    out[-1] -= cum[k - 1] - n_people
    return out[out > 0]


def births_for_ages(world: World, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    anniversaries = add_months(np.full(len(ages), np.datetime64(world.as_of, "D")), -12 * ages.astype(np.int64))
    return anniversaries - rng.integers(0, 365, len(ages)).astype("timedelta64[D]")


def build_plain(world: World, n_people: int) -> np.ndarray:
    """Households of ordinary residents; returns their person indexes. Nobody here is registered unemployed."""
    rng = rng_for(world.s.seed, "plain_population")
    towns = world.towns
    sizes = sample_sizes(rng, n_people)
    n_hh = len(sizes)
    # every town gets households even at small sizes: the first households go round the towns
    town_idx = rng.choice(len(towns), p=[t.weight for t in towns], size=n_hh)
    town_idx[: min(n_hh, 3 * len(towns))] = np.arange(min(n_hh, 3 * len(towns))) % len(towns)
    urban = rng.random(n_hh) < np.array([towns[i].urban_share for i in town_idx])
    hids = np.empty(n_hh, dtype=np.int64)
    for i in range(n_hh):  # household numbers per town, in order
        t = towns[town_idx[i]]
        area = "城镇" if urban[i] else "农村"
        pool = t.urban if urban[i] else t.rural
        village = pool[int(rng.integers(0, len(pool)))]
        hids[i] = world.hh.add(town=t.name, village=village, area=area, hh_no=world.hh_number(t.name))
        world.hh_village[int(hids[i])] = village
    # choose a template per household, then make members template by template (vectorised)
    tmpl = np.empty(n_hh, dtype=object)
    for size, options in TEMPLATES.items():
        sel = np.flatnonzero(sizes == size)
        names = [o[0] for o in options]
        tmpl[sel] = rng.choice(names, p=[o[1] for o in options], size=len(sel))
    cols: dict[str, list] = {k: [] for k in ("hid", "role", "age", "male", "order")}
    for name in sorted(set(tmpl)):
        sel = np.flatnonzero(tmpl == name)
        k = len(sel)
        lo, hi = HEAD_AGE.get(name, (28, 55) if "P" in name else (26, 62))
        head_age = rng.integers(lo, hi + 1, k)
        head_male = rng.random(k) < 0.85
        n_parent = 0
        for pos, role in enumerate(name):
            if role == "H":
                age, male = head_age, head_male
            elif role == "S":
                age, male = np.maximum(18, head_age + np.round(rng.normal(0, 3, k)).astype(int)), ~head_male
            elif role == "C":
                age = np.clip(head_age - rng.integers(20, 37, k), 0, None)
                male = rng.random(k) < 0.52
            else:  # P: father first, then mother
                age = np.minimum(98, head_age + rng.integers(22, 35, k))
                male = np.full(k, n_parent == 0 and name.count("P") == 2) | (
                    (name.count("P") == 1) & (rng.random(k) < 0.4))
                n_parent += 1
            cols["hid"].append(hids[sel])
            cols["role"].append(np.full(k, role))
            cols["age"].append(age)
            cols["male"].append(male)
            cols["order"].append(sel * 8 + pos)
    order = np.argsort(np.concatenate(cols["order"]), kind="stable")
    hid = np.concatenate(cols["hid"])[order]
    role = np.concatenate(cols["role"])[order]
    age = np.concatenate(cols["age"])[order].astype(np.int64)
    male = np.concatenate(cols["male"])[order].astype(bool)
    n = len(hid)
    birth = births_for_ages(world, rng, age)
    relation = np.select(
        [role == "H", role == "S", (role == "C") & male, role == "C", (role == "P") & male],
        ["户主", "配偶", "子", "女", "父亲"], "母亲").astype(object)
    # region: natives by birth year; some spouses (and a few others) registered first elsewhere
    native = np.where(birth < np.datetime64(NATIVE_FORMER_BEFORE), world.former_code, world.district_code)
    moved_in = rng.random(n) < np.where(role == "S", 0.15, 0.02)
    other = np.where(rng.random(n) < 0.7, np.array(OTHER_GUANGDONG)[rng.integers(0, 3, n)],
                     np.array(OTHER_PROVINCES)[rng.integers(0, 3, n)])
    region = np.where(moved_in, other, native).astype("U6")
    sex = np.where(male, "男", "女").astype(object)
    # identity numbers: sequence unique per region + birth date, odd for men, even for women
    frame = pd.DataFrame({"region": region, "birth": birth, "male": male})
    groups = frame.groupby(["region", "birth", "male"], sort=False)
    rank = groups.cumcount().to_numpy()
    group = groups.ngroup().to_numpy()
    base = 2 * rng.integers(0, 150, int(group.max()) + 1)[group]  # one random start per region, day and sex
    seq = base + 2 * rank + np.where(male, 1, 2)
    if seq.max() > BULK_SEQ_MAX:  # a crowded day: that group starts from 0
        crowded = np.isin(group, np.unique(group[seq > BULK_SEQ_MAX]))
        seq[crowded] = 2 * rank[crowded] + np.where(male[crowded], 1, 2)
        if seq.max() > BULK_SEQ_MAX:
            raise ValueError("too many people born on one day in one region")
    ids = id_bodies(region, birth, seq)
    # hukou changes: a few moved out or died (the old more often), some without a change date
    r = rng.random(n)
    dead = r < np.where(age >= 70, 0.02, 0.001)
    out_prov = (r >= 0.02) & (r < 0.024)
    out_in = (r >= 0.024) & (r < 0.028)
    status = np.select([dead, out_prov, out_in], ["死亡", "迁出省外", "迁出省内"], "正常").astype(object)
    changed = status != "正常"
    change = np.where(changed & (rng.random(n) < 0.85),
                      np.datetime64(world.as_of, "D") - rng.integers(5, 700, n).astype("timedelta64[D]"),
                      np.datetime64("NaT"))
    change_obj = np.full(n, None, dtype=object)
    has = ~np.isnat(change)
    change_obj[has] = [dt.date.fromordinal(int(x) + EPOCH_ORDINAL) for x in change[has].astype(np.int64)]
    pids = world.pp.extend(hid=hid, relation=relation, sex=sex, birth=birth.astype(np.int64) + EPOCH_ORDINAL,
                           region=region, status=status, change_date=change_obj, in_hukou=np.ones(n, dtype=bool), group=np.full(n, "plain", dtype=object),
                           id_number=ids)
    world.plain_info = pd.DataFrame({"pid": pids, "hid": hid, "age": age, "male": male, "status": status,
                                     "urban": urban[np.searchsorted(hids, hid)], "birth": birth, "role": role})
    return pids


def plain_facts(world: World) -> None:
    """Employment, pensions and department lists for ordinary residents (none of them is screened)."""
    rng = rng_for(world.s.seed, "plain_facts")
    info = world.plain_info
    n = len(info)
    pid = info["pid"].to_numpy()
    age = info["age"].to_numpy()
    male = info["male"].to_numpy()
    urban = info["urban"].to_numpy()
    alive = info["status"].to_numpy() != "死亡"
    birth = info["birth"].to_numpy().astype("datetime64[D]")
    sex = np.where(male, "男", "女")
    base = np.where(male, np.nan, np.where(rng.random(n) < 0.25, 55, 50))
    ret = retirement_dates(birth, sex, base, world.as_of)
    retired = ret <= np.datetime64(world.as_of, "D")
    working = (age >= 18) & ~retired & alive
    companies = world.pools.companies
    # 单位 contributions: one spell per worker, most through the reference month
    unit = working & (rng.random(n) < np.where(urban, 0.55, 0.35))
    k = int(unit.sum())
    start = np.where(rng.random(k) < 0.75, world.hist_start_ym, world.hist_start_ym + rng.integers(1, 20, k))
    end = np.where(rng.random(k) < 0.85, world.as_of_ym, np.minimum(world.as_of_ym, start + rng.integers(0, 18, k)))
    world.spells.extend(pid=pid[unit], start=start, end=end, ctype=np.full(k, "单位", dtype=object),
                        employer=companies[rng.integers(0, len(companies), k)], group=np.full(k, "plain", object))
    flex = working & ~unit & (rng.random(n) < 0.08)
    k = int(flex.sum())
    start = np.where(rng.random(k) < 0.6, world.hist_start_ym, world.hist_start_ym + rng.integers(1, 20, k))
    world.spells.extend(pid=pid[flex], start=start, end=np.full(k, world.as_of_ym), ctype=np.full(k, "灵活就业", object),
                        employer=np.full(k, None, object), group=np.full(k, "plain", object))
    # market entities
    r = rng.random(n)
    roles = np.select([r < 0.045, r < 0.057, r < 0.060, r < 0.066], ["经营者", "法定代表人", "负责人", "股东"], "")
    hh_town = world.hh.frame()["town"].to_numpy()
    for i in np.flatnonzero(working & (roles != "")):
        _plain_entity(world, rng, int(pid[i]), str(roles[i]), str(hh_town[info["hid"].iat[i]]))
    # pensions for many of the retired
    pens = retired & alive & (rng.random(n) < np.where(urban, 0.6, 0.35))
    start = np.minimum(ret[pens], np.datetime64(world.as_of, "D") - np.timedelta64(1, "D"))
    world.pension.extend(pid=pid[pens], start=start, group=np.full(int(pens.sum()), "plain", object))
    # department lists
    dis = rng.random(n) < 0.05
    k = int(dis.sum())
    world.disability.extend(
        pid=pid[dis], dtype=rng.integers(1, 8, k), grade=rng.integers(1, 5, k),
        issue=np.datetime64(world.as_of, "D") - rng.integers(30, 3650, k).astype("timedelta64[D]"),
        status=np.where(rng.random(k) < 0.05, "注销", "有效").astype(object), group=np.full(k, "plain", object))
    hid = info["hid"].to_numpy()
    # 低保: whole households, some periods ended
    first_member = np.r_[True, hid[1:] != hid[:-1]]
    hh_pick = rng.random(n) < np.where(urban, 0.02, 0.04)
    chosen_hh = set(hid[first_member & hh_pick].tolist())
    in_dibao = np.isin(hid, list(chosen_hh)) & alive
    k = int(in_dibao.sum())
    hh_start = {h: np.datetime64(world.as_of, "D") - np.timedelta64(int(rng.integers(60, 1800)), "D")
                for h in sorted(chosen_hh)}
    hh_end = {h: (np.datetime64(world.as_of, "D") - np.timedelta64(int(rng.integers(10, 600)), "D"))
              if rng.random() < 0.2 else np.datetime64("NaT") for h in sorted(chosen_hh)}
    sel_hid = hid[in_dibao]
    starts = np.array([hh_start[h] for h in sel_hid], dtype="datetime64[D]")
    ends = np.array([hh_end[h] for h in sel_hid], dtype="datetime64[D]")
    ends = np.where(ends < starts, np.datetime64("NaT"), ends)
    world.dibao.extend(pid=pid[in_dibao], type=np.where(urban[in_dibao], "城市低保", "农村低保").astype(object),
                       start=starts, end=ends, group=np.full(k, "plain", object))
    # 特困供养: old people living alone
    size1 = np.r_[hid[1:] != hid[:-1], True] & first_member
    tk = size1 & (age >= 65) & alive & (rng.random(n) < 0.08)
    k = int(tk.sum())
    world.dibao.extend(pid=pid[tk], type=np.full(k, "特困供养", object),
                       start=np.datetime64(world.as_of, "D") - rng.integers(100, 3000, k).astype("timedelta64[D]"),
                       end=np.full(k, np.datetime64("NaT")), group=np.full(k, "plain", object))
    # veterans: men, discharged in their twenties
    vet = male & (age >= 24) & (age <= 70) & (rng.random(n) < 0.02)
    k = int(vet.sum())
    discharge = birth[vet] + (rng.integers(20, 25, k) * 365).astype("timedelta64[D]")
    discharge = np.minimum(discharge, np.datetime64(world.as_of, "D") - np.timedelta64(30, "D"))
    cert = np.where(rng.random(k) < 0.05, [f"粤军残字第{x:07d}号" for x in rng.integers(0, 10**7, k)], None)
    world.veteran.extend(pid=pid[vet], discharge=discharge, cert=cert.astype(object),
                         grade=np.where(cert != None, "七级", None).astype(object),
                         group=np.full(k, "plain", object))
    # 原建档立卡: rural households, most members listed
    pov_hh = first_member & ~urban & (rng.random(n) < 0.06)
    pov = np.isin(hid, hid[pov_hh]) & (rng.random(n) < 0.85)
    world.poverty.extend(pid=pid[pov], group=np.full(int(pov.sum()), "plain", object))
    # 失地农民: rural adults
    land = ~urban & (age >= 25) & (rng.random(n) < 0.02)
    k = int(land.sum())
    world.landless.extend(pid=pid[land],
                          date=np.datetime64(world.as_of, "D") - rng.integers(60, 5000, k).astype("timedelta64[D]"),
                          all_lost=np.where(rng.random(k) < 0.85, "是", "否").astype(object),
                          group=np.full(k, "plain", object))
    # 特殊人员
    spec = (age >= 20) & (age <= 65) & (rng.random(n) < 0.003)
    k = int(spec.sum())
    world.special.extend(pid=pid[spec], type=np.array(["刑满释放", "戒毒康复", "精神障碍康复"], dtype=object)[
        rng.integers(0, 3, k)], date=np.datetime64(world.as_of, "D") - rng.integers(30, 3000, k).astype(
        "timedelta64[D]"), group=np.full(k, "plain", object))


def credit_code(rng: np.random.Generator, individual: bool) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    tail = "".join(chars[i] for i in rng.integers(0, len(chars), 10))
    return ("92" if individual else "91") + "441803" + tail


def _plain_entity(world: World, rng: np.random.Generator, pid: int, role: str, town: str) -> None:
    individual = role == "经营者"
    name = world.pools.shop_name(rng, town) if individual else str(
        world.pools.companies[rng.integers(0, len(world.pools.companies))])
    founded = world.as_of - dt.timedelta(days=int(rng.integers(100, 4000)))
    closed_r = rng.random()
    if closed_r < 0.15:
        status, closed = "注销", founded + dt.timedelta(days=int(rng.integers(30, max(31, (world.as_of - founded).days))))
        closed = min(closed, world.as_of - dt.timedelta(days=1))
    elif closed_r < 0.18:
        status, closed = "吊销", None
    else:
        status, closed = "存续", None
    world.market.add(pid=pid, name=name, role=role, status=status, etype="个体工商户" if individual else "企业",
                     credit=credit_code(rng, individual), founded=founded, closed=closed, group="plain")
