"""synth_manifest.json: the answer key (named cases, a label for every person with a 失业登记 row, the exit labels of
everyone recognised on the reference date, pending applications) and every planted fault, plus the files written.

UTF-8, ``ensure_ascii=False``, sorted keys, indent 1: the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .. import __version__
from ..contract import load_contract
from ..materials import load_materials
from ..params import load_parameters
from .faults import KINDS, MIN_COUNT, RATES, TEXT_STYLES
from .population import World
from .returns import manifest_entries as town_truth
from .writers import ROW_LIMITS, FileSpec, rows_in_file

MANIFEST_NAME = "synth_manifest.json"
LABEL_KEYS = ("town", "outcome", "categories", "reasons", "hints")

CONVENTIONS = [
    ("screening_labels 覆盖每个在失业登记中有行的人（含只有一条且身份证号无法使用的行的人：not_screened）；"
     "outcome 按 docs/engine_rules.md 在 as_of 判定：candidate / excluded / no_category / not_screened。"),
    "categories 为两位类别代码；excluded 的 categories 是已符合的类别，reasons 列出全部排除理由；no_category 的人没有排除理由和提示。",
    "exit_labels 覆盖台账中在 as_of 有效的每个人（认定日期不晚于 as_of，且状态有效或退出日期晚于 as_of），值为按数据应提示的退出情形。",
    ("town_truth：只有镇街知道的情况（移居境外、判刑、虚假材料、骗取补助、联系上仍符合、女性55岁基准、联系不上等），"
     "键为身份证号，quarter 为信号首次出现的季度，answer 为镇街核实后应填的答案；来自埋入方式，不来自规则引擎。"),
    ("faults 的 row 为打开文件时看到的行号（从1起，含标题行和表头行）；CSV 的 sheet 为 null；"
     "header_synonym、title_row 的 row 为表头所在行。"),
    "duplicate_conflict 的 chosen_row 按 params/contract/sources.yaml 的 resolve 规则选出。",
    ("id_numeric / id_numeric_check_ok：单元格为数字（Excel 只保留15位有效数字，末三位为0）；value 为保留下来的数字，"
     "id_numeric_check_ok 的数字恰好通过校验码。"),
    "合成数据：姓名、电话、企业名称来自 Faker（zh_CN），身份证号按 GB 11643 规则生成，均非真实个人信息。",
    ("ledger_findings 覆盖 03 台账检查的每个埋入案例（cases 中 lr_ 开头的）：该人在问题清单中的全部问题代码（不含即将到期事项）；"
     "ledger_review 另有 upcoming（即将到期事项）、policies（应推送的政策代码）、post_findings（按岗位编号）、"
     "post_reports（各镇报送情况：on_time/late/missing）。"
     "台账行无法读取的（L_ID_INVALID、L_REQUIRED）由 faults 中同名 case 给出文件和行号。"),
]


def _clean_label(label: dict) -> dict:
    return {k: label[k] for k in LABEL_KEYS}


def totals(labels: dict[str, dict]) -> dict:
    outcomes = Counter(v["outcome"] for v in labels.values())
    by_town: dict[str, dict[str, int]] = {}
    for v in labels.values():
        if v["outcome"] == "candidate":
            t = by_town.setdefault(v["town"], {})
            for c in v["categories"]:
                t[c] = t.get(c, 0) + 1
    return {
        "screened": sum(n for k, n in outcomes.items() if k != "not_screened"),
        "candidates": outcomes.get("candidate", 0),
        "excluded": outcomes.get("excluded", 0),
        "no_category": outcomes.get("no_category", 0),
        "not_screened": outcomes.get("not_screened", 0),
        "candidates_by_town_category": by_town,
    }


def _materials() -> dict:
    """What applicants hand in (params/materials.yaml), without what data sharing provides."""
    m = load_materials(load_parameters())
    keep = [x for x in m.required_all if x not in m.shared_by]
    return {"base": keep, "by_category": {c: [x for x in v if x not in m.shared_by] for c, v in m.by_category.items()},
            "shared_by": dict(m.shared_by)}


def build(world: World, specs: list[FileSpec], faults: list[dict]) -> dict:
    ids = world.ids()
    s = world.s
    labels = {ids[pid]: _clean_label(lab) for pid, lab in world.screening.items()}
    notes = {ids[pid]: lab["note"] for pid, lab in world.screening.items() if "note" in lab}
    cases = []
    for c in world.cases:
        c = dict(c)
        pid = c.pop("pid")
        c["id_number"] = ids[pid]
        cases.append(c)
    apps = []
    for a in world.app_keys:
        a = dict(a)
        a["id_number"] = ids[a.pop("pid")]
        apps.append(a)
    people = world.people()
    hh = world.hh.frame()
    in_hukou = people[people["in_hukou"].astype(bool)]
    towns = hh["town"].to_numpy()[in_hukou["hid"].to_numpy(dtype=int)]
    contract = load_contract()
    faults = sorted(faults, key=lambda f: (f["file"], f["row"], f["kind"], f.get("column") or ""))
    return {
        "generator": {"name": "jykn synth", "version": __version__, "seed": s.seed, "people": s.people,
                      "as_of": s.as_of.isoformat(), "export_date": s.export_date.isoformat()},
        "row_limits": dict(ROW_LIMITS),
        "sources": {src.title: name for name, src in contract.sources.items()},
        "files": [{"file": sp.name, "source": sp.title_cn, "format": sp.fmt,
                   "encoding": sp.encoding if sp.fmt == "csv" else None, "sheet": sp.sheet,
                   "title_row": bool(sp.title), "header_row": sp.header_row, "rows": rows_in_file(sp),
                   "sha256": sp.sha256} for sp in specs],
        "population": {
            "residents": len(in_hukou),
            "households": len(hh),
            "residents_by_town": dict(sorted(Counter(towns.tolist()).items())),
            "registered_unemployed": len(labels),
            "ledger_active": len(world.exits),
        },
        "cases": cases,
        "screening_labels": labels,
        "screening_notes": notes,
        "screening_totals": totals(labels),
        "exit_labels": {ids[pid]: list(v) for pid, v in world.exits.items()},
        "ledger_findings": {ids[pid]: list(v) for pid, v in world.ledger_review.get("findings", {}).items()},
        "ledger_review": _ledger_review(world, ids),
        "town_truth": town_truth(world),
        "applications": apps,
        "materials_required": _materials(),
        "application_schedule": [d.isoformat() for d in world.app_schedule],
        "faults": faults,
        "fault_counts": dict(sorted(Counter(f["kind"] for f in faults).items())),
        "fault_rates": {"per_resident": RATES, "minimum": MIN_COUNT, "text_date_styles": list(TEXT_STYLES),
                        "kinds": KINDS},
        "conventions": CONVENTIONS,
    }


def _ledger_review(world: World, ids) -> dict:
    key = world.ledger_review
    by_id = {name: {ids[pid]: list(v) for pid, v in key.get(name, {}).items()} for name in ("upcoming", "policies")}
    return {**by_id, **{k: v for k, v in key.items() if k not in ("findings", "upcoming", "policies")}}


def write(manifest: dict, out_dir: Path) -> Path:
    path = out_dir / MANIFEST_NAME
    path.write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return path
