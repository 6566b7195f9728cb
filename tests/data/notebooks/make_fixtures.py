"""Rebuild the tiny fixture notebooks of tests/test_runner.py (committed without outputs, `parameters` tag kept).

    python tests/data/notebooks/make_fixtures.py
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

PARAMS = '''quarter: str = "2026Q4"          # 季度，如 2026Q4（必填，批量运行时由 jykn run --quarter 传入）
as_of: str = ""                  # 基准日 YYYY-MM-DD；留空取该季度第一个工作日
town: str = "全区"               # “全区”或一个镇街名称
data_dir: str = "outputs/demo/data"   # 输入数据文件夹（相对路径以仓库根目录为准）
out_dir: str = "outputs"         # 输出根目录：结果写入 <out_dir>/<quarter>/<镇街或区汇总>/'''

SETUP = '''from jykn_lib.kit import validate_parameters

setup = validate_parameters(notebook="{id}", quarter=quarter, as_of=as_of, town=town,
                            data_dir=data_dir, out_dir=out_dir{extra})'''


def notebook(title: str, nb_id: str, body: list[str], extra_params: str = "", extra_args: str = ""):
    params = new_code_cell(PARAMS + extra_params)
    params.metadata["tags"] = ["parameters"]
    cells = [new_markdown_cell(f"# {title}"), params, new_code_cell(SETUP.format(id=nb_id, extra=extra_args))]
    cells += [new_code_cell(src) for src in body]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


FIXTURES = {
    # Writes its outputs; the district run leaves a shared cache that the town runs need (ordering check).
    "good.ipynb": notebook(
        "测试正常",
        "t1",
        [
            '''import json
cache = setup.work_dir / "t1_cache.json"
if setup.is_district:
    cache.write_text(json.dumps({"quarter": setup.quarter_str}), encoding="utf-8")
shared = json.loads(cache.read_text(encoding="utf-8"))  # a town run fails if the district run has not run
assert shared["quarter"] == setup.quarter_str''',
            '''import pandas as pd
name = "好汇总_{q}.xlsx" if setup.is_district else "好名单_{q}_{t}.xlsx"
path = setup.output_path(name.format(q=setup.quarter_str, t=setup.town))
pd.DataFrame({"镇街": [setup.town], "人数": [3]}).to_excel(path, index=False)
setup.write_info(row_counts={"失业登记": 3}, figures={"引导申请人数": 1})
print(f"{setup.quarter.label}，基准日 {setup.as_of}，{setup.scope_name}：已写出 {path.name}")''',
        ],
    ),
    # Cell 4 (the third code cell) raises for 山塘镇 only, with an identity number in the message (masking check).
    "fails.ipynb": notebook(
        "测试出错",
        "t2",
        [
            '''print("开始", setup.scope_name)''',
            '''if setup.town == "山塘镇":
    raise ValueError(f"测试错误：{setup.town} 身份号码 441803199001011234 电话 13912345678")''',
            '''name = "坏汇总_{q}.xlsx" if setup.is_district else "坏名单_{q}_{t}.xlsx"
setup.output_path(name.format(q=setup.quarter_str, t=setup.town)).write_bytes(b"not empty")''',
        ],
    ),
    # Runs without error and writes nothing.
    "empty.ipynb": notebook("测试无输出", "t3", ['''print("什么也不写", setup.scope_name)''']),
    # An extra parameter declared in the run file, used in the output name.
    "extra.ipynb": notebook(
        "测试额外参数",
        "t4",
        ['''setup.output_path(f"额外_{setup.quarter_str}_{setup.extra['level']}.xlsx").write_bytes(b"x")'''],
        extra_params='\nlevel: str = "a"               # 测试用额外参数（a 或 b）',
        extra_args=", level=level",
    ),
    # Writes its workbook the kit's way (atomic, kept as Parquet; a town's leaves the office: encrypted with
    # --encrypt), then raises when mode == "fail": a failure after the workbook is written.
    "late.ipynb": notebook(
        "测试写出后出错",
        "t5",
        [
            '''import pandas as pd
from jykn_lib import kit
from jykn_lib.io.writer import Sheet

name = f"晚汇总_{setup.quarter_str}.xlsx" if setup.is_district else f"晚名单_{setup.quarter_str}_{setup.town}.xlsx"
table = pd.DataFrame({"镇街": [setup.town], "模式": [setup.extra["mode"]]})
path = kit.write_workbook(setup, name, [Sheet(name="名单", data=table)], leaves_office=not setup.is_district)
print("已写出", path.name)''',
            '''if setup.extra["mode"] == "fail":
    raise RuntimeError("测试：写出工作簿之后出错")''',
        ],
        extra_params='\nmode: str = "ok"               # 测试用：ok 正常结束，fail 写出工作簿后出错',
        extra_args=", mode=mode",
    ),
    # Writes a workbook, then keeps writing a heartbeat file for minutes: interrupted by the tests (signals).
    "slow.ipynb": notebook(
        "测试长时间运行",
        "t6",
        [
            '''import os
import time
from jykn_lib.files import atomic_write

atomic_write(setup.work_dir / "t6_kernel.pid", str(os.getpid()), personal=False)
atomic_write(setup.output_path(f"慢汇总_{setup.quarter_str}.xlsx"), b"not finished", personal=True)
for i in range(2400):
    atomic_write(setup.scope_dir / "心跳.txt", str(i), personal=False)  # an orphan kernel would go on writing
    time.sleep(0.25)''',
        ],
    ),
}

if __name__ == "__main__":
    for name, nb in FIXTURES.items():
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)
