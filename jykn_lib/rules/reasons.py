"""Reason codes (params/reasons.yaml): each decision of the engine is a code with its Chinese label and its clause."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..params import load_parameters, load_yaml, params_dir

KINDS = ("general", "category", "exclusion", "hint", "exit")


@dataclass(frozen=True)
class Reason:
    code: str
    kind: str
    label: str
    citation: str  # 粤人社规〔2023〕11号 第一条第（一）项
    status: str
    general: str | None = None  # for exclusions: the general condition it defeats (G1…G4)

    def text(self, evidence: str | None = None) -> str:
        """'label：evidence（citation）' — how a reason reads in a workbook."""
        body = f"{self.label}：{evidence}" if evidence else self.label
        return f"{body}（{self.citation}）"


def load_reasons(root=None) -> dict[str, Reason]:
    return _load(str(root or params_dir()))


@functools.lru_cache(maxsize=4)
def _load(root: str) -> dict[str, Reason]:
    raw = load_yaml("reasons.yaml", root)
    sources = load_parameters(root).sources
    out: dict[str, Reason] = {}
    for kind in KINDS:
        for code, item in (raw.get(kind) or {}).items():
            src = sources.get(item["source"])
            if src is None:
                raise ValueError(f"params/reasons.yaml：理由 {code} 引用了未登记的来源 {item['source']}")
            if item.get("status") not in ("C", "P", "U"):
                raise ValueError(f"params/reasons.yaml：理由 {code} 缺少 C/P/U 状态")
            out[code] = Reason(
                code=code,
                kind=kind,
                label=item["label"],
                citation=src.citation(item.get("article")),
                status=item["status"],
                general=item.get("general"),
            )
    return out


def category_code(code: str) -> str:
    """'C07' → '07'."""
    return code[1:] if code.startswith("C") else code


def category_label(two_digit: str) -> str:
    """'07' → '07 连续失业1年以上人员'."""
    return load_reasons()[f"C{two_digit}"].label


def join_labels(codes: str | list[str], sep: str = "、") -> str:
    """'01,07' or ['C01','X_RETIRED'] → Chinese labels joined by 、."""
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c]
    reasons = load_reasons()
    return sep.join(reasons[c if c in reasons else f"C{c}"].label for c in codes)
