"""The cached TF-IDF equals scikit-learn's TfidfVectorizer on real case texts."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis import inventories
from analysis.coders import features
from analysis.coders.base import case_text


@pytest.fixture(scope="module")
def texts():
    jrc = case_text(inventories.cases("jrc-ai-watch")).tolist()
    taiwan = case_text(inventories.cases("taiwan-public")).tolist()
    return jrc + taiwan  # English and Chinese


def _sklearn(analyser: features.Analyser) -> TfidfVectorizer:
    if analyser.kind == "word":
        return TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w\w+\b",
            min_df=analyser.min_df,
        )
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=analyser.min_df
    )


@pytest.mark.parametrize(
    "analyser",
    [features.Analyser("word"), features.Analyser("char", min_df=2)],
    ids=["word", "char"],
)
def test_fit_transform_matches_sklearn(texts, analyser):
    train, test = texts[::2], texts[1::2]
    features.clear()
    ours = features.Tfidf(analyser).fit(train)
    theirs = _sklearn(analyser).fit(train)
    assert ours.terms_ == theirs.get_feature_names_out().tolist()
    np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=1e-12)
    for docs in (train, test):
        np.testing.assert_allclose(
            ours.transform(docs).toarray(), theirs.transform(docs).toarray(), atol=1e-12
        )


def test_result_does_not_depend_on_what_the_store_saw_before(texts):
    analyser = features.Analyser("char", min_df=2, max_features=500)
    features.clear()
    cold = features.Tfidf(analyser).fit(texts[:150])
    x_cold = cold.transform(texts[150:]).toarray()
    features.clear()
    features.Tfidf(analyser).fit(texts[::-1])  # the store now holds every text, in another order
    warm = features.Tfidf(analyser).fit(texts[:150])
    assert warm.terms_ == cold.terms_
    np.testing.assert_array_equal(warm.transform(texts[150:]).toarray(), x_cold)
    # a vectoriser fitted before the store was cleared still transforms correctly
    features.clear()
    np.testing.assert_array_equal(cold.transform(texts[150:]).toarray(), x_cold)


def test_max_features_keeps_the_most_frequent_terms(texts):
    from sklearn.feature_extraction.text import CountVectorizer

    model = features.Tfidf(features.Analyser("word", max_features=50)).fit(texts)
    raw = CountVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b").fit(
        texts
    )
    frequency = np.asarray(raw.transform(texts).sum(axis=0)).ravel()
    names = raw.get_feature_names_out()
    threshold = np.sort(frequency)[::-1][49]
    kept = set(model.terms_)
    assert len(kept) == 50
    assert kept >= set(names[frequency > threshold])  # every more frequent term kept
    assert kept <= set(names[frequency >= threshold])  # no less frequent one
    assert model.terms_ == sorted(model.terms_)


def test_vectoriser_stacks_parts_and_reads_its_half():
    docs = [
        "risk scoring of benefit claims\x1fvocab vocab_flag_human_rights",
        "chatbot answering citizens\x1fvocab",
        "risk of fraud in claims\x1fvocab vocab_flag_human_rights",
    ]
    vec = features.Vectoriser([features.Analyser("word"), features.Analyser("tokens", part=1)]).fit(
        docs
    )
    x = vec.transform(docs)
    assert x.shape == (3, len(vec.terms_))
    assert "vocab_flag_human_rights" in vec.terms_ and "risk" in vec.terms_
    assert not any(
        t.startswith("vocab") for t in vec.parts[0].terms_
    )  # word part never sees the bridge half
    np.testing.assert_allclose(
        np.asarray(x.multiply(x).sum(axis=1)).ravel(), 2.0
    )  # each part unit length


def test_unknown_kind_and_empty_vectoriser_are_refused():
    with pytest.raises(ValueError, match="unknown analyser kind"):
        features.Analyser("morpheme").tokeniser()
    with pytest.raises(ValueError, match="at least one analyser"):
        features.Vectoriser([])


def test_a_row_depends_on_its_own_text_alone_and_outlives_store_growth_and_pickling(texts):
    """The trained coder transforms its training cases once and gives each target its rows;
    that is exact only if a row's features depend on its text alone. A vectoriser keeps
    using its own columns after the store grew (new texts, new terms) and after a round
    trip through pickle (another process's store)."""
    import pickle

    analyser = features.Analyser("char", min_df=2, max_features=2000)
    features.clear()
    tfidf = features.Tfidf(analyser).fit(texts[:120])
    whole = tfidf.transform(texts[:200])
    for rows in (np.arange(0, 200, 3), np.array([150, 4, 99, 4])):
        part = tfidf.transform([texts[i] for i in rows])
        np.testing.assert_array_equal(part.toarray(), whole[rows].toarray())
    grown = len(features.store("char").terms)
    tfidf.transform(texts[200:])  # the store learns more texts and terms
    assert len(features.store("char").terms) > grown
    np.testing.assert_array_equal(tfidf.transform(texts[:200]).toarray(), whole.toarray())
    copy = pickle.loads(pickle.dumps(tfidf))
    np.testing.assert_array_equal(copy.transform(texts[:200]).toarray(), whole.toarray())
    features.clear()
    np.testing.assert_array_equal(copy.transform(texts[:200]).toarray(), whole.toarray())


def test_counts_are_each_texts_tokens_in_any_order_and_repeated(texts):
    from collections import Counter

    store = features.store("word")
    features.clear()
    docs = [texts[5], texts[2], texts[5], "", texts[7]]
    counts = store.counts(docs)
    analyse = features.Analyser("word").tokeniser()
    assert counts.shape == (5, len(store.terms))
    for i, doc in enumerate(docs):
        row = counts[i]
        got = {store.terms[j]: v for j, v in zip(row.indices, row.data)}
        assert got == dict(Counter(analyse(doc)))
    assert store.counts([]).shape == (0, len(store.terms))
