"""The data contract (PRODUCT.md), read from ``params/contract/``: sources, columns, keys and synonyms.

Code names sources and columns by their ASCII ``name``/``field``; people see the Chinese ``title``/``header``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .idcard import make_id
from .params import BASE_LOADER, load_yaml, params_dir

COLUMN_TYPES = {"id", "text", "phone", "date", "period", "enum", "bool", "int_enum", "town", "categories",
                "exit_reason", "list"}
# Columns holding a word from a fixed list: a value the contract does not know rejects its row (never blanked, so
# that neither a default nor the rules' reading of a blank stands in for what the file said).
VOCABULARY_TYPES = {"enum", "bool", "int_enum", "town", "categories", "exit_reason"}

# The templates' example person (``jykn templates``): synthetic and valid, so that the example row reads cleanly, and
# fixed, so that the reader refuses the row wherever it turns up in data (problems rule TEMPLATE_EXAMPLE).
EXAMPLE_ID = make_id("441803", dt.date(1980, 5, 17), 123)  # a man (odd sequence)
# Template file names start with this, which no source title does: a template left in a data folder is never data.
TEMPLATE_PREFIX = "模板_"


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    type: str
    required: bool = False
    values: tuple = ()
    default: Any = None
    true: str | None = None
    false: str | None = None
    synonyms: tuple[str, ...] = ()
    blank_means: str | None = None  # what a blank cell says (结束日期: 仍在享受), in Chinese

    @property
    def strict(self) -> bool:
        """A bad cell rejects its row: the column is required, holds a vocabulary word, or its blank means something
        (a default or ``blank_means``) — blanking the bad cell would put that meaning in place of what the file said."""
        return self.required or self.type in VOCABULARY_TYPES or self.default is not None or bool(self.blank_means)


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    origin: str
    key: str  # "none", "person_unique", "one_active_per_person" or a field name
    columns: tuple[Column, ...]
    resolve: tuple[str, ...] = ()
    resolve_text: str | None = None
    single_file: bool = False
    skip_sheets: tuple[str, ...] = ()  # sheets of these names hold no rows of the source (the ledger's 变更记录)

    def column(self, field_name: str) -> Column:
        for c in self.columns:
            if c.field == field_name:
                return c
        raise KeyError(f"{self.title} 没有字段 {field_name}")

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    @property
    def key_field(self) -> str | None:
        """The field that must be unique (id_number for person_unique sources), or None."""
        if self.key == "none":
            return None
        return "id_number" if self.key in ("person_unique", "one_active_per_person") else self.key

    @property
    def active_only(self) -> bool:
        """Only rows with 状态 有效 must be unique per person (the ledger: one row per recognition)."""
        return self.key == "one_active_per_person"

    def headers(self) -> dict[str, str]:
        """field → Chinese header."""
        return {c.field: c.header for c in self.columns}


@dataclass(frozen=True)
class Contract:
    sources: dict[str, Source]
    required_sources: dict[str, tuple[str, ...]]
    header_synonyms: dict[str, tuple[str, ...]]
    value_synonyms: dict[str, tuple[str, ...]]
    value_ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_title: dict[str, Source] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Source:
        return self.sources[name]

    def source_for_title(self, title: str) -> Source:
        return self.by_title[title]

    def match_file(self, file_name: str) -> Source | None:
        """The source whose title starts the file name (the longest title wins), or None."""
        stem = unicodedata.normalize("NFKC", file_name)
        best = None
        for title, src in self.by_title.items():
            if stem.startswith(title) and (best is None or len(title) > len(best.title)):
                best = src
        return best


_HEADER_STRIP = re.compile(r"[\s*＊※()（）\[\]【】:：]+|必填|选填")


def read_plain_yaml(path: Path) -> dict[str, tuple[str, ...]]:
    """A mapping of words to lists of words, all read as text (BaseLoader): YAML 1.1 would read YES/No/on as
    booleans and lose those words."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=BASE_LOADER) or {}
    return {str(k): tuple(str(x) for x in (v or ())) for k, v in data.items()}


def normalize_header(text: object) -> str:
    """Header text for matching: NFKC (full-width → half-width), no spaces, no required-marks or brackets."""
    if text is None:
        return ""
    return _HEADER_STRIP.sub("", unicodedata.normalize("NFKC", str(text))).strip()


def load_contract(root=None) -> Contract:
    return _load(str(root or params_dir()))


@functools.lru_cache(maxsize=4)
def _load(root: str) -> Contract:
    raw = load_yaml("contract/sources.yaml", root)
    header_syn = {k: tuple(v or ()) for k, v in (load_yaml("contract/header_synonyms.yaml", root) or {}).items()}
    value_syn = read_plain_yaml(Path(root) / "contract" / "value_synonyms.yaml")
    ambiguous_path = Path(root) / "contract" / "value_ambiguous.yaml"
    value_amb = read_plain_yaml(ambiguous_path) if ambiguous_path.exists() else {}
    sources: dict[str, Source] = {}
    for name, item in raw["sources"].items():
        cols = []
        for c in item["columns"]:
            if c["type"] not in COLUMN_TYPES:
                raise ValueError(f"数据契约 {item['title']} 的列 {c['header']} 类型 {c['type']} 未定义")
            cols.append(
                Column(
                    field=c["field"],
                    header=c["header"],
                    type=c["type"],
                    required=bool(c.get("required", False)),
                    values=tuple(c.get("values", ()) or ()),
                    default=c.get("default"),
                    true=c.get("true_word"),
                    false=c.get("false_word"),
                    synonyms=header_syn.get(c["header"], ()),
                    blank_means=c.get("blank_means"),
                )
            )
        sources[name] = Source(
            name=name,
            title=item["title"],
            origin=item.get("origin", ""),
            key=item.get("key", "none"),
            columns=tuple(cols),
            resolve=tuple(item.get("resolve", ()) or ()),
            resolve_text=item.get("resolve_text"),
            single_file=bool(item.get("single_file", False)),
            skip_sheets=tuple(item.get("skip_sheets", ()) or ()),
        )
    required = {str(k): tuple(v) for k, v in (raw.get("required_sources") or {}).items()}
    return Contract(
        sources=sources,
        required_sources=required,
        header_synonyms=header_syn,
        value_synonyms=value_syn,
        value_ambiguous=value_amb,
        by_title={s.title: s for s in sources.values()},
    )


def district() -> dict:
    """params/district.yaml: the district, its towns (name, code, villages)."""
    return load_yaml("district.yaml")


def town_names() -> list[str]:
    return [t["name"] for t in district()["towns"]]
