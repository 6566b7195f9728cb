"""The second cell of every notebook: validate the papermill parameters and derive the run's dates and folders.

    prepare_demo_data(data_dir)          # explicit: builds the synthetic district only for the demo folder
    setup = validate_parameters(notebook="01", quarter=quarter, as_of=as_of, town=town,
                                data_dir=data_dir, out_dir=out_dir)

Validation has no side effect on the data: it raises ``ValueError`` with a Chinese message on a bad or unknown value
(papermill itself only warns about a parameter the notebook does not declare; this call turns that into an error).
It creates the run's output folders and claims the quarter folder for this data folder. Decisions:

- ``as_of`` blank → the first working day of the quarter. A date outside the quarter is allowed (a late run, a rerun
  of an old quarter) but gives a warning; it must be a real YYYY-MM-DD date.
- Relative ``data_dir``/``out_dir`` are relative to the repository root, whatever the kernel's working folder is
  (the batch runner passes absolute paths).
- A notebook's defaults are the demo set of ``params/demo.yaml`` (quarter, as_of, data and output folders), so a
  notebook opened without arguments works and writes into the demo folder, never into a real quarter.
- A quarter folder records the data folder it was made from (``<quarter>/.jykn/provenance.json``); a run from another
  data folder is refused (``jykn run --replace`` hands the folder over explicitly).
- Extra parameters (``phase`` …) must be declared for the notebook in ``params/notebooks.yaml`` (or the run file named
  by ``$JYKN_NOTEBOOKS``, which the batch runner sets) and are checked against their declared type.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import types
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from jykn_lib.dates import to_date
from jykn_lib.files import atomic_json
from jykn_lib.params import REPO_ROOT, Parameters, load_parameters, load_yaml
from jykn_lib.periods import Quarter
from jykn_lib.runner.registry import (
    BASE_PARAMETERS,
    DISTRICT,
    DISTRICT_DIR,
    REGISTRY_ENV,
    RegistryError,
    load_registry,
)

WORK_DIR_NAME = ".jykn"  # per-scope folder for the run info the manifest collects, logs and the quarter's provenance
PROVENANCE = "provenance.json"
UNKNOWN_TOWN = "镇街不明"  # people with no town in any source: kept, listed in the district outputs

__all__ = ["NotebookSetup", "validate_parameters", "prepare_demo_data", "claim_quarter", "resolve_path", "DISTRICT",
           "DISTRICT_DIR", "UNKNOWN_TOWN"]


@dataclass(frozen=True)
class NotebookSetup:
    notebook: str
    quarter: Quarter
    quarter_str: str
    as_of: dt.date
    town: str
    is_district: bool
    data_dir: Path
    out_root: Path
    scope_dir: Path  # <out>/<quarter>/<town or 区汇总>
    district_dir: Path  # <out>/<quarter>/区汇总
    work_dir: Path  # <out>/<quarter>/区汇总/.jykn
    params: Parameters = field(repr=False, compare=False, default=None)
    extra: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}))

    @property
    def quarter_dir(self) -> Path:
        return self.out_root / self.quarter_str

    @property
    def results_dir(self) -> Path:
        """Kept results (Parquet) of this scope: ``<scope>/results/``."""
        return self.scope_dir / "results"

    def district_results(self, name: str | None = None) -> Path:
        """Kept results of a district run, ``区汇总/results/<name>/`` (default: this notebook's id), which its town runs
        and later steps read (names: jykn_lib.kit.flow.results_name)."""
        return self.district_dir / "results" / (name or self.notebook)

    @property
    def scope_name(self) -> str:
        return DISTRICT_DIR if self.is_district else self.town

    @property
    def as_of_compact(self) -> str:
        """YYYYMMDD, the form used in file names."""
        return self.as_of.strftime("%Y%m%d")

    def output_path(self, name: str) -> Path:
        """``<scope_dir>/<name>``; sub-folders of the name are created."""
        path = self.scope_dir / name
        if not path.resolve().is_relative_to(self.scope_dir.resolve()):
            raise ValueError(f"输出文件名“{name}”不能指向本范围文件夹 {self.scope_dir} 之外。")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def info_path(self) -> Path:
        return self.scope_dir / WORK_DIR_NAME / f"{self.notebook}_info.json"

    def write_info(self, row_counts: Mapping[str, Any] | None = None, figures: Mapping[str, Any] | None = None,
                   timings: Mapping[str, float] | None = None) -> Path:
        """Counts, key figures and the seconds of each step for the run manifest (no personal data: numbers and
        short labels only)."""
        payload = {"row_counts": dict(row_counts or {}), "figures": dict(figures or {}), "timings": dict(timings or {})}
        return atomic_json(self.info_path, payload, personal=False, default=_json_default)


def validate_parameters(
    notebook: str,
    quarter: str,
    as_of: str | dt.date = "",
    town: str = DISTRICT,
    data_dir: str | os.PathLike = "",
    out_dir: str | os.PathLike = "outputs",
    **extra: Any,
) -> NotebookSetup:
    _check_injected(set(BASE_PARAMETERS) | set(extra))
    q = _quarter(quarter)
    day = _as_of(as_of, q)
    params = load_parameters()
    town_name = _town(town, params)
    data = _data_dir(data_dir)
    out = resolve_path(out_dir, "out_dir")
    extras = _extras(notebook, extra)

    district_dir = out / str(q) / DISTRICT_DIR
    scope_dir = district_dir if town_name == DISTRICT else out / str(q) / town_name
    work_dir = district_dir / WORK_DIR_NAME
    claim_quarter(out / str(q), data)
    for folder in (scope_dir, work_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return NotebookSetup(
        notebook=str(notebook),
        quarter=q,
        quarter_str=str(q),
        as_of=day,
        town=town_name,
        is_district=town_name == DISTRICT,
        data_dir=data,
        out_root=out,
        scope_dir=scope_dir,
        district_dir=district_dir,
        work_dir=work_dir,
        params=params,
        extra=types.MappingProxyType(extras),
    )


def prepare_demo_data(data_dir: str | os.PathLike) -> bool:
    """Build the synthetic district of ``params/demo.yaml`` when ``data_dir`` is the demo folder and does not hold it
    yet; any other folder is left alone. True if it was built. The explicit call of a notebook's set-up cell."""
    demo = load_yaml("demo.yaml")
    path = resolve_path(data_dir, "data_dir")
    if path != resolve_path(demo["data_dir"], "data_dir"):
        return False
    from jykn_lib.runner.synthdata import ensure_synthetic_data

    return ensure_synthetic_data(path, people=demo["people"], seed=demo["seed"], as_of=demo["as_of"])


def claim_quarter(quarter_dir: Path, data_dir: Path, replace: bool = False) -> None:
    """Record which data folder a quarter folder is made from; refuse another one unless ``replace``."""
    record = quarter_dir / WORK_DIR_NAME / PROVENANCE
    try:
        made_from = json.loads(record.read_text(encoding="utf-8")).get("data_dir")
    except (OSError, ValueError, AttributeError):
        made_from = None
    if made_from and made_from != str(data_dir) and not replace:
        raise ValueError(
            f"输出文件夹 {quarter_dir} 是用数据文件夹 {made_from} 生成的，本次的数据文件夹是 {data_dir}："
            "为免用其他数据覆盖已有结果，本次未运行。请换一个输出文件夹（out_dir），"
            "或确认要替换后用 jykn run --replace 运行。"
        )
    if made_from != str(data_dir):
        atomic_json(record, {"data_dir": str(data_dir)}, personal=False)


def resolve_path(value: str | os.PathLike, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)) or str(value).strip() == "":
        raise ValueError(f"参数 {name} 应为文件夹路径，而不是 {value!r}。")
    path = Path(str(value).strip()).expanduser()
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


# ------------------------------------------------------------------------------------------------ the checks


def _quarter(value: Any) -> Quarter:
    if isinstance(value, Quarter):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"参数 quarter 必填，应写成 2026Q4 这样的形式，而不是 {value!r}。")
    return Quarter.parse(value)  # raises with a Chinese message


def _as_of(value: Any, q: Quarter) -> dt.date:
    if value is None or (isinstance(value, str) and not value.strip()):
        from jykn_lib.workdays import first_working_day_of_quarter

        return first_working_day_of_quarter(q)
    day = to_date(value, "参数 as_of ")
    if day not in q:
        warnings.warn(
            f"基准日 as_of {day} 不在 {q.label}（{q.start}～{q.end}）之内；按该日期计算。",
            stacklevel=3,
        )
    return day


def _town(value: Any, params: Parameters) -> str:
    if not isinstance(value, str):
        raise ValueError(f"参数 town 应为“{DISTRICT}”或一个镇街名称，而不是 {value!r}。")
    name = unicodedata.normalize("NFKC", value).strip()
    towns = params.town_names()
    if name == DISTRICT or name in towns:
        return name
    raise ValueError(f"未知的镇街“{value}”：town 应为“{DISTRICT}”或以下之一：{'、'.join(towns)}。")


def _data_dir(value: Any) -> Path:
    path = resolve_path(value, "data_dir")
    if path.is_dir():
        return path
    what = "不是文件夹" if path.exists() else "不存在"
    raise ValueError(f"输入数据文件夹 {path} {what}（参数 data_dir，相对路径以仓库根目录 {REPO_ROOT} 为准）。")


def _extras(notebook: Any, extra: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(notebook, str) or not notebook:
        raise ValueError(f"validate_parameters 的 notebook 应为 Notebook 编号（如 \"01\"），而不是 {notebook!r}。")
    if not extra:
        return {}
    try:
        entry = load_registry(os.environ.get(REGISTRY_ENV) or None).get(notebook)
    except RegistryError as exc:
        raise ValueError(f"无法核对 Notebook {notebook} 的参数 {'、'.join(extra)}：{exc}") from None
    unknown = [k for k in extra if k not in entry.parameters]
    if unknown:
        declared = "、".join(entry.parameters) or "（无）"
        raise ValueError(
            f"Notebook {notebook} 不认识参数 {'、'.join(unknown)}：除通用参数外，运行登记表只声明了 {declared}。"
        )
    return {k: entry.parameters[k].coerce(v, k) for k, v in extra.items()}


def _check_injected(known: set[str]) -> None:
    """Papermill only warns about an undeclared parameter; find its injected cell in the kernel history and refuse."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        return
    shell = get_ipython()
    if shell is None:
        return
    for source in reversed(shell.user_ns.get("In") or []):
        if isinstance(source, str) and source.lstrip().startswith("# Parameters"):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return
            names = {
                t.id
                for node in tree.body
                if isinstance(node, (ast.Assign, ast.AnnAssign))
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)
            }
            unknown = sorted(names - known)
            if unknown:
                raise ValueError(
                    f"传入了本 Notebook 不认识的参数：{'、'.join(unknown)}（papermill 只给出警告，这里按错误处理）。"
                    f"可用参数：{'、'.join(sorted(known))}。"
                )
            return


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, Path)):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"无法写入运行信息：{value!r}")
