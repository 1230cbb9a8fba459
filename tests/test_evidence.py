"""Sentence evidence: name matching, speakers, coverage and the gate (rag/evidence.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

import rag
from rag.embeddings import shared_embeddings
from rag.evidence import (
    GATE_SENTENCES,
    Candidate,
    EvidenceScorer,
    attributions,
    coverage,
    expansion,
    is_speaker,
    mentions,
)
from rag.planning import analyse_question


def test_mentions_accepts_spelling_variants_only() -> None:
    assert mentions("Zelensky", "il presidente Zelenskyj ha detto")
    assert mentions("Kremlin", "al Cremlino di Mosca")
    assert mentions("Moscow", "arrivato a Mosca")
    assert not mentions("Erdogan", "Putin, Witkoff e Kushner a Mosca")
    assert not mentions("CEO", "Che cosa ha detto")
    # Consonants alone are not enough: a transliteration keeps the start, a typo the letters, and
    # only a long name may differ in its vowels.
    assert mentions("Dnipro", "sul fiume Dnepr") and mentions("Aeronautica", "l'Areonautica militare")
    assert mentions("Muhammad", "il principe Mohammed") and mentions("Gaddafi", "il colonnello Gheddafi")
    assert not mentions("Farandou", "afirmó el presidente Fernando Clavijo")
    assert not mentions("Hong", "l'indice Hang Seng") and not mentions("Banca", "alla Casa Bianca")


def test_an_acronym_is_mentioned_by_the_words_it_stands_for() -> None:
    assert expansion("ANA", "Il volo di All Nippon Airways è partito.") == ("All", "Nippon", "Airways")
    assert mentions("GAO", "Il Government Accountability Office ha chiesto una nuova gara.")
    assert not mentions("GAO", "Il Government Office ha chiesto una nuova gara.")
    # Only a word in capitals is an acronym, and it spells a whole run of capitalised words.
    assert expansion("Ana", "Il volo di All Nippon Airways è partito.") == ()
    assert not mentions("FTC", "Boeing Wins Air Force Tanker Contract")
    # ... and an international body by its acronym in another language; other capitals are others.
    assert mentions("ECB", "La BCE ha alzato i tassi.") and mentions("ECB", "Die EZB senkt den Leitzins.")
    assert mentions("NATO", "Les pays de l'OTAN.") and mentions("ONU", "The UN said so.")
    assert not mentions("UBS", "Ha una porta USB.") and not mentions("NASA", "(ANSA) - ROMA")


def test_speaker_detection() -> None:
    assert is_speaker("Ushakov", "La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso.")
    assert is_speaker(
        "Ushakov", "“Il lavoro continuerà”, ha detto l’alto diplomatico.", previous="Secondo Ushakov, no."
    )
    assert not is_speaker("Ushakov", "Putin ha incontrato Witkoff.")
    # A quotation that goes on after "ha dichiarato" is still theirs.
    assert is_speaker("Cardillo", "“Sono convinto che il mercato abbia toccato il fondo.", "", previous_theirs=True)
    assert not is_speaker("Cardillo", "“Sono convinto che il mercato abbia toccato il fondo.", "Poi piove.")
    assert not is_speaker("Cardillo", "“No”, ha detto Putin.", "", previous_theirs=True)


def test_a_quotation_belongs_to_whom_the_words_after_it_name() -> None:
    sentences = [
        "“È un passo deplorevole, ma necessario.",
        "Abbiamo accordato l'aiuto, ovviamente”,",
        "spiega Stephen Harper, Primo Ministro del Canada.",
        "“Non possiamo lasciare svanire la nostra industria”, dichiara Barack Obama.",
        "“Il mercato ha toccato il fondo”, ha detto.",
    ]
    said_by = attributions(sentences)
    assert said_by[:3] == ["spiega Stephen Harper, Primo Ministro del Canada."] * 2 + [""]
    assert said_by[3] == ", dichiara Barack Obama." and said_by[4] == ", ha detto."
    assert all(
        is_speaker("Harper", text, attribution=by, lang="it")
        for text, by in zip(sentences[:2], said_by[:2], strict=True)
    )
    # Named right before, but the quotation says it is Obama's.
    assert not is_speaker("Harper", sentences[3], previous=sentences[2], attribution=said_by[3], lang="it")
    # An attribution that names no one, or only a place, leaves it to who was named before.
    assert is_speaker("Cardillo", sentences[4], previous="Peter Cardillo ha commentato.", attribution=said_by[4])
    berlin = attributions(["“Siamo pronti”, ha detto a Berlino."])[0]
    assert is_speaker("Obama", "“Siamo pronti”, ha detto a Berlino.", "Poi ha parlato Obama.", attribution=berlin)
    # A quotation closed by a full stop does not borrow the next sentence as its attribution.
    assert attributions(["“Vinceremo.”", "Obama ha detto che il piano funziona."]) == ["", ""]


def test_coverage_counts_question_words_in_the_passage() -> None:
    facts = analyse_question("Quanto costa il gas in Europa?", "it")
    assert coverage(facts, "Mi aspetto un rapporto dagli incontri in Europa.", "it") < 0.5
    assert coverage(facts, "Il gas costa di più in Europa quest’anno.", "it") == 1.0


def passage(text: str, lang: str = "it") -> Document:
    return Document(page_content=text, metadata={"source": "a.txt", "lang": lang, "start": 0, "score": 1.0})


def test_the_gate_says_why_passages_cannot_answer(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    talks = passage("La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso possibile sui territori.")
    assert scorer.why_unanswerable(analyse_question("Cosa ha detto Ushakov sui territori?", "it"), [talks]) == ""
    assert "do not mention Erdogan" in scorer.why_unanswerable(
        analyse_question("Cosa ha detto Erdogan sui territori?", "it"), [talks]
    )
    assert "of the question's words" in scorer.why_unanswerable(
        analyse_question("Cosa pensano gli economisti del prezzo del gas in Russia?", "it"), [talks]
    )
    # A third of the words is enough for one passage (0.3), too few for all of them (under half).
    assert "together hold 33% of the question's words" in scorer.why_unanswerable(
        analyse_question("Quanto costa il gas in Russia?", "it"), [talks]
    )
    prices = Document(
        page_content="Il gas costa caro, hanno detto i ministri dell'energia riuniti a Bruxelles.",
        metadata={**talks.metadata, "source": "b.txt"},
    )
    assert "together hold" not in scorer.why_unanswerable(
        analyse_question("Quanto costa il gas in Russia?", "it"), [talks, prices]
    )
    # Asked for an amount, the passage holds none.
    gas = passage("In Russia il gas costa sempre di più alle famiglie, ha ribadito Ushakov.")
    assert "holds what is asked (how_much, money)" in scorer.why_unanswerable(
        analyse_question("Quanto costa il gas in Russia?", "it"), [gas]
    )
    # The question names a month; the passage was published two years later.
    dated = Document(page_content=talks.page_content, metadata={**talks.metadata, "date_num": 20251203})
    assert "published in the period" in scorer.why_unanswerable(
        analyse_question("Cosa ha detto Ushakov sui territori nel marzo 2023?", "it"), [dated]
    )
    assert (
        scorer.why_unanswerable(analyse_question("Cosa ha detto Ushakov sui territori a dicembre 2025?", "it"), [dated])
        == ""
    )
    # A year asked about gates as a month does; a year only named ("2023 soldati") does not.
    assert "published in the period" in scorer.why_unanswerable(
        analyse_question("Cosa ha detto Ushakov sui territori nel 2023?", "it"), [dated]
    )
    assert scorer.why_unanswerable(analyse_question("Cosa ha detto Ushakov sui 2023 territori?", "it"), [dated]) == ""
    assert scorer.why_unanswerable(analyse_question("Cosa ha detto Ushakov?", "it"), []) == "no passages retrieved"


def test_a_capitalised_first_word_counts_where_a_sentence_names_it(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    facts = analyse_question("Boeing had counted on the tanker contract: how many jobs did it promise?", "en")
    jobs = passage("Boeing aveva promesso 44.000 posti di lavoro presso 300 fornitori.")
    other = passage("Northrop aveva promesso 25.000 posti di lavoro presso 200 fornitori.")
    assert [c.names for c in scorer.candidates(facts, [jobs])] == [1.0]
    assert [c.names for c in scorer.candidates(facts, [other])] == [0.0]
    # It counts as a name only: "Describe ..." is not found in "described".
    describe = analyse_question("Describe the tanker jobs", "en")
    described = passage("The report described 44,000 tanker jobs at 300 suppliers.", "en")
    assert [c.names for c in scorer.candidates(describe, [described])] == [0.0]


def test_a_country_counts_as_named_in_the_articles_language(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    recession = passage("Il Giappone è entrato in recessione: l'economia si è contratta dello 0,4%.")
    facts = analyse_question("How much did Japan's economy shrink when it entered recession?", "en")
    assert scorer.why_unanswerable(facts, [recession]) == ""
    (sentence,) = scorer.candidates(facts, [recession])
    assert sentence.names == 1.0
    # Another country is still absent.
    brazil = analyse_question("How much did Brazil's economy shrink when it entered recession?", "en")
    assert "do not mention Brazil" in scorer.why_unanswerable(brazil, [recession])


def test_a_how_many_question_needs_a_count_of_what_it_counts(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    facts = analyse_question("Quante copie di Lion ha venduto Apple nel primo giorno?", "it")
    developers = passage("Nel primo giorno Apple ha venduto Lion a 5.200 sviluppatori.")
    copies = Document(
        page_content="Nel primo giorno Apple ha venduto un milione di copie di Lion.",
        metadata={**developers.metadata, "source": "b.txt"},
    )
    assert scorer.why_unanswerable(facts, [developers]) == "no passage that answers counts copie"
    assert scorer.why_unanswerable(facts, [developers, copies]) == ""
    # "app" counts in "applicazioni", not in "Apple".
    apps = analyse_question("Quante app ha venduto Apple nel primo giorno?", "it")
    assert scorer.why_unanswerable(apps, [developers]) == "no passage that answers counts app"


def test_a_price_is_not_answered_by_a_percent_nor_a_count_by_the_questions_own_number(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    stake = passage("Fiat ha acquistato da Chrysler una quota del sei per cento, arrivando al 52 per cento.")
    price = analyse_question("Quanto ha pagato Fiat per la quota in Chrysler?", "it")
    assert scorer.why_unanswerable(price, [stake]) == "no passage that answers holds what is asked (how_much, money)"
    paid = Document(
        page_content="Fiat ha pagato 500 milioni di dollari per la quota in Chrysler.",
        metadata={**stake.metadata, "source": "b.txt"},
    )
    assert scorer.why_unanswerable(price, [stake, paid]) == ""
    unveiled = passage("Boeing ha presentato il nuovo 787 Dreamliner a Everett, con molti ordini dai clienti.")
    orders = analyse_question("Quanti ordini aveva il Boeing 787 Dreamliner presentato a Everett?", "it")
    assert scorer.why_unanswerable(orders, [unveiled]) == "no passage that answers counts ordini"
    # A count of something else half fits "how many orders"; a count of orders fits.
    (seats,) = scorer.candidates(orders, [passage("Il Boeing 787 Dreamliner ha 290 posti a Everett.")])
    (counted,) = scorer.candidates(orders, [passage("Il Boeing 787 Dreamliner ha 677 ordini a Everett.")])
    assert (seats.fits, counted.fits) == (0.5, 1.0)


def test_the_number_asked_about_a_day_comes_from_that_days_news(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    that_day, other_day = (
        Document(page_content=text, metadata={**passage(text).metadata, "source": name, "date_num": day})
        for text, name, day in (
            ("Il Dow Jones martedì dovrebbe aprire in calo, secondo i future.", "then.txt", 20080122),
            ("Il Dow Jones martedì è crollato di 416 punti in chiusura.", "before.txt", 20070227),
        )
    )
    facts = analyse_question("Di quanti punti è sceso il Dow Jones martedì 22 gennaio 2008?", "it")
    assert "holds what is asked" in scorer.why_unanswerable(facts, [that_day, other_day])
    fell = Document(
        page_content="Il Dow Jones martedì ha perso 128 punti.", metadata={**that_day.metadata, "source": "fell.txt"}
    )
    assert scorer.why_unanswerable(facts, [that_day, other_day, fell]) == ""


def test_a_sentence_from_an_article_of_the_period_asked_ranks_first(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    text = "Il Dow Jones ha chiuso la seduta in calo di 250 punti."
    then, later = (
        Document(page_content=text, metadata={**passage(text).metadata, "source": name, "date_num": day})
        for name, day in (("then.txt", 20090224), ("later.txt", 20081007))
    )
    facts = analyse_question("A quanto ha chiuso il Dow Jones lunedì 23 febbraio 2009?", "it")
    ranked = scorer.candidates(facts, [later, then])
    assert [c.doc.metadata["source"] for c in ranked] == ["then.txt", "later.txt"]
    assert ranked[0].published_then and not ranked[1].published_then


def test_the_evidence_gate_looks_at_the_sentences_an_answer_would_quote(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    facts = analyse_question("Cosa ha detto Ushakov sui territori?", "it")
    doc = passage("Ushakov ha parlato dei territori. Sui territori non c'è accordo, ha detto Ushakov.")

    def sentence(strength: float) -> Candidate:
        return Candidate(
            doc, 0, 10, dense=strength, lexical=0.0, names=0.0, retrieval=1.0, speaker=False, caption=False
        )

    # The first-ranked sentence is weak (e.g. lifted by its date); the last an answer would quote
    # answers, and leads; one ranked below those does not.
    weak = [sentence(0.2), sentence(0.3), sentence(0.2)][: GATE_SENTENCES - 1]
    ranked, why = scorer.gate(facts, [*weak, sentence(0.8)])
    assert why == "" and [c.dense for c in ranked] == [0.8, *(c.dense for c in weak)]
    assert "best evidence 0.20" in scorer.gate(facts, [*weak, sentence(0.2), sentence(0.8)])[1]


def test_a_sentence_already_quoted_ranks_last(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    text = "Ushakov ha detto che i colloqui sono stati utili. Ushakov ha detto che non c'è accordo sui territori."
    facts = analyse_question("Cosa ha detto Ushakov?", "it")
    first = scorer.candidates(facts, [passage(text)])
    again = scorer.candidates(facts, [passage(text)], already_said=first[0].text)
    assert again[-1].text == first[0].text and again[-1].repeated


def test_retrieved_sentences_take_their_passages_stored_vectors(shared_store: rag.Settings) -> None:
    retriever = rag.build_retriever(shared_store)
    scorer = EvidenceScorer(retriever.store.embeddings, retriever.store.vectors)
    question = "Cosa ha detto Ushakov sui territori?"
    passages = retriever.invoke(question)
    offset = retriever.store.embeddings.similarity_offset
    for cand in scorer.candidates(analyse_question(question, "it"), passages):
        # Chroma's similarity of the passage to the question, from the same stored vector.
        assert cand.dense + offset == pytest.approx(cand.doc.metadata["dense_score"], abs=1e-4)
    assert retriever.store.vectors([]) == {}


def test_who_is_answered_by_a_sentence_naming_someone_the_question_does_not(model_cache: Path) -> None:
    scorer = EvidenceScorer(shared_embeddings(cache_dir=model_cache))
    facts = analyse_question("Chi ha preso il posto di Rick Wagoner alla guida di General Motors?", "it")
    leaving = passage("Il CEO di General Motors Rick Wagoner lascerà la guida della società entro marzo.")
    assert scorer.why_unanswerable(facts, [leaving]) == "the passage that answers names no one the question does not"
    # A word capitalised because it opens a sentence, here a quotation, is no one either.
    quoted = passage("Rick Wagoner lascia la guida di General Motors e ha detto: “Tuttavia resto nel consiglio”.")
    assert scorer.why_unanswerable(facts, [quoted]) == "the passage that answers names no one the question does not"
    # "Who is Rick Wagoner?" asks what he is: its words are all names.
    assert scorer.why_unanswerable(analyse_question("Chi è Rick Wagoner?", "it"), [leaving]) == ""
    # A possessive names someone too.
    english = analyse_question("Who replaced Rick Wagoner at General Motors?", "en")
    board = passage("The board approved Henderson's appointment to replace Rick Wagoner at General Motors.", "en")
    assert scorer.why_unanswerable(english, [board]) == ""
    successor = passage("Fritz Henderson ha preso il posto di Rick Wagoner alla guida di General Motors.")
    assert scorer.why_unanswerable(facts, [successor]) == ""
    # A country, or the words the question's acronym stands for, is no one else.
    tender = analyse_question("A chi ha assegnato il GAO la nuova gara delle aerocisterne?", "it")
    for text in (
        "Il Government Accountability Office ha chiesto una nuova gara delle aerocisterne.",
        "Negli Stati Uniti il GAO ha chiesto una nuova gara delle aerocisterne.",
    ):
        assert scorer.why_unanswerable(tender, [passage(text)]) == (
            "the passage that answers names no one the question does not"
        )
    winner = passage("Il GAO ha chiesto una nuova gara delle aerocisterne, vinta da Northrop Grumman.")
    assert scorer.why_unanswerable(tender, [winner]) == ""
