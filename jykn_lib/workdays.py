"""Chinese statutory working days (法定工作日), with holidays and make-up working days (调休上班).

Where the calendar comes from, per year:
- years the ``chinesecalendar`` package knows (2004–2026 in version 1.11) come from the package;
- a later (or earlier) year comes from ``params/calendar/<year>.yaml``, transcribed from the State Council's notice
  (国务院办公厅关于<year>年部分节假日安排的通知); the format is in ``params/calendar/README.md``;
- a year covered by neither raises ``CalendarMissingError`` naming the file to add. There is never a silent
  fallback to "Monday to Friday".
The package wins for the years it knows; a file for such a year is not read.

Conventions (chosen here, used by every caller):
- ``add_working_days(day, n)`` for n ≥ 1 is the n-th working day strictly after ``day`` (``day`` itself never
  counts, whether or not it is a working day). For n = 0 it is ``day`` if that is a working day, else the next
  working day — "the first working day on or after ``day``".
- ``working_days_between(start, end)`` counts the working days in the half-open interval (start, end]: ``start``
  is excluded, ``end`` included, so that ``working_days_between(d, add_working_days(d, n)) == n`` for n ≥ 1.
  With ``end`` before ``start`` the count is negative (−count of (end, start]).

Per-year calendars are cached per parameter folder; call ``clear_cache()`` after editing a calendar file in place.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import chinese_calendar
import numpy as np
import yaml

from jykn_lib.dates import to_date, to_day_array
from jykn_lib.params import SAFE_LOADER, ParameterError, load_parameters, params_dir
from jykn_lib.periods import Quarter, first_month_end

ONE_DAY = dt.timedelta(days=1)
_PKG_YEARS = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)


class CalendarError(ParameterError):
    """A holiday calendar is missing or malformed. Messages are Chinese."""


class CalendarMissingError(CalendarError):
    """No calendar for a year: neither chinesecalendar nor ``params/calendar/<year>.yaml`` covers it."""


class CalendarFileError(CalendarError):
    """``params/calendar/<year>.yaml`` is malformed."""


def calendar_dir() -> Path:
    return params_dir() / "calendar"


def notice_title(year: int) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


def clear_cache() -> None:
    _year_flags.cache_clear()


# ---------------------------------------------------------------- per-year calendars


def year_flags(year: int) -> np.ndarray:
    """Read-only boolean array, one entry per day of ``year`` (index 0 = 1 January): True on working days."""
    return _year_flags(int(year), str(calendar_dir()))


@functools.lru_cache(maxsize=128)
def _year_flags(year: int, folder: str) -> np.ndarray:
    if _PKG_YEARS[0] <= year <= _PKG_YEARS[1]:
        days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(_days_in(year))]
        flags = np.array([chinese_calendar.is_workday(d) for d in days], dtype=bool)
    else:
        path = Path(folder) / f"{year}.yaml"
        if not path.exists():
            raise CalendarMissingError(
                f"缺少 {year} 年的节假日安排：chinesecalendar 只收录 {_PKG_YEARS[0]}–{_PKG_YEARS[1]} 年，"
                f"参数目录中也没有 params/calendar/{year}.yaml（应在 {path}）。"
                f"请按《{notice_title(year)}》（通常于上一年 11 月前后在中国政府网 www.gov.cn 发布）添加该文件，"
                f"格式见 params/calendar/README.md。系统不会只按周末推算工作日。"
            )
        flags = file_flags(path, year)
    flags.setflags(write=False)
    return flags


def file_flags(path: Path, year: int) -> np.ndarray:
    """Working flags of ``year`` from a calendar file: weekdays work unless a holiday; weekends rest unless make-up."""
    holidays, makeup = read_year_file(path, year)
    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(_days_in(year))]
    return np.array([(d.weekday() < 5 or d in makeup) and d not in holidays for d in days], dtype=bool)


def _days_in(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def read_year_file(path: Path, year: int) -> tuple[set[dt.date], set[dt.date]]:
    """Validate a calendar file; return (holiday dates, make-up working days)."""
    where = f"节假日文件 {path}"

    def fail(msg: str) -> CalendarFileError:
        return CalendarFileError(f"{where}：{msg}（格式见 params/calendar/README.md）")

    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2027-13-03
        raise fail(f"不是有效的 YAML，或含有不存在的日期：{exc}") from None
    if not isinstance(raw, dict):
        raise fail("内容应是包含 year、source、holidays、makeup_workdays 的映射")
    if raw.get("year") != year:
        raise fail(f"year 应为 {year}（与文件名一致），而不是 {raw.get('year')!r}")
    src = raw.get("source")
    if not isinstance(src, dict) or not src.get("title") or not (src.get("number") or src.get("url")):
        raise fail(f"source 须写明通知标题 title（《{notice_title(year)}》）及文号 number 或网址 url")
    for key in ("holidays", "makeup_workdays"):
        if not isinstance(raw.get(key), list):
            raise fail(f"缺少列表 {key}（没有调休上班日时写 makeup_workdays: []）")
    if not raw["holidays"]:
        raise fail("holidays 不能为空")

    def day(value: Any, what: str) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if not isinstance(value, dt.date):
            raise fail(f"{what} 的日期 {value!r} 不是 YYYY-MM-DD 格式")
        if value.year != year:
            raise fail(f"{what} 的日期 {value} 不在 {year} 年内")
        return value

    holidays: set[dt.date] = set()
    for i, item in enumerate(raw["holidays"], start=1):
        if not isinstance(item, dict) or not item.get("name"):
            raise fail(f"holidays 第 {i} 项须有 name（节日名称）")
        what = f"假日“{item['name']}”"
        if "date" in item:
            first = last = day(item["date"], what)
        elif "from" in item and "to" in item:
            first, last = day(item["from"], what), day(item["to"], what)
        else:
            raise fail(f"{what} 须写 date，或 from 和 to")
        if last < first:
            raise fail(f"{what} 的 to（{last}）早于 from（{first}）")
        span = {first + dt.timedelta(days=k) for k in range((last - first).days + 1)}
        if span & holidays:
            raise fail(f"{what} 与前面的假日重复：{', '.join(str(d) for d in sorted(span & holidays))}")
        holidays |= span

    makeup: set[dt.date] = set()
    for i, item in enumerate(raw["makeup_workdays"], start=1):
        if not isinstance(item, dict) or "date" not in item:
            raise fail(f"makeup_workdays 第 {i} 项须有 date")
        d = day(item["date"], f"调休上班日第 {i} 项")
        if d in holidays:
            raise fail(f"{d} 既列为假日又列为调休上班日")
        if d.weekday() < 5:
            raise fail(f"调休上班日 {d} 不是周六或周日（工作日本来就上班，请核对通知）")
        if d in makeup:
            raise fail(f"调休上班日 {d} 重复")
        makeup.add(d)
    return holidays, makeup


# ---------------------------------------------------------------- scalar API


def is_working_day(day) -> bool:
    d = to_date(day)
    return bool(year_flags(d.year)[d.timetuple().tm_yday - 1])


def next_working_day(day) -> dt.date:
    """The first working day strictly after ``day``."""
    return add_working_days(day, 1)


def add_working_days(day, n: int) -> dt.date:
    """The n-th working day strictly after ``day`` (n ≥ 1); n = 0: ``day`` if working, else the next working day."""
    if int(n) != n or n < 0:
        raise ValueError(f"工作日天数应为非负整数，而不是 {n!r}。")
    d = to_date(day)
    if n == 0:
        return d if is_working_day(d) else add_working_days(d, 1)
    remaining = int(n)
    while remaining:
        d += ONE_DAY
        remaining -= is_working_day(d)
    return d


def working_days_between(start, end) -> int:
    """Working days in (start, end]; negative when ``end`` precedes ``start``."""
    return int(working_days_between_many([to_date(start)], [to_date(end)])[0])


def _on_or_before(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day -= ONE_DAY
    return day


def first_working_day_of_quarter(q: Quarter | str) -> dt.date:
    return add_working_days(Quarter.parse(q).start, 0)


def last_working_day_of_first_month(q: Quarter | str) -> dt.date:
    return _on_or_before(first_month_end(q))


AUDIT_RULES = {
    "first_working_day_of_quarter": first_working_day_of_quarter,
    "last_working_day_of_first_month": last_working_day_of_first_month,
}


def audit_dates(q: Quarter | str, params=None) -> tuple[dt.date, dt.date]:
    """(issue date, return due date) of the quarterly verification, by the rules named in params ``rules.audit``."""
    q = Quarter.parse(q)
    params = params or load_parameters()
    out = []
    for name in ("rules.audit.issue_rule", "rules.audit.return_rule"):
        rule = params.value(name, on=q.start)
        if rule not in AUDIT_RULES:
            raise ParameterError(
                f"参数 {name} 的取值“{rule}”不是已知的日期规则，应为 {'、'.join(AUDIT_RULES)} 之一"
                f"（文件 {params[name].path}）。"
            )
        out.append(AUDIT_RULES[rule](q))
    return out[0], out[1]


# ---------------------------------------------------------------- vectorised API


def _span(days: np.ndarray) -> tuple[np.datetime64, np.ndarray]:
    """Jan 1 of the first year among ``days`` and the working flags of every year from it to the last one."""
    years = days[~np.isnat(days)].astype("datetime64[Y]").astype(np.int64) + 1970
    if years.size == 0:
        return np.datetime64("1970-01-01", "D"), np.zeros(0, dtype=bool)
    y0, y1 = int(years.min()), int(years.max())
    flags = np.concatenate([year_flags(y) for y in range(y0, y1 + 1)])
    return np.datetime64(f"{y0:04d}-01-01", "D"), flags


def working_day_mask(dates) -> np.ndarray:
    """Boolean array: True where the date is a working day (False for blanks). Every year present must be known."""
    days = to_day_array(dates)
    origin, flags = _span(days)
    out = np.zeros(days.shape[0], dtype=bool)
    ok = ~np.isnat(days)
    out[ok] = flags[(days[ok] - origin).astype(np.int64)]
    return out


def working_days_between_many(starts, ends) -> np.ndarray:
    """Vectorised ``working_days_between`` over aligned arrays; float, NaN where either date is blank.

    Every year from the earliest to the latest date must be known (a gap year raises).
    """
    s, e = to_day_array(starts), to_day_array(ends)
    if s.shape != e.shape:
        raise ValueError(f"起止日期个数不一致：{s.shape[0]} 与 {e.shape[0]}。")
    origin, flags = _span(np.concatenate([s, e]))
    cum = np.concatenate([[0], np.cumsum(flags)])  # cum[i] = working days before index i
    out = np.full(s.shape[0], np.nan)
    ok = ~(np.isnat(s) | np.isnat(e))
    si = (s[ok] - origin).astype(np.int64)
    ei = (e[ok] - origin).astype(np.int64)
    out[ok] = cum[ei + 1] - cum[si + 1]
    return out


def add_working_days_many(days, n, unknown: str = "raise") -> np.ndarray:
    """Vectorised ``add_working_days`` (``datetime64[D]``; NaT stays NaT): for n ≥ 1 the n-th working day strictly
    after each date, for n = 0 the date itself if it is a working day, else the next one.

    The calendar is read from the first year among the dates up to the year each result falls in; a year that is
    needed and unknown raises ``CalendarMissingError`` (a year that is not needed is never read). With
    ``unknown="nat"`` a result that would fall in an unknown year is NaT instead (for dates that only matter when they
    come before a known one: a due date after the last day the calendar knows is simply "later").
    """
    if unknown not in ("raise", "nat"):
        raise ValueError(f"unknown 应为 raise 或 nat，而不是 {unknown!r}。")
    d = to_day_array(days)
    steps = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
    if (steps < 0).any():
        raise ValueError("工作日天数应为非负整数。")
    out = np.full(d.shape[0], np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnat(d)
    if not ok.any():
        return out
    origin, flags = _span(d)
    idx = (d[ok] - origin).astype(np.int64)
    k = steps[ok]
    while True:
        cum = np.cumsum(flags)  # cum[i] = working days in [origin, origin + i]
        base = cum[idx] - np.where(k == 0, flags[idx], 0)
        target = base + np.maximum(k, 1)
        if target.max() <= cum[-1]:
            break
        next_year = int(str(origin + np.timedelta64(len(flags), "D"))[:4])
        try:
            flags = np.concatenate([flags, year_flags(next_year)])
        except CalendarMissingError:
            if unknown == "raise":
                raise
            break
    known = target <= cum[-1]
    res = np.full(len(target), np.datetime64("NaT"), dtype="datetime64[D]")
    res[known] = origin + np.searchsorted(cum, target[known], side="left").astype("timedelta64[D]")
    out[ok] = res
    return out
