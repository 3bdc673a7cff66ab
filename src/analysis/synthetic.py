"""A seeded synthetic inventory in canonical form, for benchmarks and property tests only.

Every synthetic table is named as such: ``inventory`` is ``"synthetic"``, every
``case_id`` starts with ``"synthetic-"``, and the ``*_coded_by`` provenance columns are NA
(no coder produced these values). Keys come from the frame; nothing here is a real case.

The generator draws, all vectorised with numpy:

* a category per case from a fixed uneven mix, and an application type of that category;
* a technique combination per case from a seeded pool of one- to three-technique
  combinations, with a category-specific preference (a few cases report none);
* six correlated flags from a latent-variable model: one shared factor, a
  category effect and a technique-combination effect per flag, thresholded at zero;
* some not-reported flags (per-flag NA rates plus a few cases reporting no flag at all).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import config
from .canonical import TECHNIQUE_SEP, as_recorded_columns, canonical_columns, coded_by_columns
from .errors import AnalysisError
from .frame import Frame, load_frame

INVENTORY = "synthetic"
CASE_PREFIX = "synthetic-"
SOURCES = ("synthetic-a", "synthetic-b", "synthetic-c")


def generate(
    n: int,
    seed: int = config.SEED,
    frame: Frame | None = None,
    n_combinations: int = 60,
    not_reported_rate: float = 0.05,
    technique_not_reported_rate: float = 0.03,
    category_not_coded_rate: float = 0.01,
) -> pd.DataFrame:
    """``n`` synthetic cases in canonical form (see the module docstring)."""
    if n < 0:
        raise AnalysisError(f"the number of synthetic cases must be ≥ 0; got {n}")
    frame = frame or load_frame()
    rng = np.random.default_rng(seed)
    cats = np.array(frame.category_keys, dtype=object)
    techs = np.array(frame.technique_keys, dtype=object)
    flags = frame.flag_keys
    n_cat, n_tech, n_flag = len(cats), len(techs), len(flags)

    # categories: an uneven mix, a few uncoded
    cat_p = rng.dirichlet(np.full(n_cat, 4.0))
    cat = rng.choice(n_cat, size=n, p=cat_p)
    # application types: uniform within the case's category
    types_of = [frame.application_types_of(c) for c in cats]
    width = np.array([len(t) for t in types_of])
    type_pick = (rng.random(n) * width[cat]).astype(np.int64)

    # technique combinations: a pool of 1-3 distinct techniques, each category preferring some
    sizes = rng.choice([1, 2, 3], size=n_combinations, p=[0.55, 0.33, 0.12])
    tech_w = rng.dirichlet(np.full(n_tech, 0.7))
    pool = [np.sort(rng.choice(n_tech, size=s, replace=False, p=tech_w)) for s in sizes]
    pool_str = np.array([TECHNIQUE_SEP.join(techs[c]) for c in pool], dtype=object)
    membership = np.zeros((n_combinations, n_tech))
    for i, c in enumerate(pool):
        membership[i, c] = 1.0
    combo_p = rng.dirichlet(np.full(n_combinations, 0.3), size=n_cat)
    cdf = np.cumsum(combo_p, axis=1)
    cdf[:, -1] = 1.0
    combo = (rng.random(n)[:, None] > cdf[cat]).sum(axis=1)

    # flags: latent z = shared factor + category effect + technique effect + noise
    base = rng.normal(-0.2, 0.6, size=n_flag)
    cat_effect = rng.normal(0.0, 0.7, size=(n_cat, n_flag))
    tech_effect = membership @ rng.normal(0.0, 0.5, size=(n_tech, n_flag))
    loading = rng.uniform(0.4, 0.9, size=n_flag)
    shared = rng.standard_normal(n)
    z = (
        base
        + cat_effect[cat]
        + tech_effect[combo]
        + shared[:, None] * loading
        + rng.standard_normal((n, n_flag)) * np.sqrt(1 - loading**2)
    )
    yes = z > 0
    na_rate = rng.uniform(0.3, 1.7, size=n_flag) * not_reported_rate
    missing = rng.random((n, n_flag)) < na_rate
    missing |= (rng.random(n) < not_reported_rate / 3)[:, None]

    uncoded = rng.random(n) < category_not_coded_rate
    no_tech = rng.random(n) < technique_not_reported_rate
    cols: dict[str, object] = {}
    cols["case_id"] = _case_ids(n)
    cols["inventory"] = _strings([INVENTORY], np.zeros(n, dtype=np.int64))
    cols["source"] = _strings(SOURCES, rng.integers(0, len(SOURCES), n))
    cols["name"] = cols["case_id"]
    cols["agency"] = cols["description"] = _missing(n)
    cols["category"] = _strings(cats, np.where(uncoded, -1, cat))
    type_code = np.where(uncoded, -1, width.cumsum()[cat] - width[cat] + type_pick)
    cols["application_type"] = _strings([t for ts in types_of for t in ts], type_code)
    cols["techniques"] = _strings(pool_str, np.where(no_tech, -1, combo))
    for j, f in enumerate(flags):
        cols[f] = pd.arrays.BooleanArray(yes[:, j].copy(), missing[:, j].copy())
    for c in coded_by_columns() + as_recorded_columns():
        cols[c] = _missing(n)
    out = pd.DataFrame(cols)
    return out[canonical_columns(frame)]


def _strings(values, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string column taking ``values[codes]`` (code -1 = NA), built without Python objects."""
    import pyarrow as pa

    table = pa.array([str(v) for v in values], type=pa.string())
    index = pa.array(np.asarray(codes, dtype=np.int64), mask=np.asarray(codes) < 0)
    return pd.array(table.take(index), dtype="string")


def _missing(n: int) -> pd.api.extensions.ExtensionArray:
    import pyarrow as pa

    return pd.array(pa.nulls(n, pa.string()), dtype="string")


def _case_ids(n: int) -> pd.api.extensions.ExtensionArray:
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), 7, "0")
    return pd.array(pc.binary_join_element_wise(CASE_PREFIX, numbers, ""), dtype="string")
