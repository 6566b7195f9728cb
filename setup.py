"""Ships params/ and notebooks/ inside the wheel, as jykn_lib/_data/ (everything else is in pyproject.toml).

A source checkout (and an editable install) reads them where they are, beside the package; an installed wheel has no
repository around it, so ``pip install .`` copies them into the package, where ``jykn_lib.params.DATA_ROOT`` finds them.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("params", "notebooks")


def shipped_files():
    for folder in SHIPPED:
        for src in sorted((HERE / folder).rglob("*")):
            parts = src.relative_to(HERE).parts
            if src.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in parts):
                yield src


class BuildWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "jykn_lib" / "_data"
        shutil.rmtree(target, ignore_errors=True)  # a file deleted from params/ must not live on in a reused build/
        for src in shipped_files():
            dst = target / src.relative_to(HERE)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithData})
