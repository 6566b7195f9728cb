"""The declarative run file ``params/notebooks.yaml``: which notebooks exist, for which scopes, what they need and make.

Loaded once per run and validated with pydantic; every problem is reported in Chinese with its place in the file.
Adding a notebook to the batch is one YAML entry. A relative ``file`` is relative to the repository root.

Output patterns are relative to ``<out>/<quarter>/`` and may use ``{quarter}`` (2026Q4), ``{year}`` (2026),
``{as_of}`` (YYYYMMDD), ``{town}`` (town scope only) and the notebook's own extra parameters (``{phase}``).
A ``*`` in a pattern matches any characters (for "one file per applicant" outputs: at least one must be written).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jykn_lib.dates import to_date
from jykn_lib.params import DATA_ROOT, REPO_ROOT, SAFE_LOADER, params_dir

DISTRICT = "全区"  # the town value of a district-wide run
DISTRICT_DIR = "区汇总"  # its folder under <out>/<quarter>/
BASE_PARAMETERS = ("quarter", "as_of", "town", "data_dir", "out_dir")
YEAR_PARAMETERS = ("year", "as_of", "town", "out_dir")  # a year notebook (period: year) reads the year's kept results
REGISTRY_ENV = "JYKN_NOTEBOOKS"  # the runner tells the kernels which run file it used
Scope = Literal["district", "town"]
SCOPE_TITLES = {"district": "区汇总", "town": "镇街"}
COMMON_PLACEHOLDERS = {"quarter", "year", "as_of"}


class RegistryError(ValueError):
    """The run file is missing or invalid. Messages are Chinese."""


def parse_day(text: str) -> dt.date:
    """A date written exactly YYYY-MM-DD (the form of every date parameter); ValueError (Chinese) otherwise."""
    return to_date(text)


def default_registry_path() -> Path:
    return params_dir() / "notebooks.yaml"


class ParamSpec(BaseModel):
    """An extra notebook parameter beyond the five common ones (``phase`` of 02, ``year`` of 04 …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["str", "int", "bool", "date", "path", "choice"]
    default: Any = Field(description="the default written in the notebook's parameters cell")
    choices: list[str] | None = None
    help: str = ""
    in_name: bool = False  # the value is part of the run's file names (02's phase: each phase keeps its own notebook)

    @model_validator(mode="after")
    def _check(self) -> "ParamSpec":
        if self.type == "choice" and not self.choices:
            raise ValueError("type 为 choice 时须列出 choices")
        if self.type != "choice" and self.choices:
            raise ValueError("只有 type 为 choice 的参数才能有 choices")
        self.coerce(self.default, "default")
        return self

    def coerce(self, value: Any, name: str) -> Any:
        """The value in its Python type; ValueError (Chinese) when it does not fit. ``path``/``date`` keep "" as blank."""
        what = f"参数 {name} 的取值 {value!r}"
        if self.type == "choice":
            if str(value) not in self.choices:
                raise ValueError(f"{what} 无效：应为 {'、'.join(self.choices)} 之一。")
            return str(value)
        if self.type == "str":
            if not isinstance(value, str):
                raise ValueError(f"{what} 应为文本。")
            return value
        if self.type == "int":
            if isinstance(value, bool):
                raise ValueError(f"{what} 应为整数。")
            if isinstance(value, int):
                return value
            if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
                return int(value)
            raise ValueError(f"{what} 应为整数。")
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"true", "1", "是", "yes"}:
                return True
            if text in {"false", "0", "否", "no"}:
                return False
            raise ValueError(f"{what} 应为 true/false（是/否）。")
        if self.type == "date":
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            if value == "" or value is None:
                return ""
            try:
                return parse_day(value)
            except ValueError:
                raise ValueError(f"{what} 不是 YYYY-MM-DD 格式的日期。") from None
        # path: "" stays blank (the notebook decides what a blank means); relative → repository root
        if value is None or str(value).strip() == "":
            return ""
        if not isinstance(value, (str, os.PathLike)):
            raise ValueError(f"{what} 应为文件夹或文件路径。")
        path = Path(value).expanduser()
        return path if path.is_absolute() else REPO_ROOT / path


class OutputSpec(BaseModel):
    """An expected output; ``when`` limits it to runs whose extra parameters have these values (02 issue/collect)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    when: dict[str, Any] = {}


class NotebookEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    file: str
    title: str
    scopes: list[Scope]
    requires: list[str] = []
    parameters: dict[str, ParamSpec] = {}
    outputs: dict[Scope, list[OutputSpec]] = {}
    after: list[str] = []
    period: Literal["quarter", "year"] = "quarter"  # year: run by jykn run --year into <out>/<year>/ (04 年度考核)

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f"编号 {value} 应写成带引号的文本（如 \"01\"），否则 YAML 会把 01 读成数字 1")
        return value

    @field_validator("outputs", mode="before")
    @classmethod
    def _plain_patterns(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [{"path": p} if isinstance(p, str) else p for p in (v or [])] for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> "NotebookEntry":
        if not self.scopes:
            raise ValueError("scopes 至少要有 district 或 town 之一")
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("scopes 中有重复项")
        if not self.file.endswith(".ipynb"):
            raise ValueError(f"file “{self.file}” 应是 .ipynb 文件")
        if self.period == "year" and self.scopes != ["district"]:
            raise ValueError("period 为 year 的 Notebook 只能全区运行（scopes: [district]）")
        clash = set(self.parameters) & set(YEAR_PARAMETERS if self.period == "year" else BASE_PARAMETERS)
        if clash:
            raise ValueError(f"parameters 不能重新声明通用参数 {'、'.join(sorted(clash))}")
        for name in self.parameters:
            if not name.isidentifier() or not name.isascii():
                raise ValueError(f"参数名“{name}”应是英文标识符")
        for scope, specs in self.outputs.items():
            if scope not in self.scopes:
                raise ValueError(f"outputs 列出了 {scope} 的输出，但 scopes 中没有 {scope}")
            for spec in specs:
                self._check_pattern(scope, spec)
        for scope in self.scopes:
            if not self.outputs.get(scope):
                raise ValueError(f"outputs 须为 {scope} 列出至少一个预期输出文件（否则无法判断运行是否真的产出了结果）")
        return self

    def _check_pattern(self, scope: str, spec: OutputSpec) -> None:
        pattern = spec.path
        head = DISTRICT_DIR + "/" if scope == "district" else "{town}/"
        if not pattern.startswith(head):
            raise ValueError(f"{scope} 的输出“{pattern}”应以 {head} 开头（写在该范围自己的文件夹中）")
        if ".." in Path(pattern).parts or "\\" in pattern:
            raise ValueError(f"输出“{pattern}”不能含 .. 或反斜杠")
        allowed = COMMON_PLACEHOLDERS | set(self.parameters) | ({"town"} if scope == "town" else set())
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
        except ValueError as exc:
            raise ValueError(f"输出“{pattern}”的花括号不成对：{exc}") from None
        unknown = names - allowed
        if unknown:
            raise ValueError(
                f"输出“{pattern}”用了未知的占位符 {'、'.join('{' + n + '}' for n in sorted(unknown))}；"
                f"可用：{'、'.join('{' + n + '}' for n in sorted(allowed))}"
            )
        for key, value in spec.when.items():
            if key not in self.parameters:
                raise ValueError(f"输出“{pattern}”的 when 引用了未声明的参数 {key}")
            self.parameters[key].coerce(value, key)

    @property
    def path(self) -> Path:
        p = Path(self.file)
        return p if p.is_absolute() else DATA_ROOT / p  # notebooks/ ships with params/ (an installed wheel too)

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def label(self) -> str:
        return f"{self.id} {self.title}"

    def parameter_names(self) -> list[str]:
        return list(YEAR_PARAMETERS if self.period == "year" else BASE_PARAMETERS) + list(self.parameters)


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    notebooks: list[NotebookEntry]
    source: str = ""  # the file it was read from (set by load_registry)

    @model_validator(mode="after")
    def _check(self) -> "Registry":
        ids = [nb.id for nb in self.notebooks]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"Notebook 编号重复：{'、'.join(dup)}")
        files = [nb.stem for nb in self.notebooks]
        dup = sorted({f for f in files if files.count(f) > 1})
        if dup:
            raise ValueError(f"Notebook 文件名重复（输出按文件名命名，必须唯一）：{'、'.join(dup)}")
        for nb in self.notebooks:
            for other in nb.after:
                if other not in ids:
                    raise ValueError(f"Notebook {nb.id} 的 after 引用了未登记的编号 {other}")
        self._check_cycles()
        self._check_sources()
        return self

    def _check_cycles(self) -> None:
        after = {nb.id: set(nb.after) for nb in self.notebooks}
        state: dict[str, int] = {}

        def visit(i: str, chain: list[str]) -> None:
            if state.get(i) == 2:
                return
            if state.get(i) == 1:
                raise ValueError(f"after 形成了循环：{' → '.join(chain + [i])}")
            state[i] = 1
            for j in sorted(after[i]):
                visit(j, chain + [i])
            state[i] = 2

        for i in after:
            visit(i, [])

    def _check_sources(self) -> None:
        from jykn_lib.contract import load_contract

        known = load_contract().sources
        for nb in self.notebooks:
            unknown = [s for s in nb.requires if s not in known]
            if unknown:
                raise ValueError(
                    f"Notebook {nb.id} 的 requires 含数据契约中没有的来源 {'、'.join(unknown)}"
                    f"（可用的来源名见 params/contract/sources.yaml，如 {'、'.join(list(known)[:4])} …）"
                )

    def get(self, notebook_id: str) -> NotebookEntry:
        for nb in self.notebooks:
            if nb.id == notebook_id:
                return nb
        raise RegistryError(
            f"未登记的 Notebook 编号“{notebook_id}”：运行登记表 {self.source or '(未命名)'} 中只有 "
            f"{'、'.join(self.ids()) or '（空）'}。"
        )

    def ids(self) -> list[str]:
        return [nb.id for nb in self.notebooks]


# ------------------------------------------------------------------------------------------------ loading

_TYPE_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段（拼写错误？）",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "只能由英文字母、数字和下划线组成",
    "bool_type": "应为 true 或 false",
    "int_type": "应为整数",
}


def load_registry(path: str | os.PathLike | None = None) -> Registry:
    """Read and validate the run file (default ``params/notebooks.yaml``). Raises RegistryError in Chinese."""
    path = Path(path) if path else default_registry_path()
    if not path.is_file():
        raise RegistryError(f"找不到运行登记表 {path}。")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise RegistryError(f"运行登记表 {path} 不是有效的 YAML：{exc}") from None
    if not isinstance(raw, dict):
        raise RegistryError(f"运行登记表 {path} 的内容应是含 notebooks 列表的映射。")
    raw = {**raw, "source": str(path)}
    try:
        return Registry.model_validate(raw)
    except ValidationError as exc:
        lines = [_describe(err, raw) for err in exc.errors()]
        raise RegistryError(f"运行登记表 {path} 有 {len(lines)} 处错误：\n" + "\n".join(f"  - {x}" for x in lines)) from None


def _describe(err: dict, raw: dict) -> str:
    where: list[str] = []
    node: Any = raw
    for part in err["loc"]:
        if isinstance(part, int):
            ident = node[part].get("id") if isinstance(node, list) and isinstance(node[part], dict) else None
            where.append(f"第{part + 1}项" + (f"（{ident}）" if ident is not None else ""))
        elif part not in ("function-after", "function-before") and not str(part).startswith(("list[", "dict[")):
            where.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    place = " › ".join(where) or "文件整体"
    if err["type"] in ("value_error", "assertion_error"):
        msg = re.sub(r"^(Value|Assertion) error, ", "", err["msg"])
    else:
        msg = _TYPE_MESSAGES.get(err["type"], f"取值无效（{err['type']}）")
        if err["type"] != "missing" and "input" in err:
            msg += f"，实际为 {err['input']!r}"[:120]
    return f"{place}：{msg}"
