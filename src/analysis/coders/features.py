"""TF-IDF features for the trained coder, each document analysed once per process.

Cross-validation, model variants and learning curves fit the same kind of vectoriser
dozens of times on overlapping sets of the same case texts. scikit-learn's
``TfidfVectorizer`` re-tokenises every document at every fit and transform; profiling
showed that tokenising took most of an evaluation's time. Here a process-wide
:class:`TokenStore` per analyser keeps each distinct document's token counts (analysed
once, by the very analyser ``TfidfVectorizer`` would build), and a fit is sparse
arithmetic on rows already counted.

What a fit computes is the same as ``TfidfVectorizer(..., sublinear_tf=True)`` fitted on
the training documents: the vocabulary is the terms of the training documents occurring
in at least ``min_df`` of them (the ``max_features`` most frequent when capped, ties
broken by the term itself), inverse document frequencies are smoothed
(``ln((1 + n) / (1 + df)) + 1``), term counts become ``1 + ln(count)`` and every row is
scaled to unit length. Columns are in term order. None of it depends on which documents
the store saw before, so results are identical whether the store is empty or full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

#: Documents a store keeps before it starts afresh (bounds memory on huge inputs).
STORE_LIMIT = 200_000


class TokenStore:
    """Token counts of every document one analyser has seen in this process.

    Each distinct document is analysed once and gets a row; the rows are kept as one
    sparse matrix (rebuilt when new documents arrived), so the counts of a list of
    documents are a row selection. ``rank`` orders the terms as strings do (term ties are
    broken by it), worked out again only when new terms arrived."""

    def __init__(self, analyse: Callable[[str], list[str]]):
        self.analyse = analyse
        self.clear()

    def clear(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.terms: list[str] = []
        self.rows: dict[str, int] = {}
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._matrix = None
        self._rank: np.ndarray | None = None
        # identifies this store's contents: a vectoriser fitted on it (in this process,
        # since this clear) may reuse the store's column numbers
        self.token = object()

    def _row(self, doc: str) -> int:
        row = self.rows.get(doc)
        if row is None:
            counts: dict[int, int] = {}
            vocabulary, terms = self.vocabulary, self.terms
            for token in self.analyse(doc):
                j = vocabulary.get(token)
                if j is None:
                    j = vocabulary[token] = len(terms)
                    terms.append(token)
                counts[j] = counts.get(j, 0) + 1
            ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            order = np.argsort(ids)
            self._pending.append(
                (
                    ids[order],
                    np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[order],
                )
            )
            row = self.rows[doc] = len(self.rows)
        return row

    def _all(self) -> sp.csr_matrix:
        """Every row seen, × every term seen, as term counts."""
        import scipy.sparse as sp  # imported when used: reports that never code skip it

        shape = (len(self.rows), len(self.terms))
        if self._matrix is None or self._matrix.shape != shape:
            old = self._matrix
            parts = self._pending
            lengths = [len(ids) for ids, _ in parts]
            start = 0 if old is None else old.nnz
            indptr = np.concatenate(
                [
                    np.zeros(1, dtype=np.int64) if old is None else old.indptr.astype(np.int64),
                    start + np.cumsum(lengths, dtype=np.int64),
                ]
            )
            indices = np.concatenate(
                ([] if old is None else [old.indices.astype(np.int64)])
                + [ids for ids, _ in parts]
                + [np.zeros(0, dtype=np.int64)]
            )
            data = np.concatenate(
                ([] if old is None else [old.data]) + [c for _, c in parts] + [np.zeros(0)]
            )
            self._matrix = sp.csr_matrix((data, indices, indptr), shape=shape)
            self._pending = []
        return self._matrix

    def counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Documents × every term seen so far, as term counts."""
        if len(self.rows) + len(docs) > STORE_LIMIT:
            self.clear()
        rows = np.fromiter((self._row(d) for d in docs), dtype=np.int64, count=len(docs))
        return self._all()[rows]

    @property
    def rank(self) -> np.ndarray:
        """Each term's position among the terms sorted as strings."""
        if self._rank is None or len(self._rank) != len(self.terms):
            order = np.argsort(np.asarray(self.terms, dtype=object), kind="stable")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._rank = rank
        return self._rank


@dataclass(frozen=True)
class Analyser:
    """One feature part: which half of a document it reads and how it tokenises.

    ``kind``: ``word`` (word 1–2-grams of two or more letters, lower-cased), ``char``
    (character 2–4-grams inside word boundaries, lower-cased; they work on Chinese
    without a segmenter) or ``tokens`` (the whitespace-separated tokens as they are).
    ``part``: 0 reads the text before the ``\\x1f`` separator, 1 the text after it.
    """

    kind: str
    part: int = 0
    min_df: int = 1
    max_features: int | None = None

    def tokeniser(self) -> Callable[[str], list[str]]:
        from sklearn.feature_extraction.text import CountVectorizer

        if self.kind == "word":
            return CountVectorizer(
                analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b"
            ).build_analyzer()
        if self.kind == "char":
            return CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).build_analyzer()
        if self.kind == "tokens":
            return str.split
        raise ValueError(f"unknown analyser kind {self.kind!r}: use word, char or tokens")


_STORES: dict[str, TokenStore] = {}


def store(kind: str) -> TokenStore:
    """The process-wide store of an analyser kind."""
    if kind not in _STORES:
        _STORES[kind] = TokenStore(Analyser(kind).tokeniser())
    return _STORES[kind]


def clear() -> None:
    """Forget every analysed document (benchmarks use this to time cold fits)."""
    for s in _STORES.values():
        s.clear()


def _half(docs: Sequence[str], part: int) -> list[str]:
    return [d.partition("\x1f")[2 * part] for d in docs]


class Tfidf:
    """One part's TF-IDF, fitted on training documents (see the module docstring)."""

    def __init__(self, analyser: Analyser):
        self.analyser = analyser

    def fit(self, docs: Sequence[str]) -> Tfidf:
        tokens = store(self.analyser.kind)
        counts = tokens.counts(_half(docs, self.analyser.part))
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= max(self.analyser.min_df, 1))
        rank = tokens.rank  # terms are distinct: ordering by rank is ordering by term
        cap = self.analyser.max_features
        if cap is not None and len(keep) > cap:
            frequency = np.asarray(counts.sum(axis=0)).ravel()[keep]
            order = np.lexsort((rank[keep], -frequency))  # most frequent first, then by term
            keep = keep[order[:cap]]
        keep = keep[np.argsort(rank[keep], kind="stable")]
        terms = tokens.terms
        self.terms_ = [terms[i] for i in keep]
        self.idf_ = np.log((1 + n) / (1 + df[keep])) + 1.0
        self._columns = (tokens.token, keep)  # the store's column of each term, while valid
        self._select = None
        return self

    def __getstate__(self) -> dict:
        # store columns and the selector are this process's: another one rebuilds them
        return {k: v for k, v in self.__dict__.items() if k not in ("_columns", "_select")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _columns=None, _select=None)

    def _selector(self, tokens: TokenStore) -> sp.csr_matrix:
        """Store columns → this vectoriser's columns (rebuilt when the store grew or was
        cleared since)."""
        import scipy.sparse as sp

        key = (tokens.token, len(tokens.terms))
        if self._select is None or self._select[0] != key:
            columns = getattr(self, "_columns", None)
            if columns is not None and columns[0] is tokens.token:
                rows, cols = columns[1], np.arange(len(columns[1]))
            else:  # the store was cleared since the fit: find each term again
                rows, cols = [], []
                for j, term in enumerate(self.terms_):
                    i = tokens.vocabulary.get(term)
                    if i is not None:
                        rows.append(i)
                        cols.append(j)
            matrix = sp.csr_matrix(
                (np.ones(len(rows)), (rows, cols)), shape=(len(tokens.terms), len(self.terms_))
            )
            self._select = (key, matrix)
        return self._select[1]

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        import scipy.sparse as sp

        tokens = store(self.analyser.kind)
        counts = tokens.counts(_half(docs, self.analyser.part))
        x = (counts @ self._selector(tokens)).tocsr()
        x.sort_indices()
        np.log(x.data, out=x.data)
        x.data += 1.0
        x = x @ sp.diags(self.idf_)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)

    def fit_transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        return self.fit(docs).transform(docs)


class Vectoriser:
    """Several :class:`Tfidf` parts side by side (what a ``FeatureUnion`` of
    ``TfidfVectorizer`` s gives)."""

    def __init__(self, analysers: Sequence[Analyser]):
        if not analysers:
            raise ValueError("a vectoriser needs at least one analyser")
        self.parts = [Tfidf(a) for a in analysers]

    def fit(self, docs: Sequence[str]) -> Vectoriser:
        for p in self.parts:
            p.fit(docs)
        return self

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        import scipy.sparse as sp

        return sp.hstack([p.transform(docs) for p in self.parts], format="csr")

    @property
    def terms_(self) -> list[str]:
        return [t for p in self.parts for t in p.terms_]
