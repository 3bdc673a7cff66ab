"""Clustering cases into risk profiles: hierarchical clustering, k-modes and latent class
analysis over the six risk flags (optionally category and techniques), with model selection
across k, bootstrap stability, and tidy tables describing each cluster.

Scale: cases with identical feature codes are collapsed into one *profile* carrying a
weight (its number of cases) before any clustering, so cost grows with the number of
distinct profiles (at most 3**6 = 729 for the six tri-state flags), not with cases. Labels
are expanded back to cases afterwards. What is exact:

* **k-modes** (``engine="numpy"``, the default) is a batch k-modes (assign every profile to
  its nearest mode, then recompute each mode as the weighted mode of its members) written
  here over weighted profiles. A batch step treats identical rows identically, and the
  weighted mode equals the mode over the expanded rows, so from the same initial modes the
  collapsed run gives exactly the partition of the same algorithm on every row.
  Initial modes come from ``n_init`` (default :data:`KMODES_STARTS`) seeded
  k-means++-style draws (a profile is drawn with probability proportional to cases ×
  mismatch to the nearest mode already drawn); the run with the lowest weighted cost
  wins, and the spread of the starts' costs is reported (median, worst, how many reached
  the best). ``engine="kmodes"`` uses the ``kmodes`` library
  with ``sample_weight`` instead; its online updates are a valid weighted k-modes but are
  not guaranteed to match an uncollapsed run.
* **Hierarchical** clustering runs a Lance–Williams agglomeration written here on the
  profile distance matrix with each profile's case count as its initial cluster size.
  Identical cases are at distance 0 and merge first; after those merges the all-row state
  equals the profile state (complete linkage: the maximum over duplicates is the profile's
  distance; average linkage: the size-weighted mean is UPGMA with sizes = case counts). The
  dendrogram above height 0, and the partition into any k up to the number of profiles,
  are therefore those of scipy on all rows whenever there are no ties among merge heights
  (with ties both are valid agglomerations that may break ties differently; ties here
  are broken by the lowest profile position, see :func:`weighted_linkage`, and a cut
  whose partition depends on how ties are broken is reported as arbitrary,
  :func:`arbitrary_cut`). :func:`case_linkage`
  rebuilds the all-row linkage by prepending the zero-height merges, for dendrograms
  with one leaf per case.
* **Latent class analysis** (:func:`lca_em`: EM for binary flags and techniques and one
  categorical indicator for the category; a not-reported flag or an uncoded category is
  left out of its case's likelihood when kept as missing) maximises the weighted
  log-likelihood Σ cases × log p(profile), which is the all-row likelihood; its random
  starts do not depend on the rows, so the collapsed fit follows the all-row fit step by
  step. All starts run at once as arrays; the tests check its optimum against the
  ``stepmix`` package. Cases reporting no indicator at all add nothing to the likelihood:
  they are left out of the fit and of BIC's n, counted (``n_no_information``) and given
  the largest class by prior alone (``by_prior`` in the assignments). BIC uses the number
  of cases fitted (not profiles) as n. Different random starts may reach different local
  optima: the number of starts reaching the best is reported.

NA policies for the flags (never silently "no"): ``"drop"`` keeps only cases reporting all
six flags; ``"as_no"`` reads not reported as no (an explicit choice); ``"missing"`` keeps
not reported as its own state (a third level for k-modes, Hamming and the NA indicator
in Jaccard; missing values for LCA; not comparable for Gower).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import config, memo
from .canonical import technique_lists
from .errors import AnalysisError
from .frame import Frame, load_frame

NA_POLICIES = ("drop", "as_no", "missing")
METHODS = ("hierarchical", "kmodes", "lca")
METRICS = ("jaccard", "hamming", "gower")
LINKAGES = ("average", "complete")
NO, YES, NA = 0, 1, 2
#: Random starts of k-modes and of latent class analysis when not told otherwise.
KMODES_STARTS = 50
LCA_STARTS = 10


class ClusteringError(AnalysisError):
    """A clustering request that cannot be met (bad parameter, too few cases or profiles)."""


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ClusteringError(f"{name}={value!r} is not one of {', '.join(allowed)}")


# -- features ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """Cases coded as categorical variables: flags (0 no, 1 yes, 2 not reported), optionally
    the category (one variable, levels = frame categories then "not coded") and one
    yes/no variable per technique that occurs."""

    cases: pd.DataFrame  # the cases used (identity, category, techniques, flags), input order
    codes: np.ndarray  # n × p small integers
    names: tuple[str, ...]  # variable names: flag keys, "category", technique keys
    kinds: tuple[str, ...]  # "flag", "category" or "technique" per variable
    levels: tuple[tuple, ...]  # level values per variable (codes index into them)
    weights: np.ndarray  # weight of each variable in distances
    na_policy: str
    n_input: int  # cases before the NA policy

    @property
    def n_levels(self) -> np.ndarray:
        return np.array([len(lv) for lv in self.levels], dtype=np.int64)


def design(
    cases: pd.DataFrame,
    na_policy: str = "drop",
    categories: bool = False,
    techniques: bool = False,
    weight: float = 1.0,
    frame: Frame | None = None,
) -> Design:
    """Code a canonical case table for clustering under an NA policy; ``categories`` and
    ``techniques`` add the category and technique indicators with weight ``weight``
    (flags have weight 1)."""
    _check_choice("na_policy", na_policy, NA_POLICIES)
    if not weight > 0:
        raise ClusteringError(f"weight must be positive, got {weight!r}")
    frame = frame or load_frame()
    flags = frame.flag_keys
    missing_cols = [c for c in flags + ["case_id", "name"] if c not in cases.columns]
    if missing_cols:
        raise ClusteringError(f"the case table lacks columns {missing_cols}")
    n_input = len(cases)
    keep_cols = (
        ["case_id", "name"] + [c for c in ("category", "techniques") if c in cases.columns] + flags
    )
    cases = cases[keep_cols]
    values = (
        np.column_stack(
            [cases[f].astype("boolean").to_numpy(dtype="float64", na_value=np.nan) for f in flags]
        )
        if n_input
        else np.zeros((0, len(flags)))
    )
    na = np.isnan(values)
    if na_policy == "drop":
        keep = ~na.any(axis=1)
        cases, values, na = cases[keep], values[keep], na[keep]
    cases = cases.reset_index(drop=True)
    codes = [
        np.where(na, NA if na_policy == "missing" else NO, np.nan_to_num(values)).astype(np.int16)
    ]
    flag_levels = ("no", "yes", "not_reported") if na_policy == "missing" else ("no", "yes")
    names, kinds, levels = list(flags), ["flag"] * len(flags), [flag_levels] * len(flags)
    weights = [1.0] * len(flags)
    if categories:
        keys = frame.category_keys
        pos = {k: i for i, k in enumerate(keys)}
        codes.append(
            cases["category"]
            .map(lambda v: pos.get(v, len(keys)) if not pd.isna(v) else len(keys))
            .to_numpy(dtype=np.int16)[:, None]
        )
        names.append("category")
        kinds.append("category")
        levels.append(tuple(keys) + (None,))
        weights.append(float(weight))
    if techniques:
        lists = technique_lists(cases) if len(cases) else pd.Series([], dtype=object)
        present = set().union(*lists) if len(lists) else set()
        used = [t for t in frame.technique_keys if t in present]
        if used:
            codes.append(
                np.array([[t in row for t in used] for row in lists], dtype=np.int16).reshape(
                    -1, len(used)
                )
            )
        names += used
        kinds += ["technique"] * len(used)
        levels += [("no", "yes")] * len(used)
        weights += [float(weight)] * len(used)
    matrix = np.hstack(codes) if len(cases) else np.zeros((0, len(names)), dtype=np.int16)
    return Design(
        cases,
        matrix,
        tuple(names),
        tuple(kinds),
        tuple(levels),
        np.array(weights),
        na_policy,
        n_input,
    )


def features(
    cases: pd.DataFrame,
    na_policy: str = "drop",
    categories: bool = False,
    techniques: bool = False,
    weight: float = 1.0,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """The coded features as a table: ``case_id``, ``name``, then one column per variable
    holding its level (``yes``/``no``/``not_reported``, a category key)."""
    d = design(cases, na_policy, categories, techniques, weight, frame)
    out = d.cases[["case_id", "name"]].copy()
    for j, name in enumerate(d.names):
        out[name] = pd.array([d.levels[j][c] for c in d.codes[:, j]], dtype="string")
    return out


# -- collapsing --------------------------------------------------------------------------
@dataclass(frozen=True)
class Profiles:
    """Distinct rows of a design's codes (sorted), their case counts, and each case's profile."""

    codes: np.ndarray
    counts: np.ndarray
    inverse: np.ndarray


def collapse(d: Design) -> Profiles:
    """Collapse identical cases into weighted profiles (sorted lexicographically by codes)."""
    codes = d.codes
    if len(codes) == 0:
        raise ClusteringError(
            f"no case left to cluster (NA policy {d.na_policy!r} kept 0 of {d.n_input})"
        )
    radix = d.n_levels
    if float(np.prod(radix.astype(float))) < 2.0**62:
        place = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype(np.int64)
        key = codes.astype(np.int64) @ place
        uniq, first, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        return Profiles(codes[first].copy(), counts.astype(np.int64), inverse.astype(np.int64))
    uniq, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return Profiles(uniq, counts.astype(np.int64), inverse.reshape(-1).astype(np.int64))


def profile_counts(
    cases: pd.DataFrame,
    na_policy: str = "drop",
    categories: bool = False,
    techniques: bool = False,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """The distinct feature profiles with their number of cases (most frequent first, ties
    in profile order): one column per variable holding its level, then ``cases`` and
    ``share`` of the cases used. ``attrs`` records ``n_input`` and ``n_used``."""
    d = design(cases, na_policy, categories, techniques, 1.0, frame)
    p = collapse(d)
    out = pd.DataFrame(
        {name: [d.levels[j][c] for c in p.codes[:, j]] for j, name in enumerate(d.names)}
    )
    out.insert(0, "profile", np.arange(1, len(p.counts) + 1))
    out["cases"] = p.counts
    out["share"] = p.counts / p.counts.sum()
    out = out.sort_values(["cases", "profile"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    out.attrs.update(n_input=d.n_input, n_used=len(d.codes))
    return out


def usage(cases: pd.DataFrame, na_policy: str = "drop", frame: Frame | None = None) -> pd.DataFrame:
    """How many cases each NA policy uses and how many distinct flag profiles they form,
    one row per policy (``na_policy`` marks the one chosen)."""
    rows = []
    for policy in NA_POLICIES:
        d = design(cases, policy, frame=frame)
        m = len(collapse(d).counts) if len(d.codes) else 0
        rows.append(
            {
                "na_policy": policy,
                "chosen": policy == na_policy,
                "cases": d.n_input,
                "cases_used": len(d.codes),
                "profiles": m,
            }
        )
    return pd.DataFrame(rows)


# -- distances ---------------------------------------------------------------------------
def _indicators(d: Design, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binary presence indicators and their weights, for Jaccard: a flag's yes (and its
    not-reported state under "missing"), the case's category, each technique's yes."""
    cols, w = [], []
    for j, kind in enumerate(d.kinds):
        if kind == "category":
            for lvl in range(len(d.levels[j]) - 1):
                cols.append(codes[:, j] == lvl)
                w.append(d.weights[j])
        else:
            cols.append(codes[:, j] == YES)
            w.append(d.weights[j])
            if kind == "flag" and d.na_policy == "missing":
                cols.append(codes[:, j] == NA)
                w.append(d.weights[j])
    return np.column_stack(cols).astype(np.float64), np.array(w)


def distances(d: Design, codes: np.ndarray, metric: str = "jaccard") -> np.ndarray:
    """Distances between rows of ``codes`` (cases or profiles of design ``d``): weighted
    Jaccard on presence indicators, weighted Hamming (share of mismatching variables), or
    Gower (flags and techniques asymmetric binary, category nominal, not reported and
    uncoded not comparable)."""
    _check_choice("metric", metric, METRICS)
    if metric == "jaccard":
        b, w = _indicators(d, codes)
        inter = (b * w) @ b.T
        total = b @ w
        union = total[:, None] + total[None, :] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.where(union > 0, 1.0 - inter / np.where(union > 0, union, 1.0), 0.0)
    else:
        num = np.zeros((len(codes), len(codes)))
        den = np.zeros_like(num)
        for j, kind in enumerate(d.kinds):
            x = codes[:, j]
            differ = (x[:, None] != x[None, :]).astype(np.float64)
            comparable = np.ones_like(differ)
            if metric == "gower":
                missing = (
                    (x == NA)
                    if kind == "flag"
                    else (x == len(d.levels[j]) - 1)
                    if kind == "category"
                    else np.zeros(len(x), bool)
                )
                comparable = (~missing[:, None] & ~missing[None, :]).astype(np.float64)
                if kind in ("flag", "technique"):  # asymmetric binary: joint absence says nothing
                    absent = x == NO
                    comparable *= ~(absent[:, None] & absent[None, :])
            num += d.weights[j] * differ * comparable
            den += d.weights[j] * comparable
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    np.fill_diagonal(dist, 0.0)
    return dist


def pairwise_distances(
    cases: pd.DataFrame,
    metric: str = "jaccard",
    na_policy: str = "drop",
    categories: bool = False,
    techniques: bool = False,
    weight: float = 1.0,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Case × case distance table (rows and columns labelled by ``case_id``)."""
    d = design(cases, na_policy, categories, techniques, weight, frame)
    ids = d.cases["case_id"].tolist()
    return pd.DataFrame(distances(d, d.codes, metric), index=ids, columns=ids)


# -- hierarchical ------------------------------------------------------------------------
def weighted_linkage(dist: np.ndarray, sizes: np.ndarray, method: str = "average") -> np.ndarray:
    """Agglomerative clustering of points with initial cluster sizes ``sizes`` (scipy
    linkage-matrix format; column 3 holds summed sizes). Lance–Williams updates: complete =
    maximum, average = size-weighted mean (UPGMA).

    Ties are broken deterministically: among pairs at the smallest distance the merge
    joins the pair whose lower position is lowest, then whose other position is lowest,
    where positions are the input order (for profiles, their codes sorted
    lexicographically) and a merged cluster keeps the position of its lower member. A cut
    inside tied heights, or after ties between overlapping pairs, may be one valid
    partition among several (:func:`arbitrary_cut`)."""
    _check_choice("linkage", method, LINKAGES)
    m = len(dist)
    d = np.array(dist, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    size = np.asarray(sizes, dtype=np.float64).copy()
    ids = np.arange(m)
    z = np.zeros((max(m - 1, 0), 4))
    for step in range(m - 1):
        flat = int(np.argmin(d))
        i, j = divmod(flat, m)
        i, j = min(i, j), max(i, j)
        z[step] = (min(ids[i], ids[j]), max(ids[i], ids[j]), d[i, j], size[i] + size[j])
        if method == "complete":
            new = np.maximum(d[i], d[j])
        else:
            new = (size[i] * d[i] + size[j] * d[j]) / (size[i] + size[j])
        d[i, :] = new
        d[:, i] = new
        d[i, i] = np.inf
        d[j, :] = np.inf
        d[:, j] = np.inf
        size[i] += size[j]
        ids[i] = m + step
    return z


def cut(z: np.ndarray, k: int) -> np.ndarray:
    """Labels 0..k-1 (unordered) of the leaves after the first ``m - k`` merges of ``z``."""
    m = len(z) + 1
    if not 1 <= k <= m:
        raise ClusteringError(f"cannot cut {m} leaves into {k} clusters")
    parent = np.arange(2 * m - 1)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for step in range(m - k):
        a, b = int(z[step, 0]), int(z[step, 1])
        parent[root(a)] = m + step
        parent[root(b)] = m + step
    roots = np.array([root(i) for i in range(m)])
    return np.unique(roots, return_inverse=True)[1]


def tied_cut(z: np.ndarray, k: int, tol: float = 1e-12) -> bool:
    """Whether cutting linkage ``z`` into ``k`` clusters falls inside tied merge heights:
    the last merge made and the first merge left out are at the same height, so another
    order of the tied merges would give a different, equally valid partition."""
    m = len(z) + 1
    if not 1 < k < m:
        return False
    return bool(abs(z[m - k, 2] - z[m - k - 1, 2]) <= tol * max(1.0, abs(z[m - k, 2])))


def arbitrary_cut(dist: np.ndarray, sizes: np.ndarray, method: str, z: np.ndarray, k: int) -> bool:
    """Whether the cut of linkage ``z`` (of ``dist``) into ``k`` clusters depends on how
    ties are broken: it falls inside tied heights (:func:`tied_cut`), or breaking every
    tie the other way (highest positions first: the agglomeration of the reversed order)
    gives a different partition, as an earlier tie between overlapping pairs can."""
    if tied_cut(z, k):
        return True
    if not 1 < k < len(z) + 1:
        return False
    flipped = weighted_linkage(dist[::-1, ::-1], np.asarray(sizes)[::-1], method)
    return adjusted_rand(cut(z, k), cut(flipped, k)[::-1]) < 1.0


def expand_linkage(z: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """The all-row linkage of a profile linkage: cases sharing a profile merge first at
    height 0 (in case order), then the profile merges follow with ids renumbered."""
    n, m = len(inverse), len(z) + 1
    rows, rep, next_id = [], {}, n
    for p in range(m):
        members = np.flatnonzero(inverse == p)
        current = int(members[0])
        for count, case in enumerate(members[1:], start=2):
            rows.append((current, int(case), 0.0, count))
            current, next_id = next_id, next_id + 1
        rep[p] = current
    offset = n + (n - m)

    def renumber(x: float) -> int:
        x = int(x)
        return rep[x] if x < m else offset + (x - m)

    for a, b, h, s in z:
        ra, rb = renumber(a), renumber(b)
        rows.append((min(ra, rb), max(ra, rb), h, s))
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


# -- k-modes -----------------------------------------------------------------------------
def _mismatch(codes: np.ndarray, modes: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.zeros((len(codes), len(modes)))
    for j in range(codes.shape[1]):
        out += w[j] * (codes[:, j, None] != modes[None, :, j])
    return out


def _weighted_modes(codes, counts, labels, k, n_levels) -> np.ndarray:
    modes = np.zeros((k, codes.shape[1]), dtype=codes.dtype)
    for j in range(codes.shape[1]):
        table = np.zeros((k, int(n_levels[j])))
        np.add.at(table, (labels, codes[:, j]), counts)
        modes[:, j] = table.argmax(axis=1)
    return modes


def _seed_modes(codes, counts, k, var_w, rng) -> np.ndarray:
    chosen = [int(rng.choice(len(codes), p=counts / counts.sum()))]
    nearest = _mismatch(codes, codes[chosen], var_w)[:, 0]
    for _ in range(1, k):
        score = counts * nearest
        chosen.append(int(rng.choice(len(codes), p=score / score.sum())))
        nearest = np.minimum(nearest, _mismatch(codes, codes[chosen[-1:]], var_w)[:, 0])
    return codes[chosen].copy()


def kmodes_iterate(
    codes: np.ndarray,
    counts: np.ndarray,
    modes: np.ndarray,
    var_w: np.ndarray,
    n_levels: np.ndarray,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Batch weighted k-modes from given initial modes; returns labels, modes, cost. A
    cluster left empty is given the profile that costs most in its current cluster."""
    k = len(modes)
    modes = modes.copy()
    for _ in range(max_iter):
        dist = _mismatch(codes, modes, var_w)
        labels = dist.argmin(axis=1)
        sizes = np.bincount(labels, weights=counts, minlength=k)
        for c in np.flatnonzero(sizes == 0):
            cost_each = counts * dist[np.arange(len(codes)), labels]
            worst = int(np.argmax(cost_each))
            labels[worst] = c
        new = _weighted_modes(codes, counts, labels, k, n_levels)
        if np.array_equal(new, modes):
            break
        modes = new
    dist = _mismatch(codes, modes, var_w)
    labels = dist.argmin(axis=1)
    return labels, modes, float(np.sum(counts * dist[np.arange(len(codes)), labels]))


def weighted_kmodes(
    codes: np.ndarray,
    counts: np.ndarray,
    k: int,
    var_w: np.ndarray,
    n_levels: np.ndarray,
    seed: int = config.SEED,
    n_init: int = KMODES_STARTS,
    max_iter: int = 100,
):
    """Best (lowest weighted cost) of ``n_init`` seeded batch k-modes runs over weighted
    profiles: labels, modes, cost, and the final cost of every start (in start order, to
    show how often the starts reach the best; the first start reaching it wins)."""
    best, costs = None, []
    for run in range(n_init):
        rng = np.random.default_rng([seed, run])
        result = kmodes_iterate(
            codes, counts, _seed_modes(codes, counts, k, var_w, rng), var_w, n_levels, max_iter
        )
        costs.append(result[2])
        if best is None or result[2] < best[2] - 1e-12:
            best = result
    return (*best, np.array(costs))


# -- latent class analysis ---------------------------------------------------------------
def lca_indicators(d: Design, codes: np.ndarray) -> tuple[np.ndarray, str | dict]:
    """The indicators latent class analysis models for rows of ``codes`` (cases or profiles
    of design ``d``): a flag's yes as 0/1 (NaN where not reported under the "missing"
    policy), the category as one categorical indicator (0..4 in frame order, NaN where not
    coded) and each technique's yes as 0/1. :func:`lca_levels` gives each column's number
    of outcomes.

    Also returns the ``stepmix`` measurement that fits them: ``"binary"`` or
    ``"binary_nan"`` when every column is binary, else a structured measurement (a dict
    with a part per kind of variable: flag, category, technique, in column order)."""
    cols = []
    for j, kind in enumerate(d.kinds):
        if kind == "category":
            uncoded = len(d.levels[j]) - 1
            cols.append(np.where(codes[:, j] == uncoded, np.nan, codes[:, j].astype(float)))
        elif kind == "flag" and d.na_policy == "missing":
            cols.append(np.where(codes[:, j] == NA, np.nan, (codes[:, j] == YES).astype(float)))
        else:
            cols.append((codes[:, j] == YES).astype(float))
    x = np.column_stack(cols) if cols else np.zeros((len(codes), 0))
    if all(kind != "category" for kind in d.kinds):
        return x, ("binary_nan" if np.isnan(x).any() else "binary")
    parts: dict = {}
    for j, kind in enumerate(d.kinds):
        model = "categorical" if kind == "category" else "binary"
        part = parts.setdefault(kind, {"model": model, "n_columns": 0, "nan": False})
        part["n_columns"] += 1
        part["nan"] |= bool(np.isnan(x[:, j]).any())
    parts = {
        kind: {"model": p["model"] + ("_nan" if p["nan"] else ""), "n_columns": p["n_columns"]}
        for kind, p in parts.items()
    }
    return x, parts


def lca_levels(d: Design) -> np.ndarray:
    """Number of outcomes of each column of :func:`lca_indicators`: 2 for a flag or a
    technique, the number of frame categories for the category."""
    return np.array(
        [len(d.levels[j]) - 1 if kind == "category" else 2 for j, kind in enumerate(d.kinds)],
        dtype=np.int64,
    )


def _log_sum_exp(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=-1, keepdims=True)
    return top[..., 0] + np.log(np.exp(a - top).sum(axis=-1))


def lca_em(
    x: np.ndarray,
    weights: np.ndarray,
    k: int,
    seed: int = config.SEED,
    n_init: int = LCA_STARTS,
    max_iter: int = 5000,
    tol: float = 1e-10,
    levels: np.ndarray | None = None,
    best_tol: float = 0.01,
) -> dict:
    """Latent class model of binary and categorical indicators by EM, every random start
    run at once.

    ``x``: rows × indicators; column j holds an outcome 0..``levels[j]`` − 1 (``levels``
    None: every column binary, 0/1), NaN where not reported (a missing indicator is left
    out of that row's likelihood). A categorical column is one multinomial per class over
    its outcomes, so a class's outcome probabilities sum to 1. ``weights``: cases per row.

    Rows with no indicator observed say nothing about the classes (their likelihood is 1
    whatever the parameters): they are left out of the fit, and their class probabilities
    are the class sizes (assignment by prior alone). Their cases are counted in
    ``n_empty`` and left out of ``n_cases``.

    Each start draws its outcome probabilities uniformly in [0.25, 0.75] (a categorical
    column's draws normalised to sum to 1) with equal class sizes, seeded, so the start
    does not depend on the rows and a collapsed table (profiles weighted by their cases)
    follows exactly the path of the table of every case. A start stops when its weighted
    log-likelihood changes by less than ``tol`` relative to its value; the best start wins.

    Returns ``proba`` (rows × classes), ``log_likelihood`` (weighted, summed over cases),
    ``n_parameters`` ((k − 1) + k × Σ (outcomes − 1)), ``n_cases`` (cases with at least
    one indicator observed), ``n_empty``, ``empty`` (rows left out), ``relative_entropy``
    (entropy R² of the posterior over the fitted cases, NaN for k = 1), ``converged`` (the
    winning start), ``start_log_likelihoods`` (per start), ``n_best`` (starts within
    ``best_tol`` of the best log-likelihood) and ``iterations`` (of the winning start)."""
    x = np.asarray(x, dtype=float)
    levels = np.full(x.shape[1], 2, np.int64) if levels is None else np.asarray(levels, np.int64)
    observed = ~np.isnan(x)
    empty = ~observed.any(axis=1)
    w_all = np.asarray(weights, dtype=float)
    # one-hot outcomes: column block j holds levels[j] columns, all 0 where j is missing
    starts = np.concatenate([[0], np.cumsum(levels)])
    block = np.repeat(np.arange(x.shape[1]), levels)
    outcome = np.arange(starts[-1]) - starts[block]
    onehot = (np.nan_to_num(x, nan=-1.0)[:, block] == outcome).astype(float)
    fit = ~empty
    o, obs, w = onehot[fit], observed[fit].astype(float), w_all[fit]
    total = w.sum()
    rng = np.random.default_rng([seed, k])
    binary = levels == 2
    theta = np.empty((n_init, k, starts[-1]))
    yes = rng.uniform(0.25, 0.75, size=(n_init, k, x.shape[1]))
    theta[..., starts[:-1][binary] + 1] = yes[..., binary]
    theta[..., starts[:-1][binary]] = 1 - yes[..., binary]
    categorical = np.flatnonzero(~binary)
    if len(categorical):
        draws = rng.uniform(0.25, 0.75, size=(n_init, k, int(levels[categorical].sum())))
        at = 0
        for j in categorical:
            part = draws[..., at : at + levels[j]]
            theta[..., starts[j] : starts[j + 1]] = part / part.sum(axis=2, keepdims=True)
            at += levels[j]
    log_pi = np.full((n_init, k), -np.log(k))
    previous = np.full(n_init, -np.inf)
    done = np.zeros(n_init, dtype=bool)
    iterations = np.zeros(n_init, dtype=np.int64)
    for _ in range(max_iter):
        # rows × classes log p(x, class) for every start: (n_init, rows, k)
        joint = log_pi[:, None, :] + o @ np.log(theta).transpose(0, 2, 1)
        row_ll = _log_sum_exp(joint)
        ll = row_ll @ w
        done |= np.abs(ll - previous) <= tol * np.abs(ll)
        previous = ll
        if done.all() or total == 0:
            break
        iterations += ~done
        resp = np.exp(joint - row_ll[..., None]) * w[None, :, None]
        size = resp.sum(axis=1)
        new_pi = np.log(np.clip(size / total, 1e-300, None))
        num = resp.transpose(0, 2, 1) @ o
        den = (resp.transpose(0, 2, 1) @ obs)[..., block]
        new_theta = np.clip(
            np.divide(num, den, out=np.full_like(num, 0.5), where=den > 0), 1e-12, 1 - 1e-12
        )
        theta = np.where(done[:, None, None], theta, new_theta)
        log_pi = np.where(done[:, None], log_pi, new_pi)
    best = int(np.argmax(previous))
    joint = log_pi[best][None, :] + onehot @ np.log(theta[best]).T
    row_ll = _log_sum_exp(joint)
    proba = np.exp(joint - row_ll[:, None])
    p = np.clip(proba[fit], 1e-300, 1.0)
    entropy = float(w @ -(proba[fit] * np.log(p)).sum(axis=1))
    return {
        "proba": proba,
        "log_likelihood": float(row_ll[fit] @ w),
        "n_parameters": (k - 1) + k * int((levels - 1).sum()),
        "n_cases": float(total),
        "n_empty": float(w_all[empty].sum()),
        "empty": empty,
        "relative_entropy": 1 - entropy / (total * np.log(k)) if k > 1 and total else np.nan,
        "converged": bool(done[best]),
        "start_log_likelihoods": previous.copy(),
        "n_best": int(np.sum(previous >= previous[best] - best_tol)),
        "iterations": int(iterations[best]),
    }


def _lca(d: Design, codes, counts, k, seed, n_init, max_iter):
    x, _ = lca_indicators(d, codes)
    fit = lca_em(x, counts.astype(float), k, seed, n_init, max_iter, levels=lca_levels(d))
    loglik, npar, n = fit["log_likelihood"], fit["n_parameters"], fit["n_cases"]
    labels = fit["proba"].argmax(axis=1)
    stats = {
        "log_likelihood": loglik,
        "n_parameters": npar,
        "bic": -2 * loglik + npar * np.log(n) if n > 0 else np.nan,
        "aic": -2 * loglik + 2 * npar,
        "relative_entropy": fit["relative_entropy"],
        "converged": fit["converged"],
        "n_no_information": int(round(fit["n_empty"])),
        "starts_at_best": fit["n_best"],
        "starts": n_init,
    }
    return labels, stats


# -- fitting -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    method: str = "kmodes"
    na_policy: str = "drop"
    metric: str = "jaccard"
    linkage: str = "average"
    categories: bool = False
    techniques: bool = False
    weight: float = 1.0
    seed: int = config.SEED
    n_init: int | None = None  # None: KMODES_STARTS k-modes starts, LCA_STARTS for LCA
    max_iter: int | None = None  # None: 200 k-modes passes, 5000 EM steps for LCA
    engine: str = "numpy"

    def __post_init__(self):
        _check_choice("method", self.method, METHODS)
        _check_choice("na_policy", self.na_policy, NA_POLICIES)
        _check_choice("metric", self.metric, METRICS)
        _check_choice("linkage", self.linkage, LINKAGES)
        _check_choice("engine", self.engine, ("numpy", "kmodes"))


def _canonical(labels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Renumber profile labels 0..k-1 by cluster size (cases) descending, then by the
    lowest profile index in the cluster."""
    uniq = np.unique(labels)
    size = {c: counts[labels == c].sum() for c in uniq}
    first = {c: int(np.flatnonzero(labels == c)[0]) for c in uniq}
    order = sorted(uniq, key=lambda c: (-size[c], first[c]))
    remap = {c: i for i, c in enumerate(order)}
    return np.array([remap[c] for c in labels], dtype=np.int64)


def fit_profiles(
    d: Design,
    codes,
    counts,
    k: int,
    opt: Options,
    dist: np.ndarray | None = None,
    z: np.ndarray | None = None,
) -> tuple[np.ndarray, dict, np.ndarray | None]:
    """Fit ``k`` clusters to weighted profiles with the method and settings of ``opt``.

    ``codes`` are distinct rows of design ``d`` (see :func:`collapse`) and ``counts`` the
    cases each stands for. ``dist`` (profile distances) and ``z`` (their linkage) may be
    passed to reuse them across k for the hierarchical method. Returns each profile's
    cluster (0..k-1, numbered by size, largest first), the method's statistics (``height``
    of the cut; k-modes ``cost``; LCA ``log_likelihood``, ``bic``, ``aic``, ...) and, for
    the hierarchical method, the profile linkage (else None). Raises
    :class:`ClusteringError` when k is not between 1 and the number of profiles."""
    m = len(codes)
    if not 1 <= k <= m:
        raise ClusteringError(
            f"k={k} needs at least {k} distinct profiles; the data have {m} "
            f"({int(counts.sum())} cases)"
        )
    stats: dict = {}
    if opt.method == "hierarchical":
        if dist is None:
            dist = distances(d, codes, opt.metric)
        if z is None:
            z = weighted_linkage(dist, counts, opt.linkage)
        labels = cut(z, k)
        stats["height"] = float(z[m - k - 1, 2]) if k < m else 0.0
        stats["arbitrary_cut"] = arbitrary_cut(dist, counts, opt.linkage, z, k)
    elif opt.method == "kmodes":
        if opt.engine == "kmodes":
            from kmodes.kmodes import KModes

            km = KModes(
                n_clusters=k,
                init="Huang",
                n_init=opt.n_init or KMODES_STARTS,
                max_iter=opt.max_iter or 200,
                random_state=opt.seed,
                n_jobs=1,
            )
            labels = km.fit_predict(codes, sample_weight=counts.astype(float))
            stats["cost"] = float(km.cost_)
        else:
            n_init = opt.n_init or KMODES_STARTS
            labels, _, cost, costs = weighted_kmodes(
                codes, counts, k, d.weights, d.n_levels, opt.seed, n_init, opt.max_iter or 200
            )
            stats["cost"] = cost
            stats["cost_median"] = float(np.median(costs))
            stats["cost_worst"] = float(costs.max())
            stats["starts_at_best"] = int(np.sum(costs <= cost + 1e-9 * max(1.0, cost)))
            stats["starts"] = n_init
    else:
        labels, stats = _lca(
            d, codes, counts, k, opt.seed, opt.n_init or LCA_STARTS, opt.max_iter or 5000
        )
    return _canonical(np.asarray(labels), counts), stats, z


@dataclass(frozen=True)
class Clustering:
    """A fitted clustering: the design, its profiles, a cluster per profile (0-based)."""

    options: Options
    k: int
    design: Design
    profiles: Profiles
    profile_labels: np.ndarray
    stats: dict = field(default_factory=dict)
    linkage: np.ndarray | None = None  # profile-level, hierarchical only

    @property
    def labels(self) -> np.ndarray:
        """Cluster number (1..k) of each case used, in case order."""
        return self.profile_labels[self.profiles.inverse] + 1

    @property
    def assignments(self) -> pd.DataFrame:
        """``case_id``, ``name``, ``cluster`` (1..k), ``profile`` for each case used; for
        latent class analysis also ``by_prior``: the case reports no indicator, so its
        class is the largest one by prior alone, not by its answers."""
        out = self.design.cases[["case_id", "name"]].copy()
        out["cluster"] = self.labels
        out["profile"] = self.profiles.inverse + 1
        if self.options.method == "lca":
            x, _ = lca_indicators(self.design, self.profiles.codes)
            out["by_prior"] = np.isnan(x).all(axis=1)[self.profiles.inverse]
        return out

    @property
    def n_cases(self) -> int:
        return int(self.profiles.counts.sum())


def _prepare(cases, opt: Options, frame):
    d = design(cases, opt.na_policy, opt.categories, opt.techniques, opt.weight, frame)
    return d, collapse(d)


@memo.cached
def cluster(
    cases: pd.DataFrame, k: int, method: str = "kmodes", frame: Frame | None = None, **options
) -> Clustering:
    """Cluster cases into ``k`` clusters with ``method`` (hierarchical, kmodes, lca).

    Options: ``na_policy``, ``metric`` and ``linkage`` (hierarchical), ``categories``,
    ``techniques``, ``weight``, ``seed``, ``n_init`` (random starts; default
    :data:`KMODES_STARTS` for k-modes, :data:`LCA_STARTS` for LCA), ``max_iter``,
    ``engine`` (k-modes)."""
    opt = Options(method=method, **options)
    d, p = _prepare(cases, opt, frame)
    labels, stats, z = fit_profiles(d, p.codes, p.counts, k, opt)
    return Clustering(opt, k, d, p, labels, stats, z)


def case_linkage(result: Clustering) -> np.ndarray:
    """All-case linkage matrix of a hierarchical clustering (for a dendrogram with one leaf
    per case)."""
    if result.linkage is None:
        raise ClusteringError("a dendrogram needs method='hierarchical'")
    return expand_linkage(result.linkage, result.profiles.inverse)


# -- criteria ----------------------------------------------------------------------------
def weighted_silhouette(dist: np.ndarray, labels: np.ndarray, counts: np.ndarray) -> float:
    """Mean silhouette over cases, computed on profiles: equal to the silhouette over all
    expanded rows with a precomputed distance (a case's own profile counts counts - 1
    other members at distance 0). NaN unless 2 ≤ clusters ≤ cases - 1."""
    counts = np.asarray(counts, dtype=np.float64)
    k = int(labels.max()) + 1
    total = counts.sum()
    if not 2 <= len(np.unique(labels)) <= total - 1:
        return float("nan")
    onehot = np.zeros((len(labels), k))
    onehot[np.arange(len(labels)), labels] = 1.0
    sums = dist @ (onehot * counts[:, None])
    size = onehot.T @ counts
    own = size[labels]
    a = np.where(own > 1, sums[np.arange(len(labels)), labels] / np.maximum(own - 1, 1), 0.0)
    other = np.where(onehot > 0, np.inf, sums / np.where(size > 0, size, 1.0)[None, :])
    b = other.min(axis=1)
    denom = np.maximum(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(denom > 0, (b - a) / np.where(denom > 0, denom, 1.0), 0.0)
    s = np.where(own > 1, s, 0.0)
    return float(np.sum(counts * s) / total)


@dataclass(frozen=True)
class Selection:
    """Criteria per k, the chosen k and why."""

    table: pd.DataFrame
    k: int
    reason: str


@memo.cached
def select_k(
    cases: pd.DataFrame,
    k_range=range(2, 7),
    method: str = "kmodes",
    frame: Frame | None = None,
    **options,
) -> Selection:
    """Fit every k in ``k_range`` and tabulate the criteria: weighted silhouette on the
    ``metric`` distances (all methods); the hierarchical cut's height and whether it falls
    inside tied heights (``arbitrary_cut``); the k-modes cost with the spread over its
    starts; the LCA log-likelihood, BIC, AIC, relative entropy, cases without any
    indicator (``n_no_information``, not in BIC's n) and starts reaching the best. LCA
    chooses the lowest BIC; the other methods the highest silhouette (ties to the smaller
    k). k beyond the number of distinct profiles is skipped."""
    opt = Options(method=method, **options)
    d, p = _prepare(cases, opt, frame)
    dist = distances(d, p.codes, opt.metric)
    z = weighted_linkage(dist, p.counts, opt.linkage) if method == "hierarchical" else None
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 1:
        raise ClusteringError(f"k range {list(k_range)!r} must hold integers ≥ 1")
    rows = []
    for k in ks:
        if k > len(p.codes):
            continue
        labels, stats, _ = fit_profiles(d, p.codes, p.counts, k, opt, dist, z)
        rows.append(
            {
                "method": method,
                "k": k,
                "n_cases": int(p.counts.sum()),
                "n_profiles": len(p.codes),
                "silhouette": weighted_silhouette(dist, labels, p.counts),
                "smallest_cluster": int(np.bincount(labels, weights=p.counts).min()),
                **stats,
            }
        )
    if not rows:
        raise ClusteringError(f"no k in {ks} is feasible with {len(p.codes)} distinct profiles")
    table = pd.DataFrame(rows)
    if method == "lca":
        best = table.loc[table["bic"].idxmin()]
        reason = (
            f"k={int(best['k'])}: lowest BIC ({best['bic']:.1f}) among k={ks[0]}..{ks[-1]} "
            f"(relative entropy {best['relative_entropy']:.2f}; "
            f"{int(best['starts_at_best'])} of {int(best['starts'])} starts reached it)"
        )
        if best["n_no_information"]:
            reason += (
                f"; {int(best['n_no_information'])} cases report no indicator: left out of "
                "the fit and of BIC's n, classed by prior alone"
            )
    else:
        valid = table.dropna(subset=["silhouette"])
        if valid.empty:
            best = table.iloc[0]
            reason = f"k={int(best['k'])}: silhouette undefined for every k tried; smallest k kept"
        else:
            best = valid.loc[valid["silhouette"].idxmax()]
            reason = (
                f"k={int(best['k'])}: highest mean silhouette ({best['silhouette']:.3f}, "
                f"{opt.metric}) among k={ks[0]}..{ks[-1]}"
            )
            if bool(best.get("arbitrary_cut", False)):
                reason += (
                    f"; the partition at k={int(best['k'])} depends on how tied distances "
                    f"are broken (a tied cut, or ties merged in the other order give another "
                    f"partition), so it is one of several equally valid partitions"
                )
    table["chosen"] = table["k"] == int(best["k"])
    return Selection(table, int(best["k"]), reason)


# -- stability ---------------------------------------------------------------------------
def adjusted_rand(a: np.ndarray, b: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Adjusted Rand index between two labelings of the same items, each item counted
    ``weights`` times (a profile standing for that many cases)."""
    a, b = np.asarray(a), np.asarray(b)
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=np.float64)
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), w)

    def pairs(x):
        return np.sum(x * (x - 1) / 2)

    n = table.sum()
    index, rows, cols = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2) if n > 1 else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))


@dataclass(frozen=True)
class Stability:
    """Bootstrap stability: one row per resample (ARI with the full-data clustering) and
    one row per cluster (Hennig's mean Jaccard of the best-matching resampled cluster)."""

    runs: pd.DataFrame
    clusters: pd.DataFrame


@memo.cached
def stability(
    cases: pd.DataFrame,
    k: int,
    method: str = "kmodes",
    n_boot: int = 50,
    frame: Frame | None = None,
    **options,
) -> Stability:
    """Resample cases with replacement ``n_boot`` times (seeded), recluster each resample and
    compare it with the clustering of all cases, on the cases whose profile was drawn
    (each counted once per case of the data).

    Per cluster, the Jaccard similarity |C ∩ C*| / |C ∪ C*| of the reference cluster C with
    its best-matching resampled cluster C* is averaged over resamples (Hennig 2007: below
    0.5 means the cluster dissolved, 0.75 and above that it is stable). A resample that
    draws fewer distinct profiles than k cannot be reclustered: its row holds NaN."""
    opt = Options(method=method, **options)
    d, p = _prepare(cases, opt, frame)
    ref, _, _ = fit_profiles(d, p.codes, p.counts, k, opt)
    total = int(p.counts.sum())
    rng = np.random.default_rng([opt.seed, 7919])
    runs, jac = [], []
    for b in range(n_boot):
        drawn = rng.multinomial(total, p.counts / total)
        present = np.flatnonzero(drawn > 0)
        if len(present) < k:
            runs.append({"resample": b + 1, "profiles": len(present), "ari": np.nan})
            jac.append(np.full(k, np.nan))
            continue
        labels, _, _ = fit_profiles(d, p.codes[present], drawn[present], k, opt)
        w, r = p.counts[present], ref[present]
        runs.append(
            {"resample": b + 1, "profiles": len(present), "ari": adjusted_rand(r, labels, w)}
        )
        row = np.full(k, np.nan)
        for c in range(k):
            in_c = r == c
            if not in_c.any():
                continue
            best = 0.0
            for c2 in np.unique(labels):
                in_c2 = labels == c2
                best = max(best, w[in_c & in_c2].sum() / w[in_c | in_c2].sum())
            row[c] = best
        jac.append(row)
    jac = np.array(jac)
    sizes = np.bincount(ref, weights=p.counts, minlength=k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        clusters = pd.DataFrame(
            {
                "cluster": np.arange(1, k + 1),
                "cases": sizes.astype(int),
                "mean_jaccard": np.nanmean(jac, axis=0),
                "min_jaccard": np.nanmin(jac, axis=0),
                "dissolved_share": np.nanmean(np.where(np.isnan(jac), np.nan, jac < 0.5), axis=0),
                "recovered_share": np.nanmean(np.where(np.isnan(jac), np.nan, jac >= 0.75), axis=0),
            }
        )
    return Stability(pd.DataFrame(runs), clusters)


# -- describing clusters -----------------------------------------------------------------
def _clustered_cases(result: Clustering) -> pd.DataFrame:
    out = result.design.cases.copy()
    out["cluster"] = result.labels
    return out


def cluster_names(
    profile: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> list[str]:
    """Name each cluster by its defining flags: those ticked by at least half of its
    reporting cases, leaving out flags that every cluster ticks that much (unless nothing
    would remain). A cluster ticking no flag that often is named by the frame's heading
    for "not ticked"; names start with the cluster number."""
    frame = frame or load_frame()
    flags = frame.flag_keys
    high = profile[[f"prevalence_{f}" for f in flags]].to_numpy() >= 0.5
    common = high.all(axis=0) if len(high) > 1 else np.zeros(len(flags), bool)
    names = []
    for number, row in zip(profile["cluster"], high):
        chosen = [f for f, h, c in zip(flags, row, common) if h and not c] or [
            f for f, h in zip(flags, row) if h
        ]
        sep = ", " if language == "en" else "、"
        text = (
            sep.join(frame.label("flag", f, language) for f in chosen)
            if chosen
            else frame.heading("no", language)
        )
        names.append(f"{number}: {text}")
    return names


def cluster_profiles(
    result: Clustering,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    exemplars: int = 3,
) -> pd.DataFrame:
    """One row per cluster: number, name (in ``language``), cases, share, each flag's
    prevalence among the cluster's cases reporting it (``prevalence_<flag>``) and how many
    did not report it (``not_reported_<flag>``), the dominant category (key), the most
    frequent techniques (keys, ``;``-joined, up to three) and exemplar case names (cases
    with the cluster's most frequent profile, in case order)."""
    frame = frame or load_frame()
    data = _clustered_cases(result)
    tech = technique_lists(data)
    rows = []
    for c in range(1, result.k + 1):
        members = data["cluster"] == c
        sub = data[members]
        row = {"cluster": c, "cases": len(sub), "share": len(sub) / max(len(data), 1)}
        for f in frame.flag_keys:
            col = sub[f]
            n = int(col.notna().sum())
            row[f"prevalence_{f}"] = float((col == True).sum()) / n if n else np.nan  # noqa: E712
            row[f"not_reported_{f}"] = int(col.isna().sum())
        cats = sub["category"].dropna()
        order = {k: i for i, k in enumerate(frame.category_keys)}
        if len(cats):
            counts = cats.value_counts()
            row["category"] = min(counts.index, key=lambda k: (-counts[k], order.get(k, 99)))
        else:
            row["category"] = pd.NA
        tcount = pd.Series([t for ts in tech[members] for t in ts], dtype=object).value_counts()
        torder = {k: i for i, k in enumerate(frame.technique_keys)}
        top = sorted(tcount.index, key=lambda k: (-tcount[k], torder.get(k, 99)))[:3]
        row["techniques"] = ";".join(top) if top else pd.NA
        prof = result.profiles.inverse[members.to_numpy()]
        mode = np.bincount(prof).argmax()
        row["exemplars"] = "; ".join(sub["name"][prof == mode].astype(str).head(exemplars))
        rows.append(row)
    out = pd.DataFrame(rows)
    out.insert(1, "label", cluster_names(out, frame, language))
    return out


def crosstab(result: Clustering, by: str = "category", frame: Frame | None = None) -> pd.DataFrame:
    """Cases per cluster and category (or technique; a case counts once per technique it
    uses), tidy: ``cluster``, ``category``/``technique``, ``cases``, ``share`` of the
    cluster's cases. Frame order; uncoded category (NA) last; zeros kept."""
    _check_choice("by", by, ("category", "technique"))
    frame = frame or load_frame()
    data = _clustered_cases(result)
    if by == "category":
        keys = list(frame.category_keys) + ([pd.NA] if data["category"].isna().any() else [])
        values = data["category"]
        member = [
            (values == k).fillna(False).to_numpy() if not pd.isna(k) else values.isna().to_numpy()
            for k in keys
        ]
    else:
        lists = technique_lists(data)
        keys = [t for t in frame.technique_keys if lists.map(lambda ts, t=t: t in ts).any()]
        member = [lists.map(lambda ts, t=t: t in ts).to_numpy(dtype=bool) for t in keys]
    rows = []
    for c in range(1, result.k + 1):
        in_c = (data["cluster"] == c).to_numpy()
        for key, mask in zip(keys, member):
            rows.append(
                {
                    "cluster": c,
                    by: key,
                    "cases": int((in_c & mask).sum()),
                    "share": float((in_c & mask).sum() / max(in_c.sum(), 1)),
                }
            )
    return pd.DataFrame(rows, columns=["cluster", by, "cases", "share"])


@memo.cached
def mca_map(result: Clustering, seed: int = config.SEED) -> pd.DataFrame:
    """A 2-D map of the cases by multiple correspondence analysis (prince) of the coded
    variables (constant variables left out): ``case_id``, ``name``, ``cluster``, ``dim_1``,
    ``dim_2``, ``inertia_1``, ``inertia_2`` (share of inertia of each axis). Axis signs are
    fixed so that the mean coordinate of cluster 1 is non-negative."""
    import prince

    d = result.design
    varying = [j for j in range(d.codes.shape[1]) if len(np.unique(d.codes[:, j])) > 1]
    out = result.assignments[["case_id", "name", "cluster"]].copy()
    if len(varying) < 2:
        raise ClusteringError(
            "a correspondence map needs at least two variables that vary across cases"
        )
    table = pd.DataFrame({d.names[j]: [f"{j}:{c}" for c in d.codes[:, j]] for j in varying})
    mca = prince.MCA(n_components=2, random_state=seed, n_iter=10)
    coords = mca.fit(table).row_coordinates(table).to_numpy()[:, :2]
    ones = (out["cluster"] == 1).to_numpy()
    signs = np.where(coords[ones].mean(axis=0) < 0, -1.0, 1.0)
    coords = coords * signs
    out["dim_1"], out["dim_2"] = np.round(coords[:, 0], 10), np.round(coords[:, 1], 10)
    share = np.asarray(mca.percentage_of_variance_)[:2] / 100.0
    out["inertia_1"], out["inertia_2"] = (
        float(share[0]),
        float(share[1]) if len(share) > 1 else np.nan,
    )
    return out
