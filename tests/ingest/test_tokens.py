"""Token counts in the bundled e5 model's vocabulary (what /v1 reports as ``usage``)."""

from __future__ import annotations

from ingest.embed import text_tokens


def test_text_tokens_count_the_text_alone(embedder) -> None:  # type: ignore[no-untyped-def]
    assert text_tokens(embedder, "") == 0
    assert text_tokens(embedder, " \n ") == 0
    assert text_tokens(embedder, "hej") == 1
    a, b = "Stadsdelsnämnden tillstyrker förslaget.", "Facilitatorer bör samordnas centralt."
    # SentencePiece splits at spaces: two sentences cost what each does alone, so no frame
    # (special tokens, the "passage:" prompt) is left in the count.
    assert text_tokens(embedder, f"{a} {b}") == text_tokens(embedder, a) + text_tokens(embedder, b)
    assert text_tokens(embedder, a) > len(a.split())  # subword pieces, not words
