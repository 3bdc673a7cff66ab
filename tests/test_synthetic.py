"""The synthetic inventory: canonical, seeded, named synthetic, with the intended structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import canonical, synthetic
from analysis.errors import AnalysisError


def test_canonical_and_named_synthetic(frame):
    table = synthetic.generate(3000, frame=frame)
    assert canonical.validate(table, frame) == []
    assert list(table.columns) == canonical.canonical_columns(frame)
    assert (table["inventory"] == "synthetic").all()
    assert table["case_id"].str.startswith("synthetic-").all() and table["case_id"].is_unique
    for col in canonical.coded_by_columns():
        assert table[col].isna().all()
    assert all(str(table[f].dtype) == "boolean" for f in frame.flag_keys)


def test_seeded(frame):
    a = synthetic.generate(500, seed=1, frame=frame)
    pd.testing.assert_frame_equal(a, synthetic.generate(500, seed=1, frame=frame))
    assert not a[frame.flag_keys].equals(
        synthetic.generate(500, seed=2, frame=frame)[frame.flag_keys]
    )


def test_structure(frame):
    table = synthetic.generate(20_000, frame=frame)
    # every category and several techniques occur; some values not reported
    assert set(table["category"].dropna()) == set(frame.category_keys)
    techs = {t for ts in canonical.technique_lists(table) for t in ts}
    assert len(techs) >= 10 and techs <= set(frame.technique_keys)
    assert 0 < table["techniques"].isna().mean() < 0.1
    na = table[frame.flag_keys].isna().mean()
    assert (na > 0).all() and (na < 0.2).all()
    # application types belong to their category
    coded = table.dropna(subset=["application_type"])
    assert all(
        frame.category_of(t) == c
        for t, c in zip(coded["application_type"].head(2000), coded["category"].head(2000))
    )
    # flags are positively correlated (shared latent factor)
    x = table[frame.flag_keys].dropna().astype(float).to_numpy()
    corr = np.corrcoef(x.T)[np.triu_indices(len(frame.flag_keys), 1)]
    assert np.median(corr) > 0.05
    # multi-technique cases exist
    assert (canonical.technique_lists(table).map(len) > 1).mean() > 0.1


def test_edge_sizes(frame):
    assert len(synthetic.generate(0, frame=frame)) == 0
    assert canonical.validate(synthetic.generate(1, frame=frame), frame) == []
    with pytest.raises(AnalysisError):
        synthetic.generate(-1)
