"""Issue 15: no per-person Python loop in the library code of any notebook. Parses the modules with ``ast`` and fails
on the constructs that run Python once per row (iterrows, itertuples, to_dict('records'), apply/map/transform/agg with a lambda or a
str.join, DataFrame.apply(axis=1), applymap, np.vectorize, comprehensions and for-loops over a column or a zip of
columns). The few that are bounded by parameters (towns, codes, policies, files) or are per document are listed in
ALLOWED with their reason."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted({
    *ROOT.glob("jykn_lib/analyses/*.py"), *ROOT.glob("jykn_lib/kit/*.py"),
    *(ROOT / "jykn_lib" / p for p in ("ledger.py", "rowtext.py", "notices.py", "materials.py", "io/returns.py",
                                      "rules/exits.py", "rules/services.py", "rules/policies.py",
                                      "rules/applications.py")),
})

# (file, enclosing function, construct) → why it does not grow with the district
ALLOWED: dict[tuple[str, str, str], str] = {
    ("jykn_lib/analyses/ledger_review.py", "_posts_sheet", "itertuples"):
        "one note line per town (the district's towns)",
    ("jykn_lib/analyses/ledger_review.py", "town_summary", "map(lambda)"):
        "the 按时完成率 of each town's row in the town summary (towns + 合计)",
    ("jykn_lib/analyses/assessment.py", "_totals", "agg(join)"):
        "per town (the indicators a town lost points on)",
    ("jykn_lib/analyses/assessment.py", "summary_lines", "agg(join)"):
        "per source (the kept results that are missing)",
    ("jykn_lib/analyses/assessment.py", "summary_lines", "comprehension over a column"):
        "per grade (the scheme's grade levels)",
    ("jykn_lib/analyses/assessment.py", "show_towns", "for over a column"):
        "one section per town of the totals table",
    ("jykn_lib/io/returns.py", "reconcile", "agg(lambda)"):
        "per returned file: the town most of its rows were issued to",
    ("jykn_lib/kit/flow.py", "sources_summary", "comprehension over a column"):
        "one line per data source",
    ("jykn_lib/kit/flow.py", "run", "to_dict(records)"):
        "the run info's row counts: one record per input file",
    ("jykn_lib/notices.py", "write_refusal_notices", "to_dict(records)"):
        "one .docx notice per refused application (its rows and reasons): the documents are the output",
}

PER_ROW_METHODS = {"apply", "map", "transform", "agg", "aggregate"}
ROW_ITER = {"to_numpy", "tolist", "to_list", "values", "index", "items", "iteritems", "to_dict"}  # not unique()

# functions whose x["key"] loops walk a parameter dict from params/*.yaml (indicators, grades, towns, minimums,
# levels), which ast cannot tell from a column
PARAMETER_LOOPS: dict[str, set[str]] = {
    "jykn_lib/analyses/applications.py": {"decide_year"},
    "jykn_lib/analyses/assessment.py": {"scheme", "decide", "_scheme_table", "_coverage"},
    "jykn_lib/analyses/audit.py": {"issued_table", "instructions"},
    "jykn_lib/analyses/ledger_review.py": {"_plan_note", "figures"},
    "jykn_lib/rules/policies.py": {"load_policies"},
    "jykn_lib/rules/services.py": {"_plan", "_grade", "_check_grading"},
}


def _is_column(node: ast.AST, names: set[str] = frozenset()) -> bool:
    """frame["col"], frame["col"].to_numpy(), frame["col"].values, zip(frame["a"], ...), or a name assigned from a
    column in the same function (``cats = people["categories"].fillna("")``)."""
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return True
    if isinstance(node, ast.Attribute) and node.attr in ROW_ITER:
        return _is_column(node.value, names)
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name) and f.id in ("zip", "enumerate"):
            return any(_is_column(a, names) for a in node.args)
        if isinstance(f, ast.Attribute) and f.attr in ROW_ITER:
            return _is_column(f.value, names)
    return False


def _from_column(node: ast.AST) -> bool:
    """An expression that is a column with methods applied: people["categories"].fillna("").astype(str)."""
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(
                node.slice.value, str):
            return True
        if isinstance(node, ast.IfExp):
            return _from_column(node.body) or _from_column(node.orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr != "unique":
            node = node.func.value
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False


def _first_arg(call: ast.Call) -> ast.AST | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in ("func", "arg")), None)


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str, str]] = []  # (line, function, construct)
        self.stack: list[str] = []
        self.columns: set[str] = set()  # names assigned from a column in the current function

    def _add(self, node: ast.AST, construct: str) -> None:
        self.found.append((node.lineno, self.stack[-1] if self.stack else "<module>", construct))

    def visit_FunctionDef(self, node) -> None:
        self.stack.append(node.name)
        saved, self.columns = self.columns, {
            t.id for a in ast.walk(node) if isinstance(a, ast.Assign) and _from_column(a.value)
            for t in a.targets if isinstance(t, ast.Name)}
        self.generic_visit(node)
        self.columns = saved
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        if isinstance(f, ast.Attribute):
            if f.attr in ("iterrows", "itertuples", "applymap"):
                self._add(node, f.attr)
            elif f.attr == "to_dict" and any(isinstance(a, ast.Constant) and a.value == "records"
                                             for a in [*node.args, *(k.value for k in node.keywords)]):
                self._add(node, "to_dict(records)")
            elif f.attr == "vectorize":
                self._add(node, "np.vectorize")
            elif f.attr in PER_ROW_METHODS:
                arg = _first_arg(node)
                if isinstance(arg, ast.Lambda):
                    self._add(node, f"{f.attr}(lambda)")
                elif isinstance(arg, ast.Attribute) and arg.attr == "join":
                    self._add(node, f"{f.attr}(join)")
                if f.attr == "apply" and any(k.arg == "axis" and isinstance(k.value, ast.Constant)
                                             and k.value.value in (1, "columns") for k in node.keywords):
                    self._add(node, "apply(axis=1)")
        self.generic_visit(node)

    def _comprehension(self, node) -> None:
        if any(_is_column(g.iter, self.columns) for g in node.generators):
            self._add(node, "comprehension over a column")
        self.generic_visit(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_For(self, node: ast.For) -> None:
        if _is_column(node.iter, self.columns):
            self._add(node, "for over a column")
        self.generic_visit(node)


def _scan() -> list[tuple[str, int, str, str]]:
    out = []
    for path in MODULES:
        finder = _Finder()
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        rel = path.relative_to(ROOT).as_posix()
        out += [(rel, line, fn, what) for line, fn, what in finder.found
                if not (what.endswith("over a column") and fn in PARAMETER_LOOPS.get(rel, ()))]
    return out


def test_no_loop_per_row_in_the_notebooks_library_code():
    bad = [f"{rel}:{line}: {what} in {fn}()" for rel, line, fn, what in _scan() if (rel, fn, what) not in ALLOWED]
    assert not bad, (
        "A Python loop per row grows with the district (issue 15). Replace it with a vectorised form — the str "
        "accessor, Series.map(dict), merge/isin, explode, a groupby with a built-in aggregation, or "
        "jykn_lib.rowtext (join_groups, join_by_row, has_part, per_value, cell_texts) — or, when it is bounded by "
        "parameters (towns, codes, policies, files) or writes one document per item, add it to ALLOWED in "
        "tests/test_vectorised.py with its reason:\n  " + "\n  ".join(bad))


def test_every_allowed_loop_is_still_there():
    seen = {(rel, fn, what) for rel, _line, fn, what in _scan()}
    stale = [f"{k[0]} {k[1]}() {k[2]}" for k in ALLOWED if k not in seen]
    assert not stale, "ALLOWED lists loops that are gone; remove them:\n  " + "\n  ".join(stale)


@pytest.mark.parametrize("code, construct", [
    ("for r in df.itertuples():\n    pass", "itertuples"),
    ("df['a'].map(lambda v: v)", "map(lambda)"),
    ("df.groupby('k')['t'].agg('、'.join)", "agg(join)"),
    ("df.apply(f, axis=1)", "apply(axis=1)"),
    ("[a for a, b in zip(df['a'], df['b'])]", "comprehension over a column"),
    ("[x for x in df['a'].tolist()]", "comprehension over a column"),
    ("for x in df['a'].to_numpy():\n    pass", "for over a column"),
    ("np.vectorize(f)(x)", "np.vectorize"),
    ("def f(p):\n    cats = p['categories'].fillna('')\n    return [c.split(',') for c in cats]",
     "comprehension over a column"),
    ("rows = frame.to_dict('records')", "to_dict(records)"),
])
def test_the_guard_sees_each_construct(code, construct):
    finder = _Finder()
    finder.visit(ast.parse(code))
    assert [w for _line, _fn, w in finder.found] == [construct]


def test_the_guard_leaves_vectorised_code_alone():
    finder = _Finder()
    finder.visit(ast.parse("s.map({'a': 1}); g.agg('sum'); [c for c in codes]; s.str.split(',').explode()\n"
                           "'、'.join(n[c] for c in cats.split(','))"))
    assert finder.found == []
