"""Swedish lexical analysis: stemming, compounds, measure numbers, cognates, misspellings."""

from __future__ import annotations

from rag.evidence import query_terms, split_sentences, swedish_spelling, window_scores, without_frame
from rag.lexical import BM25Index, raw_tokens, stem

TEXTS = [
    "Stadsdelsnämnden anser att facilitatorer bör samordnas centralt (4.3.2).",
    "Nämnden är positiv till extern mentorsverksamhet för nyanlända.",
    "Kommissionen föreslår att faciliatorer ska utredas.",
    "Idrottsnämnden fördelar bidrag till föreningar i varje stadsdel.",
]


def test_measure_numbers_are_single_tokens_and_stopwords_dropped() -> None:
    assert "4.3.2" in raw_tokens("åtgärd 4.3.2 och 6.4.4")
    assert "och" not in raw_tokens("åtgärd 4.3.2 och 6.4.4")


def test_stemming_unifies_inflections() -> None:
    assert stem("centralt") == stem("central")
    assert stem("nämnden") == stem("nämnder")


def test_compound_parts_are_indexed() -> None:
    index = BM25Index([str(i) for i in range(len(TEXTS))], TEXTS)
    # "nämnd" alone finds the compound "stadsdelsnämnden" via decompounding.
    hits = [row for row, _ in index.search("nämnd", 10)]
    assert 0 in hits


def test_bm25_ranks_the_matching_passage_first_and_respects_masks() -> None:
    index = BM25Index([str(i) for i in range(len(TEXTS))], TEXTS)
    assert index.search("mentorsverksamhet nyanlända", 2)[0][0] == 1
    import numpy as np

    mask = np.array([True, False, True, True])
    assert all(row != 1 for row, _ in index.search("mentorsverksamhet nyanlända", 4, mask))
    assert index.search("xyzzy", 3) == []


def test_a_words_idf_is_its_rarest_terms_and_an_unknown_word_gets_the_median() -> None:
    import numpy as np

    index = BM25Index([str(i) for i in range(len(TEXTS))], TEXTS)
    rare, common, compound, unknown = index.word_idf(["mentorsverksamhet", "nämnden", "stadsdelsnämnden", "xyzzy"])
    assert rare > common  # one text against two ("stadsdelsnämnden" holds "nämnd" too)
    assert compound == max(index.idf[index.term_index[t]] for t in index.analyse(["stadsdelsnämnden"]))
    assert unknown == np.median(index.idf)
    assert len(index.word_idf([])) == 0


def test_misspellings_and_english_cognates_join_their_term() -> None:
    index = BM25Index([str(i) for i in range(len(TEXTS))], TEXTS)
    sv = query_terms(index, "Vilka vill att facilitatorer samordnas?", "sv")
    assert "faciliator" in sv.forms(stem("facilitatorer"))
    en = query_terms(index, "Which want facilitators coordinated?", "en")
    assert any("facilitator" in forms for forms in en.variants.values())


def test_english_loanwords_in_swedish_spelling_find_their_cognate_only_when_asked() -> None:
    assert [swedish_spelling(w) for w in ("coordinated", "quality", "project", "physical", "culture")] == [
        "koordinated", "kvality", "projekt", "fysikal", "kulture",
    ]
    assert swedish_spelling("central") == "central"  # a soft c stays, as Swedish writes it
    index = BM25Index(["0", "1"], ["Kulturnämnden vill att arbetet koordineras centralt.", "Nämnden fördelar bidrag."])
    spelt = query_terms(index, "Which want the work coordinated centrally?", "en", spelling=True)
    assert any(stem("koordineras") in forms for forms in spelt.variants.values())
    # As written, "coordinated" shares no six letters with the Swedish word.
    plain = query_terms(index, "Which want the work coordinated centrally?", "en")
    assert not any(stem("koordineras") in forms for forms in plain.variants.values())
    # A Swedish question is never respelt.
    assert query_terms(index, "Vilka vill koordinera?", "sv", spelling=True).weights == query_terms(index, "Vilka vill koordinera?", "sv").weights


def test_window_scores_reward_neighbouring_context() -> None:
    index = BM25Index([str(i) for i in range(len(TEXTS))], TEXTS)
    terms = query_terms(index, "facilitatorer samordnas centralt", "sv")
    sents = split_sentences("Kommissionen föreslår facilitatorer. De bör samordnas centralt. Annat stycke om bidrag.")
    scores = window_scores(index, terms, sents)
    assert scores[1] > scores[2]
    assert scores[2] < 0.5
    assert min(scores) >= 0.0 and max(scores) <= 1.0


def test_frame_words_and_entity_nouns_are_removed() -> None:
    cleaned = without_frame("Vilka nämnder nämner projektet Fokus Skärholmen i sina svar?", "Vilka nämnder")
    assert "nämner" not in cleaned and "svar" not in cleaned
    assert "Fokus" in cleaned and "projektet" in cleaned


def test_compounds_split_at_a_linking_s_and_at_a_head_in_compound_form() -> None:
    from rag.lexical import Decompounder

    d = Decompounder(["lägenheter", "stadsdel", "nämnden", "förskola", "verksamhet"])
    assert d.split("lägenhetsbeståndet") == ["lägenhet", "beståndet"]  # tail new to the corpus
    assert d.split("stadsdelsnämnden") == ["stadsdel", "nämnden"]
    assert d.split("förskoleverksamhet") == ["förskole", "verksamhet"]  # "förskole-" of "förskola"
    assert d.split("hyresrätterna") == []  # no known head: left whole


def test_a_parenthetical_gloss_counts_where_present_but_is_not_required() -> None:
    from rag.evidence import coverage

    texts = ["Samarbete med KTH om forskning.", "Ett forskningsinstitut i staden.", "Åtgärd 6.4.4 om mentorer."]
    index = BM25Index([str(i) for i in range(len(texts))], texts)
    gloss = query_terms(index, "Which mention KTH (the research institute)?", "en")
    assert gloss.optional and "kth" not in gloss.optional
    assert coverage(index, gloss, texts[0]) == 1.0  # the gloss's absence costs nothing
    # A measure number in parentheses identifies: it stays required.
    measure = query_terms(index, "Vilka nämner mentorer (åtgärd 6.4.4)?", "sv")
    assert not measure.optional and "6.4.4" in measure.weights


def test_english_short_words_are_not_matched_as_swedish_false_friends() -> None:
    index = BM25Index(["0"], ["En neutral part bör utses."])
    assert "part" not in query_terms(index, "Who took part in the project?", "en").weights
    assert "part" in query_terms(index, "Vilken part ska utses?", "sv").weights


def test_quotes_centre_on_the_sentence_that_states_the_answer() -> None:
    from rag.evidence import sentence_scores

    sents = [
        "Under senaste åren har många flyttat in i nybyggda lägenheter.",
        "Av lägenhetsbeståndet består 87 procent av hyresrätter.",
        "Endast 13 procent utgörs av bostadsrätter.",
    ]
    index = BM25Index([str(i) for i in range(len(sents))], sents)
    sc = sentence_scores(index, query_terms(index, "Hur stor andel av lägenheterna är hyresrätter?"), sents)
    assert sc.best() == 1
