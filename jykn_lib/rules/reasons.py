"""Reason codes (params/reasons.yaml): each decision of the engine is a code with its Chinese label and its clause.

Labels are rendered from the parameters in force on a date: a label never restates a number that a dated parameter
holds, it names the parameter instead, so that a new document changes the decision and the words together::

    X_UNDER_AGE: {label: "未满{rules.general.working_age_min}周岁", …}          → 未满16周岁
    X_RETIRED_F50: {label: "…按女职工{rules.retirement.schedule:female50.base_age}岁基准…"}

``{name}`` is a parameter's value; ``{name:key.sub}`` a key inside a table value. Category labels are the two-digit
code with the name from ``rules.categories.names``, exit labels the names of ``rules.exits.names`` (rendered the same
way), so neither is written twice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..params import ParameterError, load_yaml

if TYPE_CHECKING:
    from ..params import Parameters

KINDS = ("general", "category", "exclusion", "hint", "exit")  # the engine's kinds; the notebooks' files add their own


def reason_files(root) -> list:
    """params/reasons.yaml (the engine's codes), then each notebook's own codes in params/reasons/*.yaml."""
    from pathlib import Path

    root = Path(root)
    return [root / "reasons.yaml", *sorted((root / "reasons").glob("*.yaml"))]
_PLACEHOLDER = re.compile(r"\{([a-z0-9_.]+)(?::([a-z0-9_.]+))?\}")


@dataclass(frozen=True)
class Reason:
    code: str
    kind: str
    template: str  # the label as written, {parameter} placeholders unrendered
    citation: str  # 粤人社规〔2023〕11号 第一条第（一）项
    status: str
    general: str | None = None  # for exclusions: the general condition it defeats (G1…G4)
    params: "Parameters | None" = field(default=None, repr=False, compare=False)
    on: dt.date | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """The label rendered on the date it was loaded for — only when it is read, so a code whose parameter starts
        later than that date does no harm until someone shows it (then the lookup raises in Chinese, as it should)."""
        if self.params is None or "{" not in self.template:
            return self.template
        return render(self.template, self.params, self.on)

    def text(self, evidence: str | None = None) -> str:
        """'label：evidence（citation）' — how a reason reads in a workbook."""
        body = f"{self.label}：{evidence}" if evidence else self.label
        return f"{body}（{self.citation}）"


def render(template: str, params: "Parameters", on: dt.date) -> str:
    """Replace every ``{parameter}`` / ``{parameter:key.sub}`` by its value in force on ``on``."""

    def one(m: re.Match) -> str:
        value = params[m.group(1)].at(on)
        for key in (m.group(2) or "").split(".") if m.group(2) else ():
            if not isinstance(value, dict) or key not in value:
                raise ParameterError(f"标签“{template}”引用的 {m.group(0)} 在参数中没有键 {key}。")
            value = value[key]
        return str(value)

    return _PLACEHOLDER.sub(one, str(template))


def placeholders(template: str) -> list[str]:
    """The parameter names a label refers to."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(str(template))]


def load_reasons(params: "Parameters | None" = None, on: dt.date | None = None) -> dict[str, Reason]:
    """Every reason code, labels rendered on ``on`` (default: the latest value of each parameter)."""
    if params is None:
        from ..params import load_parameters

        params = load_parameters()
    return _load(params, on)


def _latest(params: "Parameters") -> dt.date:
    return max(e.start for p in params.params.values() for e in p.entries)


def _build(params: "Parameters", on: dt.date) -> dict[str, Reason]:
    sources = params.sources
    categories = {str(k).zfill(2): str(v) for k, v in params["rules.categories.names"].at(on).items()}
    exits = {str(k): str(v) for k, v in params["rules.exits.names"].at(on).items()}
    out: dict[str, Reason] = {}
    for path in reason_files(params.root):
        raw = load_yaml(str(path.relative_to(params.root)), params.root) or {}
        for kind, items in raw.items():
            for code, item in (items or {}).items():
                where = f"{path.relative_to(params.root)}：理由 {code}"
                if code in out:
                    raise ValueError(f"{where} 重复（已在其他理由文件中定义）")
                src = sources.get(item.get("source"))
                if src is None:
                    raise ValueError(f"{where} 引用了未登记的来源 {item.get('source')}")
                if item.get("status") not in ("C", "P", "U"):
                    raise ValueError(f"{where} 缺少 C/P/U 状态")
                if kind == "category":
                    template = f"{code[1:]} {categories[code[1:]]}"
                elif kind == "exit" and "label" not in item:
                    template = exits[code]
                else:
                    template = item["label"]
                out[code] = Reason(code=code, kind=kind, template=str(template),
                                   citation=src.citation(item.get("article")), status=item["status"],
                                   general=item.get("general"), params=params, on=on)
    return out


def _load(params: "Parameters", on: dt.date | None) -> dict[str, Reason]:
    day = on or _latest(params)
    if isinstance(day, dt.datetime):
        day = day.date()
    cache = params.__dict__.setdefault("_reasons_cache", {})  # per parameter set and date
    if day not in cache:
        cache[day] = _build(params, day)
    return cache[day]


def category_code(code: str) -> str:
    """'C07' → '07'."""
    return code[1:] if code.startswith("C") else code


def category_names(params: "Parameters", on: dt.date | None = None) -> dict[str, str]:
    """'07' → '07 连续失业1年以上人员', every category."""
    return {k[1:]: r.label for k, r in load_reasons(params, on).items() if r.kind == "category"}


def application_only(params: "Parameters", on: dt.date) -> list[str]:
    """Categories decided only on application (never found by data screening)."""
    return [str(c).zfill(2) for c in params["rules.categories.by_application_only"].at(on)]


def join_labels(codes: str | list[str], reasons: dict[str, Reason], sep: str = "、") -> str:
    """'01,07' or ['C01','X_RETIRED'] → Chinese labels joined by 、."""
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c]
    return sep.join(reasons[c if c in reasons else f"C{c}"].label for c in codes)
