"""Names, phone numbers and company names from Faker's zh_CN locale (seeded), drawn as pools.

Faker is slow per call, so a seeded Faker fills pools once and numpy picks from them. Every name is checked to be
encodable in GBK, because several sources are written as GBK CSV like real exports.
"""

from __future__ import annotations

import numpy as np

from .config import faker_for

SHOP_KINDS = ("便利店", "五金店", "农资店", "餐饮店", "理发店", "维修部", "副食店", "水果店", "建材店", "服装店")


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


class Pools:
    def __init__(self, seed: int, n_companies: int = 500):
        fake = faker_for(seed, "pools")
        self.last = np.array([s for s in (fake.last_name() for _ in range(1500)) if _gbk_ok(s)], dtype=object)
        self.first_m = np.array([s for s in (fake.first_name_male() for _ in range(1200)) if _gbk_ok(s)], dtype=object)
        self.first_f = np.array([s for s in (fake.first_name_female() for _ in range(1200)) if _gbk_ok(s)],
                                dtype=object)
        prefixes = sorted({fake.phone_number()[:3] for _ in range(400)})
        self.phone_prefix = np.array(prefixes, dtype=object)
        seen: dict[str, None] = {}
        for _ in range(4 * n_companies):  # Faker has a few hundred distinct company names
            if len(seen) >= n_companies:
                break
            name = fake.company()
            if _gbk_ok(name):
                seen.setdefault(name, None)
        self.companies = np.array(list(seen), dtype=object)
        self.company_prefix = np.array(sorted({fake.company_prefix() for _ in range(300)}), dtype=object)

    def names(self, rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
        male = np.asarray(male, dtype=bool)
        last = self.last[rng.integers(0, len(self.last), male.size)]
        fm = self.first_m[rng.integers(0, len(self.first_m), male.size)]
        ff = self.first_f[rng.integers(0, len(self.first_f), male.size)]
        return (last + np.where(male, fm, ff)).astype(object)

    def phones(self, rng: np.random.Generator, n: int) -> np.ndarray:
        pre = self.phone_prefix[rng.integers(0, len(self.phone_prefix), n)]
        rest = rng.integers(0, 10**8, n)
        return np.array([f"{p}{r:08d}" for p, r in zip(pre, rest)], dtype=object)

    def shop_name(self, rng: np.random.Generator, town: str) -> str:
        prefix = self.company_prefix[rng.integers(0, len(self.company_prefix))]
        kind = SHOP_KINDS[rng.integers(0, len(SHOP_KINDS))]
        return f"清新区{town}{prefix}{kind}"
