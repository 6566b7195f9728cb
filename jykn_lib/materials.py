"""The list of application materials, ``params/materials.yaml`` (status [P], edited by the district): the names clerks
write with their synonyms, what data sharing provides (never asked for), what each category needs.

    m = load_materials(params)      # checked: unknown keys, names, categories and sources are refused in Chinese

Used by the rule family for applications (jykn_lib.rules.applications) and by the synthetic district, which must not
depend on the rules.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .params import ParameterError, Parameters, load_yaml

MATERIALS_FILE = "materials.yaml"


class _MaterialSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    synonyms: list[str] = []
    shared_by: str | None = None


class _MaterialsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    valid_from: dt.date
    source: str
    article: str | None = None
    status: Literal["C", "P", "U"]
    note: str | None = None
    materials: dict[str, _MaterialSpec]
    required: dict[str, list[str]]


def material_key(text: str) -> str:
    """A written material name for matching: full-width → half-width, no spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@dataclass(frozen=True)
class Materials:
    """params/materials.yaml, validated: the list of materials, their synonyms, what data sharing provides, and what
    each category needs."""

    lookup: dict[str, str]  # material_key(written name) → the material's name
    shared_by: dict[str, str]  # material → the contract source that provides it
    required_all: tuple[str, ...]
    by_category: dict[str, tuple[str, ...]]
    order: tuple[str, ...]  # the file's order: lists are written in it
    citation: str
    status: str
    valid_from: dt.date

    def sort(self, names) -> list[str]:
        rank = {n: i for i, n in enumerate(self.order)}
        return sorted(dict.fromkeys(names), key=lambda n: rank.get(n, len(rank)))


def load_materials(params: Parameters) -> Materials:
    """Read and check params/materials.yaml (unknown keys, names, categories and sources refused in Chinese)."""
    cache = params.__dict__.setdefault("_materials_cache", {})
    if "m" in cache:
        return cache["m"]
    where = f"材料清单 {params.root / MATERIALS_FILE}"
    raw = load_yaml(MATERIALS_FILE, params.root)
    try:
        doc = _MaterialsFile.model_validate(raw)
    except ValidationError as err:
        lines = [f"{'.'.join(map(str, e['loc']))}：{e['msg']}" for e in err.errors()]
        raise ParameterError(f"{where} 格式错误：" + "；".join(lines)) from None
    if doc.source not in params.sources:
        raise ParameterError(f"{where} 引用了未登记的来源 {doc.source}（见 params/sources.yaml）。")
    contract = params.contract
    lookup: dict[str, str] = {}
    for name, spec in doc.materials.items():
        if spec.shared_by is not None and spec.shared_by not in contract.sources:
            raise ParameterError(f"{where}：材料“{name}”的 shared_by “{spec.shared_by}”不是数据契约中的来源名。")
        for written in [name, *spec.synonyms]:
            key = material_key(written)
            if key in lookup and lookup[key] != name:
                raise ParameterError(f"{where}：名称“{written}”同时属于“{lookup[key]}”和“{name}”。")
            lookup[key] = name
    codes = {str(k).zfill(2) for k in params["rules.categories.names"].at(doc.valid_from)}
    for key, names in doc.required.items():
        if key != "all" and key not in codes:
            raise ParameterError(f"{where}：required 的键“{key}”应为 all 或两位类别代码。")
        unknown = [n for n in names if n not in doc.materials]
        if unknown:
            raise ParameterError(f"{where}：required.{key} 中的 {'、'.join(unknown)} 不在 materials 中。")
    src = params.sources[doc.source]
    cache["m"] = Materials(
        lookup=lookup,
        shared_by={n: s.shared_by for n, s in doc.materials.items() if s.shared_by},
        required_all=tuple(doc.required.get("all", [])),
        by_category={k: tuple(v) for k, v in doc.required.items() if k != "all"},
        order=tuple(doc.materials),
        citation=src.citation(doc.article),
        status=doc.status,
        valid_from=doc.valid_from,
    )
    return cache["m"]
