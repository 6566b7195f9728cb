"""Dated, cited parameters read from ``params/`` (OpenFisca-style: one parameter per YAML file).

A parameter file looks like::

    description: 大龄失业人员：女性年龄下限（周岁，含本数）
    unit: 周岁
    values:
      2023-08-01:
        value: 40
        source: gd_2023_11          # a key of params/sources.yaml
        article: 第一条第（一）项
        status: C                   # C confirmed / P partly confirmed / U unconfirmed (docs/rules.md)
        note: 可选说明

The dotted name of a parameter is its path under ``params/`` without the suffix:
``params/rules/categories/c01/female_min_age.yaml`` is ``rules.categories.c01.female_min_age``.
A new text adds a dated entry; an old value is never edited. Asking for a date before the first entry raises.

A dated entry whose ``value`` is ``null`` ends the parameter (openfisca's convention): a lookup on or after that date
raises, as before the first date. The entry still carries the source and status of the text that ended it.

Only the keys above are allowed (``FILE_KEYS``, ``ENTRY_KEYS``); a misspelt key (``sorce:``) is refused rather than
dropped, and so is a key written twice. Every folder holds an ``index.yaml`` that describes it in Chinese::

    description: 第一条第（一）项 大龄失业人员
    reference: gd_2023_11          # optional: a key (or a list of keys) of params/sources.yaml
    note: 可选说明

``index.yaml`` is not a parameter: the loader reads it into ``Parameters.folders``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

STATUSES = {"C": "已确认", "P": "部分确认", "U": "未确认（默认值）"}

PACKAGE_ROOT = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE_ROOT.parent
_BUNDLED = PACKAGE_ROOT / "_data"  # params/ and notebooks/ copied into the wheel by setup.py


def _in_checkout() -> bool:
    return (_CHECKOUT / "params").is_dir() and (_CHECKOUT / "notebooks").is_dir()


# DATA_ROOT holds params/ and notebooks/: the repository in a checkout (or an editable install), the package's own
# copy in an installed wheel. REPO_ROOT is where relative paths (data_dir, out_dir, params/demo.yaml's folders) are
# resolved: the repository, or for an installed package the folder named by $JYKN_HOME, else the working folder.
DATA_ROOT = _CHECKOUT if _in_checkout() or not (_BUNDLED / "params").is_dir() else _BUNDLED
REPO_ROOT = _CHECKOUT if DATA_ROOT == _CHECKOUT else Path(os.environ.get("JYKN_HOME") or os.getcwd()).resolve()


def params_dir() -> Path:
    """The parameter folder: ``$JYKN_PARAMS`` if set, else ``params/`` of :data:`DATA_ROOT`."""
    env = os.environ.get("JYKN_PARAMS")
    return Path(env) if env else DATA_ROOT / "params"


class ParameterError(ValueError):
    """A parameter file is malformed, or a value was asked for outside its dates. Messages are Chinese."""


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    number: str | None = None
    issuer: str | None = None
    url: str | None = None
    status: str | None = None
    note: str | None = None
    format: str | None = None  # how a citation reads, e.g. "{number}（{article}）" for the district's working rules

    def citation(self, article: str | None = None) -> str:
        """``粤人社规〔2023〕11号 第一条第（一）项`` — the document number (or title) and the article."""
        head = self.number or f"《{self.title}》"
        if article and self.format:
            return self.format.format(number=head, article=article)
        return f"{head} {article}".strip() if article else head


@dataclass(frozen=True)
class Entry:
    start: dt.date
    value: Any
    source: Source
    article: str | None
    status: str
    url: str | None = None
    note: str | None = None

    @property
    def citation(self) -> str:
        return self.source.citation(self.article)


@dataclass
class Parameter:
    name: str
    description: str
    unit: str | None
    entries: list[Entry]
    path: Path
    last_value_still_valid_on: dt.date | None = None
    _starts: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._starts = np.array([np.datetime64(e.start, "D") for e in self.entries])

    @property
    def end(self) -> dt.date | None:
        """The date from which the parameter has no value (a ``null`` last entry), or None while it is in force."""
        return self.entries[-1].start if self.entries[-1].value is None else None

    def entry_at(self, on: dt.date | str | pd.Timestamp) -> Entry:
        day = _to_date(on)
        idx = int(np.searchsorted(self._starts, np.datetime64(day, "D"), side="right")) - 1
        if idx < 0:
            raise ParameterError(
                f"参数 {self.name}（{self.description}）在 {day.isoformat()} 尚无取值："
                f"最早的取值自 {self.entries[0].start.isoformat()} 起生效（文件 {self.path}）。"
            )
        entry = self.entries[idx]
        if entry.value is None:
            raise ParameterError(
                f"参数 {self.name}（{self.description}）自 {entry.start.isoformat()} 起已废止，"
                f"{day.isoformat()} 不再有取值（依据 {entry.citation}；文件 {self.path}）。"
            )
        return entry

    def at(self, on: dt.date | str | pd.Timestamp) -> Any:
        return self.entry_at(on).value

    def at_many(self, dates: pd.Series | np.ndarray) -> np.ndarray:
        """Scalar values in force on each date (vectorised). Raises if any date precedes the first entry or falls
        on or after an end (a ``null`` entry)."""
        days = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]")
        idx = np.searchsorted(self._starts, days, side="right") - 1
        valid = ~np.isnat(days)
        ended = np.array([e.value is None for e in self.entries])[np.clip(idx, 0, None)]
        bad = valid & ((idx < 0) | ended)
        if bad.any():
            self.entry_at(pd.Timestamp(days[bad].min()).date())  # raises with the Chinese message
        values = np.array([e.value for e in self.entries], dtype=object)
        out = values[np.clip(idx, 0, None)]
        try:
            return out.astype(type(self.entries[0].value)) if valid.all() else out
        except (TypeError, ValueError):
            return out

    def constant_over(self, dates: Iterable) -> Any:
        """The one value in force over all ``dates``; raises if it changes between them (list/table values)."""
        arr = (dates.to_numpy() if isinstance(dates, pd.Series) else dates if isinstance(dates, np.ndarray)
               else np.asarray(list(dates)))
        days = arr if arr.dtype.kind == "M" else pd.to_datetime(pd.Series(arr)).to_numpy(dtype="datetime64[D]")
        days = days[~np.isnat(days)]
        if days.size == 0:
            raise ParameterError(f"参数 {self.name}：没有可用的评估日期。")
        lo, hi = days.min().astype("datetime64[D]"), days.max().astype("datetime64[D]")  # the day of the extremes
        first, last = self.entry_at(pd.Timestamp(lo).date()), self.entry_at(pd.Timestamp(hi).date())
        if first is not last:
            raise ParameterError(
                f"参数 {self.name} 在 {pd.Timestamp(lo).date()} 至 {pd.Timestamp(hi).date()} 之间有不同取值，"
                "请按生效日期分段评估。"
            )
        return first.value


@dataclass(frozen=True)
class Folder:
    """A parameter folder as its ``index.yaml`` describes it (``rules.categories.c01``)."""

    name: str
    path: Path
    description: str
    references: tuple[Source, ...] = ()
    note: str | None = None


@dataclass
class Parameters:
    root: Path
    sources: dict[str, Source]
    params: dict[str, Parameter]
    folders: dict[str, Folder] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.params[name]
        except KeyError:
            raise ParameterError(f"没有名为 {name} 的参数（参数目录 {self.root}）。") from None

    def __contains__(self, name: str) -> bool:
        return name in self.params

    def value(self, name: str, on: dt.date | str | pd.Timestamp) -> Any:
        return self[name].at(on)

    def under(self, prefix: str) -> dict[str, Parameter]:
        """Parameters whose dotted name starts with ``prefix.``, keyed by the rest of the name."""
        pre = prefix.rstrip(".") + "."
        return {k[len(pre):]: v for k, v in self.params.items() if k.startswith(pre)}

    def names(self) -> list[str]:
        return sorted(self.params)

    # Everything else read from the same folder, so that a caller holding a Parameters never re-reads the default one.
    def reasons(self, on: dt.date | None = None):
        """Reason codes with their labels rendered from the parameters in force on ``on`` (default: the latest)."""
        from .rules.reasons import load_reasons

        return load_reasons(self, on)

    @property
    def contract(self):
        from .contract import load_contract

        return load_contract(self.root)

    @functools.cached_property
    def district(self) -> dict:
        return load_yaml("district.yaml", self.root)

    def town_names(self) -> list[str]:
        return [t["name"] for t in self.district["towns"]]

    def version(self) -> str:
        """A short digest of every parameter file: the 'version of the rules' recorded in run manifests."""
        import hashlib

        h = hashlib.sha256()
        for path in sorted(self.root.rglob("*.yaml")):
            h.update(str(path.relative_to(self.root)).encode())
            h.update(path.read_bytes())
        return h.hexdigest()[:12]


def _to_date(value: Any) -> dt.date:
    from .dates import to_date

    try:
        return to_date(value)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None


# The keys each kind of file may hold. Anything else is a typo that plain YAML reading would drop silently.
FILE_KEYS = ("description", "unit", "values", "last_value_still_valid_on")
ENTRY_KEYS = ("value", "source", "article", "status", "url", "note")
SOURCE_KEYS = ("title", "number", "issuer", "url", "status", "note", "format")
INDEX_KEYS = ("description", "reference", "note")
INDEX_FILE = "index.yaml"


# libyaml's parser where PyYAML was built with it (the wheels are): several times faster than the pure-Python one,
# and every notebook run reads the whole parameter folder and the contract
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BASE_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class _UniqueKeyLoader(SAFE_LOADER):
    """SafeLoader that refuses a key written twice in one mapping: plain YAML keeps the last and drops the others."""


class RepeatedKeyError(yaml.YAMLError):
    def __init__(self, key: Any, line: int):
        super().__init__(f"第 {line} 行：键“{key}”重复（YAML 只保留最后一个，前面的会被静默丢弃）")


def _mapping_without_repeats(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            repeated = key in seen
        except TypeError:  # an unhashable key: construct_mapping reports it
            break
        if repeated:
            raise RepeatedKeyError(key, key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def read_yaml_strict(path: Path) -> Any:
    """One YAML file, refusing repeated keys; a YAML error becomes a ParameterError naming the file."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        raise ParameterError(f"文件 {path} 无法读取：{err}") from None


def _refuse_unknown(item: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = [str(k) for k in item if k not in allowed]
    if unknown:
        raise ParameterError(
            f"{where}：未知键{'、'.join(f'“{k}”' for k in unknown)}（允许的键：{'、'.join(allowed)}；是否拼写错误？）。"
        )


def _load_sources(root: Path) -> dict[str, Source]:
    path = root / "sources.yaml"
    if not path.exists():
        raise ParameterError(f"缺少文件登记表 {path}。")
    raw = read_yaml_strict(path) or {}
    out = {}
    for key, item in raw.items():
        if not isinstance(item, dict):
            raise ParameterError(f"{path}：来源 {key} 须是映射（title、number、url …）。")
        _refuse_unknown(item, SOURCE_KEYS, f"{path}：来源 {key}")
        if not item.get("title"):
            raise ParameterError(f"{path}：来源 {key} 缺少 title。")
        status = item.get("status")
        if status is not None and status not in STATUSES:
            raise ParameterError(f"{path}：来源 {key} 的 status “{status}”不是 C/P/U 之一。")
        out[key] = Source(
            key=key,
            title=item["title"],
            number=item.get("number"),
            issuer=item.get("issuer"),
            url=item.get("url"),
            status=status,
            note=item.get("note"),
            format=item.get("format"),
        )
    return out


def _load_entry(item: Any, start: dt.date, where: str, sources: dict[str, Source]) -> Entry:
    if not isinstance(item, dict):
        raise ParameterError(f"{where} 在 {start} 的取值须是映射（value、source、status …）。")
    _refuse_unknown(item, ENTRY_KEYS, f"{where} 在 {start} 的取值")
    if "value" not in item:
        raise ParameterError(f"{where} 在 {start} 的取值缺少 value（结束一个参数写 value: null）。")
    src_key = item.get("source")
    if not src_key:
        raise ParameterError(f"{where} 在 {start} 的取值缺少 source（文号、条款和网址的出处）。")
    if src_key not in sources:
        raise ParameterError(f"{where} 在 {start} 引用了未登记的来源 {src_key}（见 params/sources.yaml）。")
    status = item.get("status")
    if status not in STATUSES:
        raise ParameterError(f"{where} 在 {start} 的 status 必须是 C、P 或 U，而不是“{status}”。")
    return Entry(
        start=start,
        value=item["value"],
        source=sources[src_key],
        article=item.get("article"),
        status=status,
        url=item.get("url") or sources[src_key].url,
        note=item.get("note"),
    )


def _load_parameter(path: Path, name: str, sources: dict[str, Source]) -> Parameter:
    raw = read_yaml_strict(path)
    where = f"参数文件 {path}"
    if not isinstance(raw, dict):
        raise ParameterError(f"{where} 不是“键: 值”的映射。")
    _refuse_unknown(raw, FILE_KEYS, where)
    if "values" not in raw:
        raise ParameterError(f"{where} 缺少 values。")
    if not raw.get("description"):
        raise ParameterError(f"{where} 缺少 description（中文说明）。")
    values = raw["values"]
    if not isinstance(values, dict) or not values:
        raise ParameterError(f"{where} 的 values 必须是“生效日期: 取值”的映射，且至少一项。")
    entries = [_load_entry(item, _to_date(key), where, sources) for key, item in values.items()]
    starts = [e.start for e in entries]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ParameterError(f"{where} 的生效日期必须按时间先后排列且不重复：{[s.isoformat() for s in starts]}。")
    if entries[0].value is None:
        raise ParameterError(f"{where} 的第一个取值是 null：null 只能结束一个已有取值的参数。")
    stamp = raw.get("last_value_still_valid_on")
    return Parameter(
        name=name,
        description=raw["description"],
        unit=raw.get("unit"),
        entries=entries,
        path=path,
        last_value_still_valid_on=_to_date(stamp) if stamp else None,
    )


def _load_index(path: Path, name: str, sources: dict[str, Source]) -> Folder:
    raw = read_yaml_strict(path)
    where = f"文件夹说明 {path}"
    if not isinstance(raw, dict):
        raise ParameterError(f"{where} 不是“键: 值”的映射。")
    _refuse_unknown(raw, INDEX_KEYS, where)
    if not raw.get("description"):
        raise ParameterError(f"{where} 缺少 description（此文件夹参数的中文说明）。")
    refs = raw.get("reference") or []
    refs = [refs] if isinstance(refs, str) else list(refs)
    unknown = [r for r in refs if r not in sources]
    if unknown:
        raise ParameterError(f"{where} 的 reference 引用了未登记的来源 {'、'.join(map(str, unknown))}（见 params/sources.yaml）。")
    return Folder(
        name=name,
        path=path.parent,
        description=str(raw["description"]).strip(),
        references=tuple(sources[r] for r in refs),
        note=raw.get("note"),
    )


# Folders under params/ that hold dated parameters; the others (contract, calendar, district, demo, run files)
# are configuration with their own readers.
PARAMETER_FOLDERS = ("rules",)


def load_parameters(root: Path | str | None = None) -> Parameters:
    """Read and validate every parameter file and folder description. Cached per folder."""
    return _load_cached(str(Path(root) if root else params_dir()))


@functools.lru_cache(maxsize=4)
def _load_cached(root_str: str) -> Parameters:
    root = Path(root_str)
    sources = _load_sources(root)
    params: dict[str, Parameter] = {}
    folders: dict[str, Folder] = {}
    for folder in PARAMETER_FOLDERS:
        for path in sorted((root / folder).rglob("*.yaml")):
            if path.name == INDEX_FILE:
                name = ".".join(path.parent.relative_to(root).parts)
                folders[name] = _load_index(path, name, sources)
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            params[name] = _load_parameter(path, name, sources)
    return Parameters(root=root, sources=sources, params=params, folders=dict(sorted(folders.items())))


def load_yaml(relative: str, root: Path | str | None = None) -> Any:
    """Read a configuration YAML under ``params/`` (district, contract, demo …)."""
    path = (Path(root) if root else params_dir()) / relative
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
