"""Co-occurrence of risk flags: flag × flag, stratum × flag and exact flag combinations.

Every table comes from one grouped matrix product over indicator matrices. For each
case the six tri-state flags form a *pattern* (yes / no / not reported per flag); with
``Y`` the yes-indicator and ``R`` the reported-indicator matrix (cases × flags) and ``S``
the stratum-membership matrix (strata × cases), the per-stratum products are

    Y_sᵀY_s,  Y_sᵀR_s,  R_sᵀR_s  =  Zᵀ diag(S W) Z

where ``W`` (cases × patterns) is the one-hot pattern matrix and ``Z`` (patterns × 2F) the
indicator rows of the distinct patterns. ``S W`` (strata × patterns) is a single
``np.bincount`` over (stratum, pattern) pairs and the product one ``einsum``: no loop over
cases, flag pairs or strata, and no re-filtering of the table per group. A case listed
under several techniques is a member of each technique's stratum.

``S W`` (:class:`PatternCounts`) is the only thing read from the cases, and it is a sum
over cases, so the counts of a table are the sums of the counts of its partitions:
:func:`tables_partitioned` (an iterable of partitions, one held at a time) and
:func:`tables_dask` (a Dask DataFrame, optional extra ``analysis[scale]``) count each
partition with the same :func:`pattern_counts`, add the counts up and derive every table
from the sum as :func:`tables` does, so their results equal the in-memory ones exactly.

Not-reported flags (NA) are never read as "no" unless asked (``na_policy``):

``"pairwise"`` (default)
    each flag pair (or flag) uses the cases that report both (or it); ``n`` says how many.
``"as_no"``
    not reported counts as no; every case is used.
``"complete"``
    only cases that report every flag are used.

Outputs are tidy DataFrames of frame keys in the frame's order;
:func:`analysis.tables.labelled_with_pairs` turns the keys into the frame's labels in
either language.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import config
from .canonical import TECHNIQUE_SEP
from .errors import AnalysisError
from .frame import Frame, load_frame

NA_POLICIES = ("pairwise", "as_no", "complete")
#: Strata computed by :func:`tables` unless told otherwise (``None`` = all cases).
DEFAULT_STRATA = (None, "category", "application_type", "technique", "source", "inventory")
MEASURES = ("count", "jaccard", "p_b_given_a", "lift", "phi")
#: Tri-state codes of one flag inside a pattern.
NO, YES, NOT_REPORTED = 0, 1, 2
_MAX_DIRECT_PATTERNS = 3**12

PAIR_COLUMNS = ["cases", "n", "n_a", "n_b", "count", "jaccard", "p_b_given_a", "lift", "phi"]
FLAG_COLUMNS = ["cases", "yes", "no", "n", "prevalence", "not_reported", "not_reported_share"]


class CooccurrenceError(AnalysisError):
    """A co-occurrence request the data or the parameters cannot satisfy."""


# -- strata -------------------------------------------------------------------------------
def stratum_column(by: str | None) -> str | None:
    """Name of the column that holds the stratum keys in results (``techniques`` →
    ``technique``)."""
    if by is None:
        return None
    return "technique" if by in ("technique", "techniques") else by


def _ordered(values: list, preferred: list[str] | None) -> list:
    """Frame order for frame keys, sorted text otherwise, unknown values after, NA last."""
    present = [v for v in values if not pd.isna(v)]
    if preferred is not None:
        known = set(present)
        head = [k for k in preferred if k in known]
        rest = sorted(v for v in present if v not in set(preferred))
        present = head + rest
    else:
        present = sorted(present, key=str)
    return present + ([pd.NA] if len(present) < len(values) else [])


def _preferred(by: str | None, frame: Frame) -> list[str] | None:
    """The frame's order for the keys of stratification ``by`` (``None``: sort as text)."""
    col = "techniques" if by in ("technique", "techniques") else by
    return {
        "category": frame.category_keys,
        "application_type": frame.application_type_keys,
        "techniques": frame.technique_keys,
    }.get(col)


def memberships(
    cases: pd.DataFrame, by: str | None, frame: Frame | None = None, include_missing: bool = True
) -> tuple[np.ndarray, np.ndarray, list]:
    """Stratum membership as pairs ``(case position, stratum index)`` plus the stratum keys.

    ``by=None`` puts every case in one stratum (key ``"all"``); ``"technique"`` gives each
    case one membership per technique it uses; any other column gives one per case.
    Missing values form their own stratum (key NA, last) unless ``include_missing`` is false.
    """
    frame = frame or load_frame()
    n = len(cases)
    if by is None:
        return np.arange(n), np.zeros(n, dtype=np.int64), ["all"]
    col = "techniques" if by in ("technique", "techniques") else by
    if col not in cases.columns:
        raise CooccurrenceError(
            f"cannot stratify by {by!r}: no column {col!r} in the case table "
            f"(columns: {', '.join(map(str, cases.columns))})"
        )
    codes, uniques = pd.factorize(cases[col], use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    if col == "techniques":
        # split only the distinct technique strings, then expand by case
        parts = [[t for t in str(u).split(TECHNIQUE_SEP) if t] for u in uniques]
        keys = _ordered(sorted({t for p in parts for t in p}), _preferred(col, frame))
        pos = {k: i for i, k in enumerate(keys)}
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        flat = np.array([pos[t] for p in parts for t in p], dtype=np.int64)
        starts = (
            np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(parts) else np.zeros(0, np.int64)
        )
        valid = codes >= 0
        per_case = np.where(valid, lengths[np.where(valid, codes, 0)] if len(parts) else 0, 0)
        case_idx = np.repeat(np.arange(n), per_case)
        offset = np.arange(len(case_idx)) - np.repeat(np.cumsum(per_case) - per_case, per_case)
        stratum_idx = (
            flat[starts[codes[case_idx]] + offset] if len(case_idx) else np.zeros(0, np.int64)
        )
        missing = np.flatnonzero(~valid)
        if include_missing and len(missing):
            keys = keys + [pd.NA]
            case_idx = np.concatenate([case_idx, missing])
            stratum_idx = np.concatenate([stratum_idx, np.full(len(missing), len(keys) - 1)])
        return case_idx, stratum_idx, keys
    values = list(uniques) + ([pd.NA] if (codes < 0).any() else [])
    keys = _ordered(values, _preferred(col, frame))
    present = [k for k in keys if not pd.isna(k)]
    remap = np.array([present.index(u) for u in uniques] + [len(present)], dtype=np.int64)
    stratum_idx = remap[codes]  # code -1 picks the last entry: the NA stratum
    case_idx = np.arange(n)
    if not include_missing and len(keys) > len(present):
        keep = codes >= 0
        case_idx, stratum_idx, keys = case_idx[keep], stratum_idx[keep], present
    return case_idx, stratum_idx, keys


# -- patterns -----------------------------------------------------------------------------
def flag_states(cases: pd.DataFrame, flags: list[str]) -> np.ndarray:
    """Cases × flags array of tri-state codes: 0 no, 1 yes, 2 not reported."""
    missing = [f for f in flags if f not in cases.columns]
    if missing:
        raise CooccurrenceError(f"flag column(s) {missing} not in the case table")
    out = np.empty((len(cases), len(flags)), dtype=np.int8)
    for j, f in enumerate(flags):
        col = cases[f]
        if col.dtype == object or str(col.dtype) not in ("boolean", "bool"):
            col = col.astype("boolean")
        out[:, j] = np.where(
            col.isna().to_numpy(), NOT_REPORTED, col.to_numpy(dtype=bool, na_value=False)
        )
    return out


def _patterns(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pattern index per case and the distinct patterns (patterns × flags tri-state codes)."""
    n, f = states.shape
    if 3**f <= _MAX_DIRECT_PATTERNS:
        codes = states.astype(np.int64) @ (3 ** np.arange(f, dtype=np.int64))
        present = np.flatnonzero(np.bincount(codes, minlength=3**f))
        lookup = np.zeros(3**f, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        table = (present[:, None] // (3 ** np.arange(f, dtype=np.int64))) % 3
        return lookup[codes], table.astype(np.int8)
    table, inverse = np.unique(states, axis=0, return_inverse=True)
    return inverse.reshape(-1), table.astype(np.int8)


def _check_na_policy(na_policy: str) -> None:
    if na_policy not in NA_POLICIES:
        raise CooccurrenceError(
            f"na_policy must be one of {', '.join(NA_POLICIES)}; got {na_policy!r}"
        )


def _indicators(table: np.ndarray, na_policy: str) -> tuple[np.ndarray, np.ndarray]:
    """Yes- and reported-indicators of the distinct patterns under ``na_policy``."""
    _check_na_policy(na_policy)
    yes = (table == YES).astype(np.float64)
    reported = (table != NOT_REPORTED).astype(np.float64)
    if na_policy == "as_no":
        reported = np.ones_like(reported)
    elif na_policy == "complete":
        full = reported.all(axis=1, keepdims=True)
        yes, reported = yes * full, reported * full
    return yes, reported


# -- counts -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counts:
    """Per-stratum co-occurrence counts of one stratification.

    ``yy[s, a, b]`` cases with a and b yes; ``yr[s, a, b]`` a yes and b reported;
    ``rr[s, a, b]`` both reported (all under ``na_policy``); ``not_reported[s, a]`` raw NA
    counts; ``pattern_counts[s, k]`` cases of stratum ``s`` with pattern ``patterns[k]``.
    """

    by: str | None
    strata: list
    flags: list[str]
    na_policy: str
    cases: np.ndarray
    yy: np.ndarray
    yr: np.ndarray
    rr: np.ndarray
    not_reported: np.ndarray
    patterns: np.ndarray
    pattern_counts: np.ndarray

    def keep(self, min_stratum_size: int) -> np.ndarray:
        """Strata with at least ``min_stratum_size`` cases (the overall stratum always)."""
        if self.by is None:
            return np.arange(len(self.strata))
        return np.flatnonzero(self.cases >= max(min_stratum_size, 0))

    def _key_frame(self, idx: np.ndarray, repeat: int) -> dict:
        col = stratum_column(self.by)
        if col is None:
            return {}
        keys = pd.array([self.strata[i] for i in idx], dtype=object)
        return {col: np.repeat(np.asarray(keys, dtype=object), repeat)}

    def pairs(self, min_stratum_size: int = 1) -> pd.DataFrame:
        """Tidy flag × flag table: one row per stratum and ordered flag pair (a, b)."""
        idx = self.keep(min_stratum_size)
        f = len(self.flags)
        n = self.rr[idx]
        both = self.yy[idx]
        n_a = self.yr[idx]
        n_b = np.swapaxes(self.yr[idx], 1, 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            union = n_a + n_b - both
            jaccard = np.where(union > 0, both / union, np.nan)
            cond = np.where(n_a > 0, both / n_a, np.nan)
            lift = np.where((n_a > 0) & (n_b > 0), both * n / (n_a * n_b), np.nan)
            denom = np.sqrt(n_a * (n - n_a) * n_b * (n - n_b))
            phi = np.where(denom > 0, (both * n - n_a * n_b) / denom, np.nan)
        out = self._key_frame(idx, f * f)
        out["flag_a"] = np.tile(np.repeat(self.flags, f), len(idx))
        out["flag_b"] = np.tile(np.tile(self.flags, f), len(idx))
        out["cases"] = np.repeat(self.cases[idx], f * f)
        for name, arr in (("n", n), ("n_a", n_a), ("n_b", n_b), ("count", both)):
            out[name] = arr.reshape(-1).astype(np.int64)
        for name, arr in (
            ("jaccard", jaccard),
            ("p_b_given_a", cond),
            ("lift", lift),
            ("phi", phi),
        ):
            out[name] = arr.reshape(-1)
        return _finish(pd.DataFrame(out), self.by)

    def flag_table(self, min_stratum_size: int = 1) -> pd.DataFrame:
        """Tidy stratum × flag table: counts, prevalence among the cases used, and the share
        of the stratum's cases that do not report the flag."""
        idx = self.keep(min_stratum_size)
        f = len(self.flags)
        diag = np.arange(f)
        yes = self.yy[idx][:, diag, diag]
        n = self.rr[idx][:, diag, diag]
        cases = np.repeat(self.cases[idx][:, None], f, axis=1)
        nr = self.not_reported[idx]
        out = self._key_frame(idx, f)
        out["flag"] = np.tile(self.flags, len(idx))
        with np.errstate(divide="ignore", invalid="ignore"):
            columns = {
                "cases": cases,
                "yes": yes,
                "no": n - yes,
                "n": n,
                "prevalence": np.where(n > 0, yes / n, np.nan),
                "not_reported": nr,
                "not_reported_share": np.where(cases > 0, nr / cases, np.nan),
            }
        for name, arr in columns.items():
            arr = arr.reshape(-1)
            out[name] = (
                arr if name in ("prevalence", "not_reported_share") else arr.astype(np.int64)
            )
        return _finish(pd.DataFrame(out), self.by)

    def combinations(self, min_stratum_size: int = 1) -> pd.DataFrame:
        """Frequency of each exact flag combination (UpSet data), most frequent first.

        Under ``"pairwise"`` a not-reported flag is its own state (NA in the flag column);
        ``"as_no"`` reads it as no; ``"complete"`` leaves out cases with any NA.
        """
        idx = self.keep(min_stratum_size)
        table = self.patterns
        counts = self.pattern_counts[idx]
        if self.na_policy == "as_no":
            table = np.where(table == NOT_REPORTED, NO, table)
            folded, inverse = np.unique(table, axis=0, return_inverse=True)
            merged = np.zeros((len(idx), len(folded)))
            np.add.at(merged.T, inverse.reshape(-1), counts.T)
            table, counts = folded, merged
        elif self.na_policy == "complete":
            full = (table != NOT_REPORTED).all(axis=1)
            table, counts = table[full], counts[:, full]
        s_idx, k_idx = np.nonzero(counts > 0)
        used = counts.sum(axis=1)
        col = stratum_column(self.by)
        out = (
            {}
            if col is None
            else {col: np.asarray([self.strata[idx[i]] for i in s_idx], dtype=object)}
        )
        states = table[k_idx]
        for j, flag in enumerate(self.flags):
            out[flag] = pd.array(
                np.where(states[:, j] == NOT_REPORTED, None, states[:, j] == YES), dtype="boolean"
            )
        yes = states == YES
        names = np.asarray(self.flags, dtype=object)
        out["flags"] = [TECHNIQUE_SEP.join(names[row]) for row in yes]
        out["n_flags"] = yes.sum(axis=1).astype(np.int64)
        out["count"] = counts[s_idx, k_idx].astype(np.int64)
        out["n"] = used[s_idx].astype(np.int64)
        out["share"] = out["count"] / out["n"]
        df = pd.DataFrame(out)
        order = [] if col is None else ["_stratum"]
        df["_stratum"] = s_idx
        df["_pattern"] = [tuple(r) for r in np.select([states == YES, states == NO], [0, 1], 2)]
        df = df.sort_values(
            order + ["count", "n_flags", "_pattern"],
            ascending=[True] * len(order) + [False, False, True],
            kind="stable",
        )
        return df.drop(columns=["_stratum", "_pattern"]).reset_index(drop=True)


def _finish(df: pd.DataFrame, by: str | None) -> pd.DataFrame:
    col = stratum_column(by)
    if col is not None:
        df[col] = df[col].astype("string")
    for c in ("flag", "flag_a", "flag_b"):
        if c in df.columns:
            df[c] = df[c].astype("string")
    return df.reset_index(drop=True)


# -- pattern counts: the one count, additive over partitions of the cases -------------------
@dataclass(frozen=True)
class PatternCounts:
    """How many cases of each stratum show each flag pattern, for several stratifications.

    These counts are all that any co-occurrence table reads: every pair count, ``n``,
    prevalence and combination is a function of them and of ``na_policy``
    (:meth:`derive`). They are also additive: the counts of a table are the sums of the
    counts of any split of its rows into partitions (:func:`sum_pattern_counts`), which is
    what lets the tables be computed one partition at a time (:func:`tables_partitioned`,
    :func:`tables_dask`). ``na_policy`` is applied only afterwards, so one pass over the
    data serves every policy.

    ``patterns`` (patterns × flags tri-state codes) are the distinct patterns seen;
    ``strata[b]`` the stratum keys of stratification ``b`` in frame order; ``counts``
    (strata × patterns, int64) stacks the strata of ``by`` in that order.
    """

    flags: list[str]
    by: tuple
    patterns: np.ndarray
    strata: dict
    counts: np.ndarray

    def spans(self):
        """``(b, slice of rows of counts, keys)`` per stratification."""
        start = 0
        for b in self.by:
            keys = self.strata[b]
            yield b, slice(start, start + len(keys)), keys
            start += len(keys)

    def derive(self, na_policy: str = "pairwise") -> dict:
        """:class:`Counts` per stratification under ``na_policy``, ``{by: Counts}``.

        With ``Z`` the yes- and reported-indicators of the patterns, one ``einsum`` gives
        ``Zᵀ diag(c_s) Z`` for every stratum ``s`` at once (see the module docstring).
        """
        pc = self.counts.astype(np.float64)
        yes, reported = _indicators(self.patterns, na_policy)
        z = np.concatenate([yes, reported], axis=1)
        m = np.einsum("sk,ki,kj->sij", pc, z, z, optimize=True)
        nf = len(self.flags)
        nr = pc @ (self.patterns == NOT_REPORTED).astype(np.float64)
        out = {}
        for b, sl, keys in self.spans():
            out[b] = Counts(
                by=b,
                strata=keys,
                flags=self.flags,
                na_policy=na_policy,
                cases=self.counts[sl].sum(axis=1).astype(np.int64),
                yy=m[sl, :nf, :nf].round(),
                yr=m[sl, :nf, nf:].round(),
                rr=m[sl, nf:, nf:].round(),
                not_reported=nr[sl].round(),
                patterns=self.patterns,
                pattern_counts=pc[sl],
            )
        return out


def pattern_counts(
    cases: pd.DataFrame,
    by: list | tuple = DEFAULT_STRATA,
    frame: Frame | None = None,
    flags: list[str] | None = None,
    include_missing: bool = True,
) -> PatternCounts:
    """:class:`PatternCounts` of one table (or one partition of a larger one).

    The memberships of every stratification are stacked into one (stratum, case) list and
    a single ``bincount`` counts the (stratum, pattern) pairs: no loop over cases or strata.
    """
    frame = frame or load_frame()
    flags = list(flags or frame.flag_keys)
    unknown = [f for f in flags if f not in frame.flag_keys]
    if unknown:
        raise CooccurrenceError(
            f"unknown flag key(s) {unknown}; the frame's flags are {frame.flag_keys}"
        )
    by = tuple(dict.fromkeys(by))
    pattern, table = _patterns(flag_states(cases, flags))
    k = len(table)
    case_parts, stratum_parts, strata, offset = [], [], {}, 0
    for b in by:
        c_idx, s_idx, keys = memberships(cases, b, frame, include_missing)
        case_parts.append(c_idx)
        stratum_parts.append(s_idx + offset)
        strata[b] = keys
        offset += len(keys)
    case_idx = np.concatenate(case_parts) if case_parts else np.zeros(0, np.int64)
    stratum_idx = np.concatenate(stratum_parts) if stratum_parts else np.zeros(0, np.int64)
    pc = np.bincount(stratum_idx * k + pattern[case_idx], minlength=offset * k).reshape(offset, k)
    return PatternCounts(
        flags=flags, by=by, patterns=table, strata=strata, counts=pc.astype(np.int64)
    )


_NA_KEY = object()  # stands for the NA stratum key in dicts (pd.NA is not equal to itself)


def sum_pattern_counts(parts, frame: Frame | None = None) -> PatternCounts:
    """The :class:`PatternCounts` of the union of disjoint partitions, from theirs.

    Patterns and stratum keys are united and put in the order :func:`pattern_counts`
    gives them on the whole table (patterns by their code, keys in frame order, NA last),
    so the sum equals the counts of the concatenated partitions exactly, whatever the
    partitioning and order. A single part is returned as it is.
    """
    parts = list(parts)
    if not parts:
        raise CooccurrenceError("no partitions to sum")
    first = parts[0]
    for p in parts[1:]:
        if p.flags != first.flags or p.by != first.by:
            raise CooccurrenceError(
                f"cannot sum counts of different flags or stratifications: "
                f"{first.flags} by {first.by} vs {p.flags} by {p.by}"
            )
    if len(parts) == 1:
        return first
    frame = frame or load_frame()
    # one row per (part, pattern): _patterns gives each its index in the united pattern table
    pattern_of, table = _patterns(np.concatenate([p.patterns for p in parts]))
    bounds = np.cumsum([0] + [len(p.patterns) for p in parts])
    strata, blocks = {}, []
    for b in first.by:
        united = {}
        for p in parts:
            for key in p.strata[b]:
                united.setdefault(_NA_KEY if pd.isna(key) else key, key)
        keys = _ordered(list(united.values()), _preferred(b, frame))
        row_of = {(_NA_KEY if pd.isna(key) else key): i for i, key in enumerate(keys)}
        block = np.zeros((len(keys), len(table)), dtype=np.int64)
        for i, p in enumerate(parts):
            sl = next(sl for pb, sl, _ in p.spans() if pb == b)
            rows = np.array(
                [row_of[_NA_KEY if pd.isna(key) else key] for key in p.strata[b]], dtype=np.int64
            )
            cols = pattern_of[bounds[i] : bounds[i + 1]]
            np.add.at(block, (rows[:, None], cols[None, :]), p.counts[sl])
        strata[b] = keys
        blocks.append(block)
    counts = np.concatenate(blocks) if blocks else np.zeros((0, len(table)), dtype=np.int64)
    return PatternCounts(
        flags=first.flags, by=first.by, patterns=table, strata=strata, counts=counts
    )


def counts_many(
    cases: pd.DataFrame,
    by: list | tuple = DEFAULT_STRATA,
    na_policy: str = "pairwise",
    frame: Frame | None = None,
    flags: list[str] | None = None,
    include_missing: bool = True,
) -> dict:
    """:class:`Counts` for several stratifications from one grouped product, ``{by: Counts}``."""
    return pattern_counts(cases, by, frame, flags, include_missing).derive(na_policy)


def counts(
    cases: pd.DataFrame,
    by: str | None = None,
    na_policy: str = "pairwise",
    frame: Frame | None = None,
    flags: list[str] | None = None,
    include_missing: bool = True,
) -> Counts:
    """:class:`Counts` for one stratification (``by=None``: all cases together)."""
    return counts_many(cases, [by], na_policy, frame, flags, include_missing)[by]


# -- public tables ------------------------------------------------------------------------
def pairs(
    cases: pd.DataFrame,
    by: str | None = None,
    na_policy: str = "pairwise",
    min_stratum_size: int = 1,
    frame: Frame | None = None,
    flags: list[str] | None = None,
) -> pd.DataFrame:
    """Flag × flag co-occurrence, overall or per stratum of ``by``.

    One row per (stratum,) ordered flag pair (a, b): ``cases`` in the stratum, ``n`` cases
    used for the pair, ``n_a``/``n_b`` of them with a/b yes, ``count`` with both,
    ``jaccard``, ``p_b_given_a`` = P(b | a), ``lift`` and ``phi`` (NaN where undefined).
    The diagonal (a = b) holds each flag's own count.
    """
    return counts(cases, by, na_policy, frame, flags).pairs(min_stratum_size)


def flag_table(
    cases: pd.DataFrame,
    by: str | None = "category",
    na_policy: str = "pairwise",
    min_stratum_size: int = 1,
    frame: Frame | None = None,
    flags: list[str] | None = None,
) -> pd.DataFrame:
    """Stratum × flag (e.g. category × flag, technique × flag): ``cases`` in the stratum,
    ``yes``/``no``/``n`` among the cases used, ``prevalence`` = yes / n, ``not_reported``
    and ``not_reported_share`` of the stratum's cases."""
    return counts(cases, by, na_policy, frame, flags).flag_table(min_stratum_size)


def combinations(
    cases: pd.DataFrame,
    by: str | None = None,
    na_policy: str = "pairwise",
    min_stratum_size: int = 1,
    frame: Frame | None = None,
    flags: list[str] | None = None,
) -> pd.DataFrame:
    """Frequency of each exact combination of flags, most frequent first (see
    :meth:`Counts.combinations`)."""
    return counts(cases, by, na_policy, frame, flags).combinations(min_stratum_size)


def _with_overall(by) -> list:
    return list(dict.fromkeys([None, *by]))


def _tables(many: dict, min_stratum_size: int) -> dict[str, pd.DataFrame]:
    """The tidy tables of :func:`tables` from ``{by: Counts}`` (``None`` among the keys)."""
    overall = many[None]
    out = {
        "pairs": overall.pairs(),
        "flags": overall.flag_table(),
        "combinations": overall.combinations(),
    }
    for b, c in many.items():
        if b is not None:
            out[f"pairs_by_{stratum_column(b)}"] = c.pairs(min_stratum_size)
            out[f"flags_by_{stratum_column(b)}"] = c.flag_table(min_stratum_size)
    return out


def tables(
    cases: pd.DataFrame,
    by: list | tuple = DEFAULT_STRATA,
    na_policy: str = "pairwise",
    min_stratum_size: int = 1,
    frame: Frame | None = None,
    flags: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every co-occurrence table for every stratification in ``by`` (``None`` = overall)
    from one grouped product: ``pairs``, ``flags`` and ``combinations`` overall, and
    ``pairs_by_<by>`` and ``flags_by_<by>`` per stratification."""
    return _tables(counts_many(cases, _with_overall(by), na_policy, frame, flags), min_stratum_size)


def tables_partitioned(
    partitions,
    by: list | tuple = DEFAULT_STRATA,
    na_policy: str = "pairwise",
    min_stratum_size: int = 1,
    frame: Frame | None = None,
    flags: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`tables` of the concatenation of ``partitions`` (an iterable of case tables),
    without ever holding more than one partition.

    Each partition is reduced to its :class:`PatternCounts` (kilobytes, whatever its
    size) and added to a running sum; the tables are derived from the sum exactly as
    :func:`tables` derives them from one table's counts, so the result is identical to
    ``tables(pd.concat(partitions))``. Partitions may be empty or lack some strata.
    """
    frame = frame or load_frame()
    _check_na_policy(na_policy)
    by = _with_overall(by)
    total = None
    for part in partitions:
        tally = pattern_counts(part, by, frame, flags)
        total = tally if total is None else sum_pattern_counts([total, tally], frame)
    if total is None:
        raise CooccurrenceError("no partitions: give at least one (possibly empty) case table")
    return _tables(total.derive(na_policy), min_stratum_size)


def _sum_partition_counts(parts: pd.Series, frame: Frame) -> PatternCounts:
    """Dask's combine/aggregate step: it hands over the partitions' counts as a Series."""
    return sum_pattern_counts(list(parts), frame)


def tables_dask(
    ddf,
    by: list | tuple = DEFAULT_STRATA,
    na_policy: str = "pairwise",
    min_stratum_size: int = 1,
    frame: Frame | None = None,
    flags: list[str] | None = None,
    scheduler: str | None = None,
    split_every: int | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`tables` of a ``dask.dataframe.DataFrame`` of cases, computed partition by
    partition with Dask (the optional extra ``analysis[scale]``).

    ``ddf.reduction`` runs :func:`pattern_counts` on every partition (wherever Dask
    places it: threads, processes or a cluster) and adds the counts up in a tree of
    :func:`sum_pattern_counts` (``split_every`` parts at a time); only the summed counts
    come back, and the tables are derived from them as :func:`tables` does, so the result
    equals ``tables(ddf.compute())``. Only the flag and stratum columns are selected, so
    a source such as Parquet reads no other column. ``scheduler`` is passed to ``compute``
    (``"sync"``, ``"threads"``, …; ``None``: Dask's configured default).
    """
    frame = frame or load_frame()
    _check_na_policy(na_policy)
    by = _with_overall(by)
    flags = list(flags or frame.flag_keys)
    columns = list(
        dict.fromkeys(
            [
                *flags,
                *(
                    "techniques" if stratum_column(b) == "technique" else b
                    for b in by
                    if b is not None
                ),
            ]
        )
    )
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise CooccurrenceError(
            f"column(s) {missing} not in the Dask DataFrame "
            f"(columns: {', '.join(map(str, ddf.columns))})"
        )
    # Dask's "meta": an empty instance of what the reduction returns (no cases, no patterns)
    empty = PatternCounts(
        flags=flags,
        by=tuple(by),
        patterns=np.zeros((0, len(flags)), np.int8),
        strata={b: [] for b in by},
        counts=np.zeros((0, 0), np.int64),
    )
    tally = ddf[columns].reduction(
        pattern_counts,
        aggregate=_sum_partition_counts,
        combine=_sum_partition_counts,
        chunk_kwargs={"by": by, "frame": frame, "flags": flags},
        aggregate_kwargs={"frame": frame},
        combine_kwargs={"frame": frame},
        meta=empty,
        split_every=split_every,
        token="cooccurrence-pattern-counts",
    )
    total = tally.compute(scheduler=scheduler)
    return _tables(total.derive(na_policy), min_stratum_size)


def matrix(
    pairs_table: pd.DataFrame,
    measure: str = "jaccard",
    stratum: object = None,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Wide flag × flag matrix (rows a, columns b) of one measure, frame order, keys as
    labels; ``stratum`` picks one stratum of a stratified table."""
    if measure not in MEASURES:
        raise CooccurrenceError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    frame = frame or load_frame()
    table = pairs_table
    extra = [c for c in table.columns if c not in ("flag_a", "flag_b", *PAIR_COLUMNS)]
    if extra:
        if stratum is None and table[extra[0]].nunique(dropna=False) > 1:
            raise CooccurrenceError(f"the table is stratified by {extra[0]!r}: name a stratum")
        if stratum is not None:
            table = table[table[extra[0]] == stratum]
    order = [f for f in frame.flag_keys if f in set(table["flag_a"])]
    wide = table.pivot(index="flag_a", columns="flag_b", values=measure).reindex(
        index=order, columns=order
    )
    wide.index.name, wide.columns.name = "flag_a", "flag_b"
    return wide


def distinct_pairs(pairs_table: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """The rows of :func:`pairs` for distinct flags, each unordered pair once (a before b in
    frame order), strata kept: the table a reader compares pairs in."""
    frame = frame or load_frame()
    rank = {f: i for i, f in enumerate(frame.flag_keys)}
    keep = pairs_table["flag_a"].map(rank) < pairs_table["flag_b"].map(rank)
    return pairs_table[keep].reset_index(drop=True)


def pair_table(
    pairs_table: pd.DataFrame,
    measure: str = "jaccard",
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """One measure for every unordered flag pair (a before b in frame order) as columns
    labelled ``a × b``, one row per stratum (a single row when unstratified), labels in
    ``language``; a column ``n`` keeps each stratum's case count."""
    if measure not in MEASURES:
        raise CooccurrenceError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    frame = frame or load_frame()
    rank = {f: i for i, f in enumerate(frame.flag_keys)}
    upper = pairs_table[pairs_table["flag_a"].map(rank) < pairs_table["flag_b"].map(rank)]
    extra = [c for c in upper.columns if c not in ("flag_a", "flag_b", *PAIR_COLUMNS)]
    col = extra[0] if extra else None
    names = [
        f"{frame.label('flag', a, language)} × {frame.label('flag', b, language)}"
        for a, b in zip(upper["flag_a"], upper["flag_b"])
    ]
    if col:
        codes, uniques = pd.factorize(upper[col], use_na_sentinel=True)
        strata = [pd.NA if c < 0 else uniques[c] for c in pd.unique(codes)]
    else:
        codes, strata = np.zeros(len(upper), dtype=np.int64), ["all"]
    wide = pd.DataFrame(
        {
            "_key": codes,
            "_pair": names,
            "value": upper[measure].to_numpy(),
            "cases": upper["cases"].to_numpy(),
        }
    )
    order = list(pd.unique(codes))
    out = wide.pivot(index="_key", columns="_pair", values="value").reindex(
        index=order, columns=list(dict.fromkeys(names))
    )
    cases = wide.drop_duplicates("_key").set_index("_key")["cases"].reindex(order)
    out.insert(0, frame.heading("cases", language), cases.to_numpy())
    if col:
        kind = {
            "category": "category",
            "application_type": "application_type",
            "technique": "technique",
        }.get(col)
        out.index = [
            frame.heading("not_coded", language)
            if pd.isna(k)
            else (frame.label(kind, k, language) if kind else str(k))
            for k in strata
        ]
        out.index.name = frame.heading(col, language) if col in frame.headings else col
    else:
        out.index = [""]
    out.columns.name = None
    return out


def describe(
    cases: pd.DataFrame,
    na_policy: str = "pairwise",
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> str:
    """A sentence of the numbers a report quotes: cases, how many report every flag, the
    cases each pair uses, and the pair ticked together most often (ties: frame order)."""
    frame = frame or load_frame()
    c = counts(cases, None, na_policy, frame)
    table = c.pairs()
    rank = {f: i for i, f in enumerate(c.flags)}
    upper = table[table["flag_a"].map(rank) < table["flag_b"].map(rank)]
    n = len(cases)
    complete = int((flag_states(cases, c.flags) != NOT_REPORTED).all(axis=1).sum())
    names = (  # escaped: the sentence is shown as Markdown, which passes HTML through
        html.escape(", ".join(sorted(cases["inventory"].dropna().astype(str).unique())))
        if "inventory" in cases
        else ""
    )
    used = (int(upper["n"].min()), int(upper["n"].max())) if len(upper) else (0, 0)
    top = (
        upper.sort_values("count", ascending=False, kind="stable").iloc[0]
        if len(upper) and n
        else None
    )
    k = len(c.flags)
    if language == "en":
        text = (
            f"{n} cases ({names}); {complete} report all {k} risks, "
            f"{n - complete} leave at least one not reported. "
            f"Not-reported policy: {frame.heading(f'na_policy_{na_policy}', 'en').lower()}; "
            f"each pair of risks uses {used[0]}–{used[1]} cases."
        )
        if top is not None:
            text += (
                f" Ticked together most often: {frame.label('flag', top['flag_a'], 'en')} and "
                f"{frame.label('flag', top['flag_b'], 'en')} ({int(top['count'])} cases, Jaccard "
                f"{top['jaccard']:.2f})."
            )
        return text
    policy = frame.heading(f"na_policy_{na_policy}", "zh-TW")
    text = (
        f"共 {n} 案（{names}）：{complete} 案 {k} 項風險皆有報告，{n - complete} 案至少一項未報告。"
        f"未報告處理方式：{policy}；每對風險使用 {used[0]}–{used[1]} 案。"
    )
    if top is not None:
        text += (
            f"最常同時勾選：{frame.label('flag', top['flag_a'])}"
            f"與{frame.label('flag', top['flag_b'])}"
            f"（{int(top['count'])} 案，Jaccard {top['jaccard']:.2f}）。"
        )
    return text


def pairs_side_by_side(
    tables: dict[str, pd.DataFrame],
    measure: str = "jaccard",
    na_policy: str = "pairwise",
    frame: Frame | None = None,
) -> pd.DataFrame:
    """One pair measure of every risk pair under several codings of the same cases (e.g.
    automatic codes and an adjudicated annotation): a column per coding, ``n`` = cases
    reporting both under each, pairs in frame order."""
    frame = frame or load_frame()
    order = {f: i for i, f in enumerate(frame.flag_keys)}
    parts = []
    for name, cases in tables.items():
        p = pairs(cases, None, na_policy, frame=frame)
        p = p[p["flag_a"].map(order) < p["flag_b"].map(order)]
        parts.append(
            p.set_index(["flag_a", "flag_b"])[[measure, "n"]].rename(
                columns={measure: f"{measure}:{name}", "n": f"n:{name}"}
            )
        )
    return pd.concat(parts, axis=1).reset_index()


# -- questionnaire design: the cases a flag's questions were asked of ----------------------
def subpopulations(cases: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """``{flag: {inventory: info}}`` for each flag whose questions an inventory of ``cases``
    asked of a subpopulation only (the mapping's ``asked_of``): ``info`` has ``en``/``zh``
    (who was asked), ``asked`` (cases the mapping's conditions select, or None),
    ``reported`` and ``reported_asked`` (cases reporting the flag, and those of them in the
    subpopulation). Read from ``cases.attrs["asked_of"]`` (set by the load); an inventory
    the attrs do not cover (pooled tables lose them) is looked up in its bundled load."""
    known = dict(cases.attrs.get("asked_of", {}))
    names = sorted(cases["inventory"].dropna().astype(str).unique()) if "inventory" in cases else []
    missing = [n for n in names if n not in known]
    if missing:
        from . import inventories

        bundled = set(inventories.available())
        for name in missing:
            if name in bundled:
                known.update(inventories.load(name).cases.attrs.get("asked_of", {}))
    out: dict[str, dict[str, dict]] = {}
    for name in names:
        for flag, info in known.get(name, {}).items():
            out.setdefault(flag, {})[name] = info
    return out


def mark_subpopulations(
    table: pd.DataFrame, cases: pd.DataFrame, frame: Frame | None = None
) -> pd.DataFrame:
    """``table`` (a pairs or flag table) with a column ``asked_of``: the flags of the row
    (``flag``, or ``flag_a`` and ``flag_b``) whose questions were asked of a subpopulation
    only (:func:`subpopulations`), ``;``-joined in frame order, empty when none."""
    frame = frame or load_frame()
    restricted = [f for f in frame.flag_keys if f in subpopulations(cases)]
    columns = [c for c in ("flag", "flag_a", "flag_b") if c in table.columns]
    marks = [
        TECHNIQUE_SEP.join(
            f for f in restricted if f in {str(row[c]) for c in columns if not pd.isna(row[c])}
        )
        for _, row in table[columns].iterrows()
    ]
    return table.assign(asked_of=pd.array(marks, dtype="string"))


def subpopulation_note(
    cases: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> str:
    """One sentence per flag asked of a subpopulation only: who was asked, how many cases
    that is, and how many of the cases reporting the flag are among them (empty text when
    every flag was asked of every case)."""
    frame = frame or load_frame()
    found = subpopulations(cases)
    lines = []
    for flag in (f for f in frame.flag_keys if f in found):
        label = html.escape(frame.label("flag", flag, language))
        for name, info in found[flag].items():
            who = html.escape(info["en"] if language == "en" else info["zh"])
            if language == "en":
                text = f"{label} ({html.escape(name)}): asked of {who}."
                if info["asked"] is not None:
                    text += (
                        f" {info['asked']} cases were asked; {info['reported']} report the risk,"
                        f" {info['reported_asked']} of them among those asked."
                    )
            else:
                text = f"{label}（{html.escape(name)}）：作答對象為{who}。"
                if info["asked"] is not None:
                    text += (
                        f"應作答 {info['asked']} 案；{info['reported']} 案報告此風險，"
                        f"其中 {info['reported_asked']} 案屬應作答者。"
                    )
            lines.append(f"- {text}")
    return "\n".join(lines)


def shown_pairs(
    pairs_table: pd.DataFrame, cases: pd.DataFrame, frame: Frame | None = None
) -> pd.DataFrame:
    """The pair table a report shows: each unordered pair once (:func:`distinct_pairs`),
    ``n`` (the cases used for the pair) rather than the stratum's case count, and the
    ``asked_of`` mark (:func:`mark_subpopulations`)."""
    frame = frame or load_frame()
    table = distinct_pairs(pairs_table, frame).drop(columns=["cases"])
    return mark_subpopulations(table, cases, frame)


def pairwise_and_complete(
    cases: pd.DataFrame,
    measure: str = "jaccard",
    frame: Frame | None = None,
    flags: list[str] | None = None,
) -> pd.DataFrame:
    """One pair measure and its ``n`` for every unordered flag pair under pairwise deletion
    and under complete cases (only the cases reporting every flag), side by side:
    columns ``flag_a``, ``flag_b``, ``<measure>:na_policy_pairwise``,
    ``n:na_policy_pairwise``, ``<measure>:na_policy_complete``, ``n:na_policy_complete``,
    ``asked_of``."""
    if measure not in MEASURES:
        raise CooccurrenceError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    frame = frame or load_frame()
    many = pattern_counts(cases, [None], frame, flags)
    parts = []
    for policy in ("pairwise", "complete"):
        table = distinct_pairs(many.derive(policy)[None].pairs(), frame)
        parts.append(
            table.set_index(["flag_a", "flag_b"])[[measure, "n"]].rename(
                columns={measure: f"{measure}:na_policy_{policy}", "n": f"n:na_policy_{policy}"}
            )
        )
    out = pd.concat(parts, axis=1).reset_index()
    return mark_subpopulations(out, cases, frame)


def complete_case_sentence(
    cases: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> str:
    """How many cases report every flag (the complete-case view uses only them) against the
    cases each pair uses under pairwise deletion."""
    frame = frame or load_frame()
    flags = frame.flag_keys
    complete = int((flag_states(cases, flags) != NOT_REPORTED).all(axis=1).sum())
    upper = distinct_pairs(pairs(cases, None, "pairwise", frame=frame), frame)
    low, high = (int(upper["n"].min()), int(upper["n"].max())) if len(upper) else (0, 0)
    if language == "en":
        return (
            f"{complete} of {len(cases)} cases report all {len(flags)} risks: the complete-case "
            f"view uses only them, where pairwise deletion uses {low}–{high} cases per pair."
        )
    return (
        f"{len(cases)} 案中有 {complete} 案 {len(flags)} 項風險皆有報告：完整案例分析只用這些案例，"
        f"逐對刪除則每對使用 {low}–{high} 案。"
    )
