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
    """Token counts of every document one analyser has seen in this process."""

    def __init__(self, analyse: Callable[[str], list[str]]):
        self.analyse = analyse
        self.clear()

    def clear(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.terms: list[str] = []
        self.rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.generation = getattr(self, "generation", -1) + 1

    def _row(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
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
            row = (
                ids[order],
                np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[order],
            )
            self.rows[doc] = row
        return row

    def counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Documents × every term seen so far, as term counts."""
        import scipy.sparse as sp  # imported when used: reports that never code skip it

        if len(self.rows) + len(docs) > STORE_LIMIT:
            self.clear()
        rows = [self._row(d) for d in docs]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(ids) for ids, _ in rows])
        indices = np.concatenate([ids for ids, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([c for _, c in rows]) if rows else np.zeros(0)
        return sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(self.terms)))


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
        terms = np.asarray(tokens.terms, dtype=object)
        cap = self.analyser.max_features
        if cap is not None and len(keep) > cap:
            frequency = np.asarray(counts.sum(axis=0)).ravel()[keep]
            order = np.lexsort((terms[keep], -frequency))  # most frequent first, then by term
            keep = keep[order[:cap]]
        by_term = np.argsort(terms[keep], kind="stable")
        keep = keep[by_term]
        self.terms_ = terms[keep].tolist()
        self.idf_ = np.log((1 + n) / (1 + df[keep])) + 1.0
        self._select = None
        return self

    def _selector(self, tokens: TokenStore) -> sp.csr_matrix:
        """Store columns → this vectoriser's columns (rebuilt when the store grew or was
        cleared since)."""
        import scipy.sparse as sp

        key = (tokens.generation, len(tokens.terms))
        if self._select is None or self._select[0] != key:
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
