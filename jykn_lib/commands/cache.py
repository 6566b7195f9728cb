"""jykn cache — the parse-once cache of an outputs folder (jykn_lib.io.cache): ``show`` its size, ``clear`` it.

Clearing is always safe: the next run parses the input files again and keeps them anew. It is needed only to free
disk space; a changed file, contract (params/) or reader is never served from the cache anyway.
"""

from __future__ import annotations

from pathlib import Path

from ..io import cache as C


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["show", "clear"], help="show 查看缓存大小；clear 清除缓存")
    parser.add_argument("--out", default="outputs", metavar="DIR", help="输出文件夹（默认 outputs）")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def main(args) -> int:
    out = Path(args.out).expanduser().resolve()
    root = C.cache_root(out)
    if args.action == "clear":
        entries, size = C.clear(out)
        print(f"已清除缓存 {root}：{entries} 个文件的解析结果，{_size(size)}。" if entries or size
              else f"没有缓存：{root}")
        return 0
    read = root / C.READ_DIR
    entries = sum(1 for _ in read.glob("*/*")) if read.exists() else 0
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    print(f"缓存 {root}：{entries} 个文件的解析结果，{_size(size)}"
          + ("" if C.enabled() else f"（环境变量 {C.DISABLE_ENV} 已关闭缓存）"))
    return 0
