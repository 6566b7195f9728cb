"""04 on a whole simulated year made the way ``jykn demo`` makes it (every quarter through the library: 02 issue, the
synthetic towns' returns, 02 collect, 01 and 03 district runs), on a smaller synthetic district: every indicator is
computed for every town, and nothing read is one of our workbooks."""

from __future__ import annotations

import pytest

from jykn_lib import demo as D
from jykn_lib.analyses import assessment as A
from jykn_lib.periods import Quarter
from jykn_lib.synth import generate

pytestmark = pytest.mark.slow


def test_every_indicator_is_computed_for_every_town_on_the_demo_year(tmp_path):
    base = tmp_path / "base"
    generate(base, people=6000, seed=20261126, as_of="2026-11-26")
    y = D.Year(out=tmp_path / "out", base=base, seed=7, as_of="2026-11-26", jobs=1, quiet=True, last=Quarter(2026, 4),
               notebooks=False)
    D.run_year(y)
    run = A.run(A.validate_parameters(year=2026, as_of="2026-11-26", out_dir=str(y.out)))
    v = run.result["values"]
    assert set(v["状态"]) == {"已计算"}, v.loc[v["状态"] != "已计算", ["所属镇街", "指标名称", "说明"]].to_string()
    assert len(v) == 11 * len(run.result["totals"]) and run.result["totals"]["可计算权重"].eq(100).all()
    assert set(run.result["coverage"].query("来源 != '05 认定审核'")["状态"]) == {"已使用"}
