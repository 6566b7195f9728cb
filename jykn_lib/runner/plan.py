"""A batch request (quarter, data, towns, notebooks …) validated, then expanded into notebook executions.

Each registered notebook gives one district run (town = "全区") if its scopes include ``district`` and one run per
selected town if they include ``town``. A notebook's town runs need its district run to have succeeded (the district
run writes the shared results into ``区汇总/.jykn``); ``after`` in the run file orders whole notebooks.
Output naming is fixed: ``<out>/<quarter>/<town or 区汇总>/<notebook stem>_<quarter>_<town or 区汇总>.ipynb`` (and .html).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from jykn_lib.periods import Quarter
from jykn_lib.runner.registry import (
    DISTRICT,
    DISTRICT_DIR,
    NotebookEntry,
    Registry,
    RegistryError,
    load_registry,
    parse_day,
)

WORK_DIR_NAME = ".jykn"
DATA_SUFFIXES = {".xlsx", ".xls", ".csv"}
KERNEL = "python3"


class RunError(ValueError):
    """A bad request (quarter, town, notebook id, folder …). Messages are Chinese; nothing has run yet."""


@dataclass(frozen=True)
class YearPeriod:
    """The period of a year run (``jykn run --year``): used where a quarter is, its folder ``<out>/<year>/``."""

    year: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    @property
    def label(self) -> str:
        return f"{self.year}年度"

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return str(self.year)


@dataclass
class RunRequest:
    quarter: Quarter | YearPeriod  # YearPeriod: a year run (the year notebooks, into <out>/<year>/)
    data_dir: Path
    out_dir: Path
    as_of: dt.date
    as_of_given: bool
    towns: list[str]
    notebooks: list[NotebookEntry]
    jobs: int
    registry: Registry
    registry_path: Path
    extra: dict[str, Any] = field(default_factory=dict)
    timeout: int | None = None  # seconds per cell; None = no limit
    kernel: str = KERNEL
    skipped_notebooks: list[str] = field(default_factory=list)  # registered but the file is absent
    replace: bool = False  # --replace: take over a quarter folder made from another data folder
    encrypt: bool = False  # --encrypt: workbooks that leave the office are password-protected
    password_file: Path | None = None  # --password-file (the password itself is never on the command line)

    def kernel_env(self) -> dict[str, str | None]:
        """What the kernels must see for ``--encrypt`` (jykn_lib.kit.workbooks reads it); None removes a variable."""
        from jykn_lib.kit.workbooks import ENCRYPT_ENV, PASSWORD_FILE_ENV

        if not self.encrypt:
            return {ENCRYPT_ENV: None}
        env: dict[str, str | None] = {ENCRYPT_ENV: "1"}
        if self.password_file is not None:
            env[PASSWORD_FILE_ENV] = str(self.password_file)
        return env

    @property
    def quarter_dir(self) -> Path:
        return self.out_dir / str(self.quarter)

    def parameters_record(self) -> dict[str, Any]:
        """The request as plain JSON values, for the manifest."""
        return {
            "quarter": str(self.quarter),
            "as_of": self.as_of.isoformat(),
            "as_of_source": "参数 --as-of" if self.as_of_given else "默认：该季度第一个工作日",
            "data_dir": str(self.data_dir),
            "out_dir": str(self.out_dir),
            "towns": list(self.towns),
            "notebooks": [nb.id for nb in self.notebooks],
            "notebooks_not_present": list(self.skipped_notebooks),
            "extra": {k: str(v) for k, v in self.extra.items()},
            "jobs": self.jobs,
            "timeout_seconds": self.timeout,
            "kernel": self.kernel,
            "registry": str(self.registry_path),
            "cwd": "每个 Notebook 在其所在文件夹中执行（与在 JupyterLab 中打开时相同）",
            "replace": self.replace,
            "encrypt": self.encrypt,
            "password_from": (("密码文件" if self.password_file or os.environ.get("JYKN_XLSX_PASSWORD_FILE")
                               else "环境变量 JYKN_XLSX_PASSWORD") if self.encrypt else None),
        }


@dataclass(frozen=True)
class RunSpec:
    """One papermill execution. Plain data, so it can be sent to a worker process."""

    key: str  # "01/区汇总", "01/太和镇"
    notebook_id: str
    title: str
    scope: str  # "district" | "town"
    town: str  # "全区" or the town
    input_path: Path
    output_ipynb: Path
    output_html: Path
    info_path: Path
    parameters: dict[str, Any]
    expected: tuple[str, ...]  # relative to the quarter folder; may contain *
    needs: tuple[str, ...] = ()  # keys that must have succeeded
    after: tuple[str, ...] = ()  # keys that must have finished
    blocked: str | None = None  # why the run cannot start (Chinese), decided before anything runs

    @property
    def scope_name(self) -> str:
        return DISTRICT_DIR if self.town == DISTRICT else self.town

    @property
    def quarter_dir(self) -> Path:
        return self.output_ipynb.parent.parent

    @property
    def label(self) -> str:
        return f"{self.notebook_id} {self.title} · {self.scope_name}"


# ------------------------------------------------------------------------------------------------ the request


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def split_list(value: str | Iterable[str] | None) -> list[str]:
    """"太和镇,山塘镇" (also ，、 ; and spaces) or a list → items, stripped, without blanks or repeats."""
    if value is None:
        return []
    items = re.split(r"[,，、;；\s]+", value) if isinstance(value, str) else [str(v) for v in value]
    out: list[str] = []
    for item in items:
        item = unicodedata.normalize("NFKC", item).strip()
        if item and item not in out:
            out.append(item)
    return out


def prepare_request(
    quarter: str | Quarter,
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike = "outputs",
    *,
    as_of: str | dt.date | None = None,
    towns: str | Iterable[str] | None = None,
    notebooks: str | Iterable[str] | None = None,
    jobs: int | None = None,
    registry: str | os.PathLike | None = None,
    extra: dict[str, Any] | None = None,
    timeout: int | None = None,
    base: str | os.PathLike | None = None,
    replace: bool = False,
    encrypt: bool = False,
    password_file: str | os.PathLike | None = None,
    year: int | None = None,
) -> RunRequest:
    """Validate everything a batch needs before anything runs. Relative folders are relative to ``base`` (default: the
    current folder, as a person typing the command expects). Raises RunError (Chinese).

    ``year`` instead of ``quarter``: a year run of the year notebooks (``period: year``), into ``<out>/<year>/``; they
    read the quarters' kept results under ``out_dir`` (its data folder), and ``as_of`` defaults to 31 December."""
    base = Path(base) if base else Path.cwd()
    out = _folder(out_dir, base)
    given = as_of not in (None, "")
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise RunError(f"--year 应为年份（如 2026），而不是 {year!r}。")
        q = YearPeriod(year)
        data = out  # the kept results of the year's quarters
        with warnings.catch_warnings():  # outside the year is refused just below, not warned about
            warnings.simplefilter("ignore")
            day = _as_of(as_of, q) if given else q.end
        if day not in q:
            raise RunError(f"--as-of：{day} 不在 {q.label}之内。")
    else:
        try:
            q = Quarter.parse(quarter)
        except ValueError as exc:
            raise RunError(f"--quarter：{exc}") from None
        data = _folder(data_dir, base)
        if not data.is_dir():
            raise RunError(f"--data：输入数据文件夹 {data} {'不是文件夹' if data.exists() else '不存在'}。")
        day = _as_of(as_of, q) if given else _first_working_day(q)

    try:
        reg_path = Path(registry) if registry else None
        if reg_path is not None and not reg_path.is_absolute():
            reg_path = base / reg_path
        reg = load_registry(reg_path)
    except RegistryError as exc:
        raise RunError(str(exc)) from None

    from jykn_lib.contract import town_names

    all_towns = town_names()
    wanted = split_list(towns)
    unknown = [t for t in wanted if t not in all_towns]
    if DISTRICT in unknown:
        raise RunError(f"--towns 只选择镇街运行，不必写“{DISTRICT}”：区汇总运行总会进行。")
    if unknown:
        raise RunError(f"--towns：未知的镇街 {'、'.join(unknown)}。清新区的镇街为：{'、'.join(all_towns)}。")
    town_list = [t for t in all_towns if t in wanted] if wanted else list(all_towns)

    chosen, absent = _notebooks(reg, split_list(notebooks), "year" if year is not None else "quarter")

    if jobs is None:
        jobs = default_jobs()
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise RunError(f"--jobs 应为不小于 1 的整数，而不是 {jobs!r}。")
    if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
        raise RunError(f"--timeout 应为正整数（秒），而不是 {timeout!r}。")

    extras = dict(extra or {})
    for name in extras:
        if not any(name in nb.parameters for nb in chosen):
            raise RunError(f"参数 {name} 不属于所选的任何 Notebook（{'、'.join(nb.id for nb in chosen)}）。")
    for nb in chosen:
        for name, value in extras.items():
            if name in nb.parameters:
                try:
                    nb.parameters[name].coerce(value, name)
                except ValueError as exc:
                    raise RunError(f"Notebook {nb.id}：{exc}") from None

    pw_file = _password(encrypt, password_file, base)

    return RunRequest(
        quarter=q,
        data_dir=data,
        out_dir=out,
        as_of=day,
        as_of_given=given,
        towns=town_list,
        notebooks=chosen,
        jobs=jobs,
        registry=reg,
        registry_path=Path(reg.source),
        extra=extras,
        timeout=timeout,
        skipped_notebooks=absent,
        replace=bool(replace),
        encrypt=bool(encrypt),
        password_file=pw_file,
    )


def _password(encrypt: bool, password_file: str | os.PathLike | None, base: Path) -> Path | None:
    """With ``--encrypt`` a password must be there before anything runs: ``--password-file``, else the file named by
    ``$JYKN_XLSX_PASSWORD_FILE``, else ``$JYKN_XLSX_PASSWORD`` (the order the kernels use)."""
    from jykn_lib.io.crypto import DEFAULT_ENV_VAR, PasswordError, password_from_env_or_file
    from jykn_lib.kit.workbooks import PASSWORD_FILE_ENV

    if not encrypt:
        if password_file is not None:
            raise RunError("--password-file 只与 --encrypt 一起使用：不加 --encrypt 时工作簿不加密。")
        return None
    path = None
    if password_file is not None:
        path = Path(password_file).expanduser()
        path = (path if path.is_absolute() else base / path).resolve()
    try:
        password = password_from_env_or_file(DEFAULT_ENV_VAR, path or os.environ.get(PASSWORD_FILE_ENV) or None)
    except PasswordError as exc:
        raise RunError(f"--encrypt：{exc}。") from None
    used = path or (Path(os.environ[PASSWORD_FILE_ENV]) if os.environ.get(PASSWORD_FILE_ENV) else None)
    if used is not None and password and used.stat().st_mode & 0o077:
        warnings.warn(f"密码文件 {used} 其他用户也能读取：建议 chmod 600 {used}。", stacklevel=3)
    if not password:
        raise RunError(
            f"--encrypt：没有密码。请用 --password-file 指定密码文件（第一行为密码），或设置环境变量 {DEFAULT_ENV_VAR}"
            f"（或 {PASSWORD_FILE_ENV} 指向密码文件）。为免密码出现在进程列表和命令历史中，不能在命令行上直接写密码。"
        )
    return path


def _folder(value: str | os.PathLike, base: Path) -> Path:
    if value is None or str(value).strip() == "":
        raise RunError("文件夹路径不能为空。")
    path = Path(str(value).strip()).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def _as_of(value: Any, q: Quarter | YearPeriod) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = parse_day(value)
        except ValueError:
            raise RunError(f"--as-of：“{value}”不是有效日期，应写成 YYYY-MM-DD（如 2026-11-26）。") from None
    if day not in q:
        warnings.warn(f"基准日 {day} 不在 {q.label}（{q.start}～{q.end}）之内；按该日期运行。", stacklevel=3)
    return day


def _first_working_day(q: Quarter) -> dt.date:
    from jykn_lib.workdays import first_working_day_of_quarter

    try:
        return first_working_day_of_quarter(q)
    except ValueError as exc:  # CalendarMissingError is a ValueError with a Chinese message
        raise RunError(f"无法确定 {q.label} 的第一个工作日（默认基准日）：{exc}") from None


def _notebooks(reg: Registry, ids: list[str], period: str = "quarter") -> tuple[list[NotebookEntry], list[str]]:
    if ids:
        unknown = [i for i in ids if i not in reg.ids()]
        if unknown:
            raise RunError(
                f"--notebooks：未登记的 Notebook 编号 {'、'.join(unknown)}；运行登记表 {reg.source} 中有 "
                f"{'、'.join(f'{nb.id}（{nb.title}）' for nb in reg.notebooks)}。"
            )
        other = [nb for nb in reg.notebooks if nb.id in ids and nb.period != period]
        if other:
            how = "按年度运行，请用 --year（如 --year 2026）" if period == "quarter" else "按季度运行，请用 --quarter"
            raise RunError(f"--notebooks：{'、'.join(nb.label for nb in other)} {how}。")
        chosen = [nb for nb in reg.notebooks if nb.id in ids]  # registry order
        missing = [nb for nb in chosen if not nb.path.is_file()]
        if missing:
            raise RunError(
                "Notebook 文件不存在：" + "；".join(f"{nb.id}（{nb.title}）应在 {nb.path}" for nb in missing) + "。"
            )
        return chosen, []
    chosen = [nb for nb in reg.notebooks if nb.path.is_file() and nb.period == period]
    absent = [nb.id for nb in reg.notebooks if not nb.path.is_file() and nb.period == period]
    if not chosen:
        raise RunError(f"运行登记表 {reg.source} 中登记的 Notebook 文件都还不存在，没有可运行的 Notebook。")
    return chosen, absent


# ------------------------------------------------------------------------------------------------ expansion


def build_plan(request: RunRequest) -> list[RunSpec]:
    """The runs of a request, district runs first, in registry order. Pre-flight problems (a required source missing
    from the data folder, a parameter the notebook does not declare) become ``blocked`` runs, not exceptions."""
    present = source_files(request.data_dir)
    runs: list[RunSpec] = []
    keys_of: dict[str, list[str]] = {}
    for nb in request.notebooks:
        blocked = _preflight(nb, request, present)
        nb_runs: list[RunSpec] = []
        after = tuple(k for other in nb.after for k in keys_of.get(other, []))
        district_key = None
        if "district" in nb.scopes:
            spec = _spec(nb, request, DISTRICT, "district", needs=(), after=after, blocked=blocked)
            district_key = spec.key
            nb_runs.append(spec)
        if "town" in nb.scopes:
            for town in request.towns:
                needs = (district_key,) if district_key else ()
                nb_runs.append(
                    _spec(nb, request, town, "town", needs=needs, after=() if district_key else after, blocked=blocked)
                )
        keys_of[nb.id] = [r.key for r in nb_runs]
        runs.extend(nb_runs)
    return runs


def _spec(nb: NotebookEntry, request: RunRequest, town: str, scope: str, *, needs, after, blocked) -> RunSpec:
    q = str(request.quarter)
    scope_name = DISTRICT_DIR if town == DISTRICT else town
    folder = request.quarter_dir / scope_name
    extras = {k: nb.parameters[k].coerce(v, k) for k, v in request.extra.items() if k in nb.parameters}
    named = "".join(f"_{extras.get(k, spec.default)}" for k, spec in nb.parameters.items() if spec.in_name)
    stem = f"{nb.stem}_{q}_{scope_name}{named}"
    base = {"quarter": q, "year": request.quarter.year, "as_of": request.as_of.isoformat(), "town": town,
            "data_dir": str(request.data_dir), "out_dir": str(request.out_dir)}
    parameters: dict[str, Any] = {
        **{k: base[k] for k in nb.parameter_names() if k in base},
        **{k: str(v) if isinstance(v, (Path, dt.date)) else v for k, v in extras.items()},
    }
    values = {name: spec.default for name, spec in nb.parameters.items()} | extras
    fill = {"quarter": q, "year": request.quarter.year, "as_of": request.as_of.strftime("%Y%m%d"), "town": town}
    fill |= {k: v for k, v in values.items()}
    expected = []
    for out in nb.outputs.get(scope, []):
        if all(str(values.get(k)) == str(nb.parameters[k].coerce(v, k)) for k, v in out.when.items()):
            expected.append(out.path.format(**fill))
    return RunSpec(
        key=f"{nb.id}/{scope_name}",
        notebook_id=nb.id,
        title=nb.title,
        scope=scope,
        town=town,
        input_path=nb.path,
        output_ipynb=folder / f"{stem}.ipynb",
        output_html=folder / f"{stem}.html",
        info_path=folder / WORK_DIR_NAME / f"{nb.id}_info.json",
        parameters=parameters,
        expected=tuple(expected),
        needs=tuple(needs),
        after=tuple(after),
        blocked=blocked,
    )


def source_files(data_dir: Path) -> dict[str, list[Path]]:
    """The data folder's files per contract source (subfolders are ignored; dangling links are included)."""
    from jykn_lib.contract import load_contract

    contract = load_contract()
    found: dict[str, list[Path]] = {}
    for path in sorted(data_dir.iterdir()):
        if path.is_dir() or not (path.is_file() or path.is_symlink()):
            continue
        if path.suffix.lower() in DATA_SUFFIXES and not path.name.startswith(("~$", ".")):
            src = contract.match_file(path.name)
            if src is not None:
                found.setdefault(src.name, []).append(path)
    return found


def sources_present(data_dir: Path) -> set[str]:
    """Names of the contract sources that have at least one file in the data folder (subfolders are ignored)."""
    return set(source_files(data_dir))


def unreadable(path: Path) -> str | None:
    """Why a data file cannot be opened (Chinese), or None."""
    from jykn_lib.runner.manifest import unreadable_reason

    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return unreadable_reason(path, exc)
    return None


def _preflight(nb: NotebookEntry, request: RunRequest, present: dict[str, list[Path]]) -> str | None:
    from jykn_lib.contract import load_contract

    contract = load_contract()
    missing = [contract[s].title for s in nb.requires if s not in present]
    if missing:
        return (
            f"数据文件夹缺少必需的来源 {'、'.join(missing)}"
            f"（文件名应以来源名称开头，如 {missing[0]}.xlsx；支持 .xlsx、.xls、.csv）"
        )
    bad = [(s, p, why) for s in nb.requires for p in present[s] if (why := unreadable(p))]
    if bad:
        return "必需的来源有文件无法读取：" + "；".join(
            f"{contract[s].title} 的文件 {p.name}：{why}" for s, p, why in bad
        ) + "。请修正后重新运行"
    declared = _declared_parameters(nb.path)
    if declared is None:
        return "Notebook 没有带 parameters 标签的参数单元格"
    passed = set(nb.parameter_names()) - set(nb.parameters) | {k for k in request.extra if k in nb.parameters}
    not_declared = sorted(passed - declared)
    if not_declared:
        return f"Notebook 的参数单元格没有声明参数 {'、'.join(not_declared)}"
    unregistered = sorted(declared - set(nb.parameter_names()))
    if unregistered:
        return f"参数单元格中的参数 {'、'.join(unregistered)} 没有在运行登记表的 parameters 中登记"
    return None


def _declared_parameters(path: Path) -> set[str] | None:
    """The names the notebook's ``parameters`` cell assigns (None: no such cell). Read from the notebook's JSON
    with ``ast``, as papermill reads them (``name: type = value  # 说明``), without importing papermill in the
    runner's own process (1.4 s before the first run could start); papermill itself when the cell is not valid
    Python."""
    import ast
    import json

    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return _papermill_parameters(path)  # not a notebook we can read: papermill's answer (or its error)
    cell = next((c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return None
    try:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tree = ast.parse(source)
    except (TypeError, KeyError, SyntaxError):
        return _papermill_parameters(path)
    names = set()
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names or None


def _papermill_parameters(path: Path) -> set[str] | None:
    import logging

    import papermill

    logging.getLogger("papermill").setLevel(logging.ERROR)
    names = papermill.inspect_notebook(str(path))
    return set(names) if names else None
