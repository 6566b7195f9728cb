"""The background: labelled registered unemployed people, the ledger's people and public-welfare posts, in numbers
proportional to the district's size (applications: :mod:`.applications`).

Each background person is drawn from a small menu of designs (:data:`DESIGNS`) whose outcome is fixed by construction
and stays away from every boundary; boundaries are only in the named cases (:mod:`.cases`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .config import rng_for
from .design import Design, Planter
from .population import World, ym

# (weight, categories, exclusions, hints, extra Design fields). The weights are shares of the registered unemployed.
DESIGNS: list[tuple[float, tuple, tuple, tuple, dict]] = [
    (38, (), (), (), {}),
    (15, ("01",), (), (), {}),
    (7, ("07",), (), (), {}),
    (4, ("01", "07"), (), (), {}),
    (3, ("02",), (), (), {}),
    (1, ("01", "02"), (), (), {}),
    (4, ("03",), (), (), {}),
    (1, ("01", "03"), (), (), {}),
    (3, ("04",), (), (), {}),
    (1, ("01", "04"), (), (), {}),
    (2, ("05",), (), (), {}),
    (2, ("06",), (), (), {}),
    (1, ("08",), (), (), {}),
    (1, ("09",), (), (), {}),
    (1, ("10",), (), (), {}),
    (1.5, ("11",), (), (), {}),
    (0.5, ("07", "11"), (), (), {}),
    (2, (), (), (), {"c07_broken": True}),
    (2, ("01",), ("X_EMP_UNIT",), (), {}),
    (1.5, ("01",), ("X_EMP_MARKET",), (), {}),
    (0.7, ("02",), ("X_NO_ABILITY",), (), {}),
    (0.7, ("01",), ("X_NOT_WILLING",), (), {}),
    (1, ("01",), ("X_RETIRED",), (), {}),
    (1, ("01",), ("X_RETIRED_F50",), (), {}),
    (0.4, ("01",), ("X_HUKOU_OUT",), (), {}),
    (0.3, ("01",), ("X_DECEASED",), (), {}),
    (0.3, ("01",), ("X_HUKOU_UNMATCHED",), (), {}),
    (0.3, ("01",), (), ("H_HUKOU_CHECK",), {}),
    (1, ("01",), (), ("H_FLEX",), {}),
    (0.5, ("01",), (), ("H_SHAREHOLDER",), {}),
    (5, ("01",), (), (), {"screened": False}),
    (1, (), (), (), {"town_blank": True}),
]

# Ledger people still recognised: (weight, categories, ledger kind, exclusions)
LEDGER_DESIGNS = [
    (20, ("01",), "active", ()),
    (12, ("07",), "active", ()),
    (8, ("01", "07"), "active", ()),
    (8, ("02",), "active", ()),
    (10, ("03",), "active", ()),
    (4, ("06",), "active", ()),
    (6, ("01",), "active_unit", ("X_EMP_UNIT",)),
    (3, ("03",), "active_unit", ("X_EMP_UNIT",)),
    (5, ("01",), "active_post", ()),
    (3, ("02",), "active_post", ()),
]
EXIT_REASONS = ["E5", "E5", "E5", "E5", "E1", "E2", "E3", "E4", "E10", "D1", "D2"]

BU_RATE = 0.025  # registered unemployed per resident
LEDGER_RATE = 0.004  # recognised (有效) per resident
EXITED_RATE = 0.0025  # exited during the last year, registration cancelled
REREG_RATE = 0.0008  # exited earlier and registered again
POST_RATE = 1 / 400


def count(rate: float, people: int, minimum: int) -> int:
    return max(minimum, int(round(rate * people)))


def build_background(world: World) -> None:
    rng = rng_for(world.s.seed, "background")
    pl = Planter(world, rng)
    n = world.s.people
    weights = np.array([d[0] for d in DESIGNS], dtype=float)
    picks = rng.choice(len(DESIGNS), p=weights / weights.sum(), size=count(BU_RATE, n, 40))
    for i in picks:
        _, cats, excl, hints, extra = DESIGNS[i]
        extra = dict(extra)
        broken = extra.pop("c07_broken", False)
        d = Design(cats=cats, excl=excl, hints=hints, **extra)
        if broken:
            d.reg_date = world.days_before(int(rng.integers(400, 690)))
        p = pl.plant_labelled(d)
        if broken:  # worked for a while after registering, months before the look-back window: no category 07
            start = ym(p.reg_date) + 2
            end = min(start + int(rng.integers(0, 4)), world.window_start_ym - 2)
            world.spells.add(pid=p.pid, start=start, end=end, ctype="单位",
                             employer=str(world.pools.companies[rng.integers(0, len(world.pools.companies))]),
                             group="bu")
        elif not cats and not excl and not d.town_blank:
            near_misses(pl, p)
    # the ledger
    lw = np.array([d[0] for d in LEDGER_DESIGNS], dtype=float)
    for i in rng.choice(len(LEDGER_DESIGNS), p=lw / lw.sum(), size=count(LEDGER_RATE, n, 20)):
        _, cats, kind, excl = LEDGER_DESIGNS[i]
        pl.plant_labelled(Design(cats=cats, excl=excl, ledger=kind))
    for _ in range(count(REREG_RATE, n, 5)):
        pl.plant_labelled(Design(cats=("01",), ledger="exited"))
    for _ in range(count(EXITED_RATE, n, 10)):
        exited_gone(pl)


def near_misses(pl: Planter, p) -> None:
    """Department records that do NOT give a category, on people designed to have none."""
    w, rng = pl.w, pl.rng
    r = rng.random()
    if r < 0.05:  # 低保 that ended before the reference date
        start = w.days_before(pl.days(400, 1200))
        w.dibao.add(pid=p.pid, type="城市低保" if p.area == "城镇" else "农村低保", start=start,
                    end=w.days_before(pl.days(30, 200)), group="bu")
    elif r < 0.07:
        w.disability.add(pid=p.pid, dtype=int(rng.integers(1, 8)), grade=4, issue=w.days_before(pl.days(400, 3000)),
                         status="注销", group="bu")
    elif r < 0.09:
        w.landless.add(pid=p.pid, date=w.days_before(pl.days(200, 3000)), all_lost="否", group="bu")
    elif r < 0.11 and (w.as_of - p.reg_date).days < 150:  # a veteran registered less than 6 months ago
        w.veteran.add(pid=p.pid, discharge=p.reg_date - dt.timedelta(days=pl.days(400, 2000)), cert=None, grade=None,
                      group="bu")


def exited_gone(pl: Planter) -> None:
    """Someone recognised and exited during the last year; their registration was cancelled at the exit."""
    w, rng = pl.w, pl.rng
    reason = EXIT_REASONS[int(rng.integers(0, len(EXIT_REASONS)))]
    excl: tuple = ()
    if reason == "D1":
        excl = ("X_DECEASED",)
    elif reason == "D2":
        excl = ("X_HUKOU_OUT",)
    d = Design(cats=("01",), excl=excl, screened=False, history_row=False)
    if reason == "E1":
        d.excl = ("X_RETIRED",)
    p = pl.plant(d)
    w.screening[p.pid] = {"town": p.town, "outcome": "not_screened", "categories": [], "reasons": [], "hints": []}
    exit_date = p.cancel_date
    recognised = max(p.reg_date + dt.timedelta(days=10), exit_date - dt.timedelta(days=pl.days(90, 330)))
    recognised = min(recognised, exit_date - dt.timedelta(days=5))
    emp = "单位就业" if reason == "E5" else "未就业"
    pl.ledger_row(d, p, ("01",), recognised, "已退出", exit_date, reason, emp, exit_date if emp != "未就业" else None,
                  w.pp_sex(p.pid))
    pl.services(p, recognised, exit_date)


def build_posts(world: World) -> None:
    """公益性岗位 per town; holders are the ledger's people placed in posts; some vacant, some left."""
    rng = rng_for(world.s.seed, "posts")
    ledger = world.ledger.frame()
    towns = world.towns
    n_posts = count(POST_RATE, world.s.people, 2 * len(towns))
    per_town = {t.name: 1 for t in towns}
    for i in rng.choice(len(towns), p=[t.weight for t in towns], size=n_posts - len(towns)):
        per_town[towns[i].name] += 1
    holders = ledger[(ledger["emp_status"] == "公益性岗位") & (ledger["status"] == "有效")]
    left = ledger[ledger["status"] == "已退出"]
    kinds = ["保洁", "保洁", "保安", "保绿", "其他"]
    serial = 0
    for t in towns:
        mine = holders[holders["town"] == t.name]
        gone = left[left["town"] == t.name]
        n_here = max(per_town[t.name], len(mine) + 1)
        for k in range(n_here):
            serial += 1
            kind = kinds[int(rng.integers(0, len(kinds)))]
            post_id = f"GY{t.code[-3:]}{world.as_of.year}{k + 1:03d}"
            village = t.rural[int(rng.integers(0, len(t.rural)))]
            name = f"{village}{'保洁员' if kind == '保洁' else '治安巡逻员' if kind == '保安' else '护林绿化员' if kind == '保绿' else '公共服务协管员'}"
            holder = start = leave = None
            if k < len(mine):
                row = mine.iloc[k]
                holder, start = int(row["pid"]), row["emp_date"]
            elif k - len(mine) < len(gone) and rng.random() < 0.5:
                row = gone.iloc[k - len(mine)]
                holder = int(row["pid"])
                start = row["recognised"] + dt.timedelta(days=10)
                leave = max(start + dt.timedelta(days=30), row["exit_date"])
            created = (start or world.as_of) - dt.timedelta(days=int(rng.integers(20, 600)))
            world.posts.add(town=t.name, post_id=post_id, category=kind, created=created, name=name, holder=holder,
                            start=start, leave=leave, group="bu")
