"""Settings of one synthetic run and the rule numbers the planting is built around.

Every threshold the answer key depends on (ages of category 01, months of categories 07/11, the contribution look-back,
the exit thresholds) is read from ``params/`` on the reference date, so planted boundaries follow the parameters.
Nothing here reads today's date: the reference date is always given.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faker import Faker

from ..params import load_parameters, load_yaml


@dataclass(frozen=True)
class Settings:
    out_dir: Path
    people: int
    seed: int
    as_of: dt.date

    @property
    def export_date(self) -> dt.date:
        """Date printed in title rows ("导出日期"): the reference date itself."""
        return self.as_of


@dataclass(frozen=True)
class RuleNumbers:
    """Parameters in force on the reference date that decide the planted outcomes."""

    working_age_min: int
    female_c01: int
    male_c01: int
    women_default_base: int
    c04_min_household: int
    c07_months: int
    c11_months: int
    lookback_months: int
    e4_count: int
    e4_window_months: int
    e10_months: int
    category_names: dict[str, str]
    exit_names: dict[str, str]

    @classmethod
    def on(cls, as_of: dt.date) -> RuleNumbers:
        p = load_parameters()

        def v(name: str):
            return p[name].at(as_of)

        return cls(
            working_age_min=int(v("rules.general.working_age_min")),
            female_c01=int(v("rules.categories.c01.female_min_age")),
            male_c01=int(v("rules.categories.c01.male_min_age")),
            women_default_base=int(v("rules.general.women_default_base")),
            c04_min_household=int(v("rules.categories.c04.min_household_size")),
            c07_months=int(v("rules.categories.c07.min_months_since_registration")),
            c11_months=int(v("rules.categories.c11.min_months_registered")),
            lookback_months=int(v("rules.evidence.unit_contribution_lookback_months")),
            e4_count=int(v("rules.exits.e4_refusal_count")),
            e4_window_months=int(v("rules.exits.e4_refusal_window_months")),
            e10_months=int(v("rules.exits.e10_no_contact_months")),
            category_names={str(k).zfill(2): str(n) for k, n in v("rules.categories.names").items()},
            exit_names={str(k): str(n) for k, n in v("rules.exits.names").items()},
        )


def demo_defaults() -> dict:
    """params/demo.yaml: seed, as_of, people."""
    raw = load_yaml("demo.yaml")
    as_of = raw["as_of"]
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return {"seed": int(raw["seed"]), "as_of": as_of, "people": int(raw.get("people", 20000))}


def _salt(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent generator per part, so that changing one part does not reshuffle the others."""
    return np.random.default_rng([int(seed), _salt(part)])


def faker_for(seed: int, part: str) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance((int(seed) * 1_000_003 + _salt(part)) % (2**32))
    return fake
