"""Benchmarks of the trained coder (``analysis.coders.TrainedCoder``).

Targets (2-core machine): coding ≥ 1,000 cases per second; training on every labelled
bundled case ≤ 30 s. Inputs are real bundled cases: the labelled inventories for training,
and for coding the pooled case texts repeated to the requested size (the repeats get
new case ids; their text is unchanged, nothing is invented). Every timed run starts with
no text analysed (:func:`analysis.coders.rules.forget_texts`), as a new process would, although
repeated texts are then analysed once. The rule coder is measured alongside as the baseline.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .. import inventories
from ..coders import RuleCoder, TrainedCoder
from ..coders.rules import forget_texts
from ..coding import reference_inventories, training_cases
from ..frame import load_frame
from . import Case, benchmark

TARGET_CASES_PER_SECOND = 1000.0
TARGET_TRAIN_SECONDS = 30.0


@lru_cache(maxsize=1)
def _training() -> pd.DataFrame:
    return training_cases()


@lru_cache(maxsize=1)
def _trained() -> TrainedCoder:
    return TrainedCoder(load_frame()).fit(_training())


@lru_cache(maxsize=1)
def _pool() -> pd.DataFrame:
    names = [n for n in inventories.available() if n in (*reference_inventories(), "taiwan-public")]
    return inventories.load_many(names)


def cases_of_size(n: int) -> pd.DataFrame:
    """``n`` real bundled cases, repeated when ``n`` exceeds the pool (repeats renamed)."""
    pool = _pool()
    reps = -(-n // len(pool))
    table = pd.concat([pool] * reps, ignore_index=True).iloc[:n].copy()
    table["case_id"] = [f"{c}#{i // len(pool)}" for i, c in enumerate(table["case_id"])]
    return table


@benchmark(
    "coding_predict", sizes=(10**3, 10**4), quick_sizes=(200,), repeats=3, baseline_max_n=10**4
)
def coding_predict(n: int) -> Case:
    """Trained coder: code n cases (every field); baseline: the rule coder."""
    coder = _trained()
    table = cases_of_size(n)
    rules = RuleCoder(coder.frame)

    def code():
        forget_texts()  # every text analysed afresh, as in a new process
        return coder.code(table)

    return Case(
        run=code,
        baseline=lambda: rules.code(table),
        params={"targets": len(coder.models), "target_cases_per_second": TARGET_CASES_PER_SECOND},
    )


@benchmark("coding_train", sizes=(0,), quick_sizes=(300,), repeats=1)
def coding_train(n: int) -> Case:
    """Train the coder on every labelled bundled case (n = 0) or the first n of them."""
    data = _training()
    data = data if n == 0 else data.iloc[:n]
    frame = load_frame()

    def train():
        forget_texts()
        return TrainedCoder(frame).fit(data)

    return Case(
        run=train, params={"labelled_cases": len(data), "target_seconds": TARGET_TRAIN_SECONDS}
    )
