"""Calendar quarters: the period every run of the suite is for (``--quarter 2026Q4``).

``Quarter`` is immutable and ordered by (year, quarter). Parsing accepts ``2026Q4``, ``2026q4`` and ``2026-Q4``;
anything else raises ``ValueError`` with a Chinese message naming the expected form.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterator

_PATTERN = re.compile(r"^\s*(\d{4})-?[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    def __post_init__(self) -> None:
        if not (isinstance(self.year, int) and isinstance(self.q, int)) or not (1 <= self.q <= 4):
            raise ValueError(f"季度无效：{self.year!r} 年第 {self.q!r} 季度（季度应为 1 至 4）。")
        if not (1 <= self.year <= 9999):
            raise ValueError(f"季度无效：年份 {self.year!r} 超出范围。")

    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        if isinstance(text, Quarter):
            return text
        m = _PATTERN.match(text) if isinstance(text, str) else None
        if not m:
            raise ValueError(f"无法识别季度“{text}”：应写成 2026Q4 这样的形式（四位年份 + Q + 季度 1–4）。")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        """The quarter containing ``day``."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_month(self) -> int:
        return 3 * (self.q - 1) + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        last = self.first_month + 2
        return dt.date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def months(self) -> list[tuple[int, int]]:
        return [(self.year, self.first_month + i) for i in range(3)]

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.q}季度"

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def quarter_range(first: Quarter | str, last: Quarter | str) -> Iterator[Quarter]:
    """Quarters from ``first`` to ``last``, both included (nothing when ``last`` precedes ``first``)."""
    q, stop = Quarter.parse(first), Quarter.parse(last)
    while q <= stop:
        yield q
        q = q.next()


def first_month_end(q: Quarter | str) -> dt.date:
    """Last calendar day of the quarter's first month (2026Q4 → 2026-10-31)."""
    q = Quarter.parse(q)
    return dt.date(q.year, q.first_month, calendar.monthrange(q.year, q.first_month)[1])
