"""The language table: everything rag knows about a language, in one entry per language.

Every module reads language facts from here (through `language(code)` or the unions below) and
none branches on a language code. An unknown language gets `NEUTRAL`: no stopwords, no stemmer,
English answer texts; nothing crashes.

Adding a language is one entry in `LANGUAGES` plus its test (see docs/languages.md):

    >>> language("fr").answer_frame
    "D'après les articles :"
    >>> language("xx").stemmer is None
    True

Stopwords come from bm25s's maintained lists (Snowball; NLTK and Lucene for English), plus a few words per language
that questions and passages share without sharing meaning ("detto", "told").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bm25s import stopwords as bm25s_stopwords

QUESTION_KINDS = ("who", "when", "where", "how_many", "how_much", "why")
"""What a question can ask for (the keys of `Language.question_words`)."""
MONEY = "money"
"""What a how-much question about a price or a value asks for too (`Language.price_nouns`), and
what a sentence with an amount in a currency holds."""


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Perché' -> 'perche'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_apostrophes(text: str) -> str:
    """`fold`, with one apostrophe for both ("Côte d’Ivoire" -> "cote d'ivoire"): the table's
    phrases and CLDR's names write one or the other."""
    return fold(text).replace("’", "'")


@dataclass(frozen=True)
class Language:
    """What rag needs to know about one language.

    :param code: ISO 639-1 code, as the language identifier returns it.
    :param name: the language's English name, for LLM prompts ("Write every claim in Italian").
    :param stemmer: PyStemmer's Snowball algorithm name, or None for no stemming.
    :param stopwords: folded words that carry no meaning for matching.
    :param abbreviations: lower-case tokens after which a full stop does not end a sentence.
    :param speech_verbs: regular-expression alternatives that mark reported speech in a sentence.
    :param say_words: words with which a question asks what someone said.
    :param follow_up_words: words that make a question lean on the conversation ("he", "lui").
    :param question_words: for each of `QUESTION_KINDS`, the phrases that ask for it.
    :param part_openers: question words besides `question_words` that open a second question
        after "and" ("..., and which airline ..."); see `openers()`.
    :param and_words: the word "and": it joins the parts of a two-part question.
    :param clause_words: question words that also join a clause ("which Macs came first, when they
        arrived in 2006?"): inside a clause they ask nothing.
    :param amount_words: magnitudes, units and percent that make a number an amount (phrases).
    :param currency_words: currencies: a number beside one is a sum of money, also an amount.
    :param price_nouns: nouns that make a question ask for a sum of money, with "how much" or
        with no question word ("What were the prices?"), in any inflection (matched by stem).
    :param price_verbs: verbs that make a how-much question ask for a sum of money ("how much did
        Fiat pay" is not answered by "6 per cent"); not "spend", which time is spent too.
    :param auxiliaries: verbs right after a question word that make it ask ("When did ...?",
        "Quando è ...?"), not open a time clause ("When Airbus showed off the A380, how many ...?").
    :param number_words: numbers written as words ("cinque miliardi", "four brands"); not "one",
        which is also the indefinite article in most table languages.
    :param reason_words: connectives that give a cause ("because", "a causa di").
    :param since_words: words before a year that make it a point of reference, not when the news
        happened ("the lowest level since 1982", "dal 1982").
    :param closing_words: words before a day that, after one of `period_nouns`, make it the last
        day of a period ("the quarter that closed on 30 December"), whose results come out weeks
        later; "the Dow closed on 22 January" is a day of news.
    :param period_nouns: periods whose results are reported ("quarter", "trimestre", "year").
    :param relative_dates: phrases naming a time relative to now ("last week", "ieri"), as
        dateparser reads them (not folded: it needs the accents). Not "today": "who leads Italy
        today" asks what is current, not what was published on the newest article's day.
    :param answer_frame: the words that open an extractive answer.
    :param abstention: the answer when the articles do not say.
    :param say_question: an example question about what `{name}` said.
    :param boilerplate: regular-expression alternatives for calls to action and page chrome lines.
    :param credit_words: words of a photo credit ("foto", "photo").
    :param clitic_suffixes: what follows an apostrophe and is cut off ("Putin's" -> "Putin").
    :param source_headings: headings an LLM puts over its list of quotes ("Quotes:", "Fonti:").
    :param also_drops: languages whose stopwords are dropped from this language's text too.
    :param capitalises_nouns: common nouns are capitalised, so capitals alone do not make a name.
    :param determiners: words before a common noun; with `capitalises_nouns`, what follows is no name.
    :param noun_endings: endings of capitalised common nouns (used with `capitalises_nouns`).
    :param titles: titles and ranks written capitalised before a name ("CEO", "President"): they
        name nobody, so a sentence that holds only them and names the question already gives no
        "who" answer. Words of three letters or more: shorter ones are never names.
    :param place_aliases: common names of countries that CLDR's standard names miss, folded, to
        their two-letter code ("usa": "US"); see `place_names`.
    :param acronyms: the language's acronyms of international bodies, where they differ from the
        English ones, to the English ones ("BCE": "ECB"); see `acronym_forms`.
    """

    code: str
    name: str
    stemmer: str | None = None
    stopwords: frozenset[str] = frozenset()
    abbreviations: frozenset[str] = frozenset()
    speech_verbs: tuple[str, ...] = ()
    say_words: tuple[str, ...] = ()
    follow_up_words: frozenset[str] = frozenset()
    question_words: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    part_openers: tuple[str, ...] = ()
    and_words: tuple[str, ...] = ()
    clause_words: tuple[str, ...] = ()
    amount_words: tuple[str, ...] = ()
    currency_words: tuple[str, ...] = ()
    price_nouns: frozenset[str] = frozenset()
    price_verbs: frozenset[str] = frozenset()
    auxiliaries: frozenset[str] = frozenset()
    number_words: frozenset[str] = frozenset()
    reason_words: tuple[str, ...] = ()
    since_words: tuple[str, ...] = ()
    closing_words: tuple[str, ...] = ()
    period_nouns: tuple[str, ...] = ()
    relative_dates: tuple[str, ...] = ()
    answer_frame: str = "According to the articles:"
    abstention: str = "I couldn't find this in the articles."
    say_question: str = "What did {name} say?"
    boilerplate: tuple[str, ...] = ()
    credit_words: tuple[str, ...] = ()
    clitic_suffixes: frozenset[str] = frozenset()
    source_headings: tuple[str, ...] = ()
    also_drops: tuple[str, ...] = ()
    capitalises_nouns: bool = False
    determiners: frozenset[str] = frozenset()
    noun_endings: tuple[str, ...] = ()
    titles: frozenset[str] = frozenset()
    place_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    acronyms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in text.split())


def _acronyms(pairs: str) -> Mapping[str, str]:
    return MappingProxyType(dict(pair.split("=") for pair in pairs.split()))


# English titles and company suffixes that news in every language borrows ("Mr.", "Inc."): they
# are abbreviations in text of any language (`abbreviations`).
_BORROWED_ABBREVIATIONS = _words("mr mrs ms dr st jr sr inc corp co ltd u.s u.k")


def _stopwords(maintained: Iterable[str], extra: str = "") -> frozenset[str]:
    # Folded like the words they are checked against: 'perché' must match 'perche'.
    return frozenset(fold(w) for w in maintained) | _words(extra)


def _phrases(text: str) -> tuple[str, ...]:
    """`"a causa|per via"` -> ("a causa", "per via"), folded."""
    return tuple(fold(p) for p in text.split("|"))


def _kinds(**phrases: str) -> Mapping[str, tuple[str, ...]]:
    """`who="chi|quale persona"` -> {"who": ("chi", "quale persona")}, folded."""
    return MappingProxyType({kind: _phrases(text) for kind, text in phrases.items()})


# News in any language quotes English titles, brands and names ("The Economist", "Doctor Who"):
# dropping English function words from Italian text too is worth +0.4 points of SQuAD-it
# recall@5 (0.890 -> 0.894, docs/languages.md).
_QUOTES_ENGLISH = ("en",)
# NLTK's English list has contraction pieces and prepositions that carry meaning in questions
# ("Who won the election?", "talks between Kyiv and Moscow") or that are Italian ("ma").
_ENGLISH_CONTENT = "won against between during until ma"

ITALIAN = Language(
    code="it",
    name="Italian",
    stemmer="italian",
    stopwords=_stopwords(
        bm25s_stopwords.STOPWORDS_ITALIAN,
        "a ad al alla alle allo agli ai all anche ancora avere aveva c che chi ci come con contro cosa cui da dal"
        " dalla dalle dai dagli degli dei del della delle dello di dove dopo e ed era essere è fa fra gli ha hanno"
        " ho i il in io la le lei li lo loro lui ma mi mia mio ne nei nel nella nelle nello no noi non nostro o"
        " per perché però più poi qual quale quali quando quanto quanta quanti quante quello questa queste questi"
        " questo qui se sei si sia siamo sono sta su sua sue sui sul sulla suo suoi tra tu tutto tutti un una uno"
        " vi voi l d un' dell all nell sull quell cos cosa detto dire",
    ),
    abbreviations=_words(
        "sig sigg sig.ra dott dott.ssa prof prof.ssa ing avv on sen gen col cap magg ten mons s.p.a spa ecc"
        " es pag pagg art artt cfr vol nr n tel ca gen febb apr giu lug ago sett ott dic u.e"
    ),
    speech_verbs=(
        r"(?:ha|hanno|avrebbe|aveva)\s+(?:detto|dichiarato|spiegato|ribadito|ammesso|affermato|aggiunto|"
        r"sottolineato|descritto|parlato|riferito|precisato|osservato|commentato|annunciato|proseguito|concluso)",
        # News often reports in the present: "“...”, spiega Stephen Harper".
        r"(?:dice|dichiara|spiega|ribadisce|ammette|afferma|aggiunge|sottolinea|precisa|osserva|commenta|prosegue|conclude)",
        r"secondo",
    ),
    say_words=(
        "detto",
        "detta",
        "dire",
        "dichiarato",
        "affermato",
        "spiegato",
        "pensa",
        "descritto",
        "commentato",
        "sostenuto",
    ),
    titles=_words(
        "ceo cfo coo presidente ministro senatore sindaco governatore direttore amministratore segretario dott sig"
    ),
    follow_up_words=_words("lui lei loro esso essa suo sua questo quello dopo anche ancora"),
    question_words=_kinds(
        who="chi",
        when="quando|da quando|in che anno|in quale anno|a quale anno|che giorno|in che data|quale data|che data|in quale mese",
        where="dove|in quale citta|in quale paese",
        how_many="quanti|quante",
        how_much="quanto|quanta|quanto costa|a che prezzo|a quale prezzo|quanto vale|quanto valeva|che valore|quale valore",
        why="perche|per quale motivo|come mai",
    ),
    part_openers=_phrases(
        "che cosa|cosa|che|quale|quali|come|per quale|a quale|in quale|da quale|di quale|con quale|su quanti|su quante|per quanto|a quanto"
    ),
    and_words=_phrases("e|ed"),
    clause_words=_phrases("quando|dove"),
    amount_words=_phrases(
        "miliardi|miliardo|milioni|milione|mila|per cento|percento|punti|punto|tonnellate|chilometri|km|metri|ore|minuti|giorni|settimane|mesi|anni"
    ),
    currency_words=_phrases("dollari|dollaro|euro|sterline|sterlina|yen|franchi|yuan|rubli|usd|eur|gbp"),
    price_nouns=_words("costo prezzo prezzi valore valori"),
    price_verbs=_words("costa costava costato costano pagato pagare paga pagava pagano vale valeva valgono"),
    auxiliaries=_words("è e era erano sono sarà saranno ha hanno aveva avevano avrà fu furono si"),
    number_words=_words(
        "due tre quattro cinque sei sette otto nove dieci undici dodici venti trenta cento mille milione milioni miliardo miliardi dozzina decine centinaia migliaia"
    ),
    reason_words=_phrases("perche|poiche|a causa|dovuto a|dovuta a|per via|grazie a|visto che|dato che"),
    since_words=_phrases("dal|sin dal|fin dal|a partire dal"),
    closing_words=_phrases("chiuso|chiusosi|concluso|conclusosi|terminato|finito"),
    period_nouns=_phrases("trimestre|anno|esercizio|semestre|mese|periodo"),
    relative_dates=(
        "settimana scorsa",
        "mese scorso",
        "anno scorso",
        "questa settimana",
        "questo mese",
        "quest'anno",
        "ieri",
    ),
    answer_frame="Secondo gli articoli:",
    abstention="Non ho trovato questa informazione negli articoli.",
    say_question="Cosa ha detto {name}?",
    boilerplate=(
        r"(?:clicca|tocca) qui",
        r"scarica(?:re)? l[’']app",
        r"iscriviti",
        r"abbonati (?:ora|subito|qui)",
        r"registrati (?:ora|subito|gratis|qui)",
        r"seguici",
        r"(?:nostra|alla) newsletter",
        r"ascolta(?:re)? (?:gli |l[’'])?articol\w*",
        r"puoi ascoltare",
        r"leggi anche",
        r"leggi di più",
        r"continua a leggere",
        r"condividi (?:su|questo|l[’'])",
        r"riproduzione riservata",
        r"^(?:pubblicità|annuncio)$",
    ),
    credit_words=("foto", "tramite"),
    source_headings=("citazioni", "fonti"),
    also_drops=_QUOTES_ENGLISH,
    place_aliases=MappingProxyType({"usa": "US", "america": "US", "gran bretagna": "GB", "olanda": "NL"}),
    acronyms=_acronyms("BCE=ECB FMI=IMF OCSE=OECD OMS=WHO ONU=UN UE=EU BEI=EIB OMC=WTO AIEA=IAEA"),
)

ENGLISH = Language(
    code="en",
    name="English",
    stemmer="english",
    stopwords=_stopwords(
        (*bm25s_stopwords.STOPWORDS_EN, *bm25s_stopwords.STOPWORDS_EN_PLUS),
        "a about after all also an and any are as at be been before being but by can could did do does doing"
        " done for from had has have he her hers him his how i if in into is it its me more most my no not of on"
        " or our out over said say says she should so some than that the their them then there these they this"
        " those to under up us was we were what when where which while who whom whose why will with would you"
        " your tell told",
    )
    - _words(_ENGLISH_CONTENT),
    abbreviations=_BORROWED_ABBREVIATIONS
    | _words(
        "vs etc e.g i.e jan feb mar apr jun jul aug sep sept oct nov dec no p d.c sen gov rep gen col lt capt sgt prof rev"
    ),
    speech_verbs=(
        r"said",
        r"told",
        r"says",
        r"stated",
        r"explained",
        r"explains",
        r"added",
        r"adds",
        r"according to",
        r"described",
    ),
    say_words=(
        "say",
        "said",
        "tell",
        "told",
        "state",
        "stated",
        "think",
        "thinks",
        "describe",
        "described",
        "claim",
        "claimed",
        "comment",
    ),
    titles=_words(
        "ceo cfo coo president chairman chairwoman chief executive officer senator minister prime secretary governor mayor director mrs sir"
    ),
    follow_up_words=_words(
        "he she him her his they them their it its that this those one ones other next then else also"
    ),
    question_words=_kinds(
        who="who|whom|whose",
        when="when|since when|what year|which year|what date|which date|what day|which day|what month|which month",
        where="where|in which city|in which country",
        how_many="how many",
        how_much="how much|how long|what price|what did it cost|worth|what value",
        why="why|for what reason",
    ),
    part_openers=_phrases("what|which|how|for what|in what|on what|at what|to what|by how"),
    and_words=_phrases("and"),
    clause_words=_phrases("when|where"),
    amount_words=_phrases(
        "billion|billions|million|millions|thousand|percent|per cent|points|point|tonnes|tons|miles|kilometres|km|hours|minutes|days|weeks|months|years"
    ),
    currency_words=_phrases("dollars|dollar|euros|euro|pounds|pound|sterling|yen|francs|yuan|roubles|usd|eur|gbp"),
    price_nouns=_words("cost costs price prices worth value"),
    price_verbs=_words("pay paid pays cost costs priced valued"),
    auxiliaries=_words("did does do was were is are has have had will would can could"),
    number_words=_words(
        "two three four five six seven eight nine ten eleven twelve twenty thirty hundred thousand million billion dozen dozens hundreds thousands"
    ),
    reason_words=_phrases("because|due to|owing to|as a result|caused by|thanks to"),
    since_words=_phrases("since"),
    closing_words=_phrases("closed|ended|ending|closing"),
    period_nouns=_phrases("quarter|year|half|month|period"),
    relative_dates=(
        "last week",
        "this week",
        "last month",
        "this month",
        "last year",
        "this year",
        "yesterday",
    ),
    boilerplate=(
        r"(?:click|tap) here",
        r"download (?:the|our) app",
        r"get the app",
        r"subscribe (?:now|today|here|to (?:our|the))",
        r"sign up (?:now|today|here|for (?:our|the))",
        r"follow us",
        r"(?:our|the) newsletter",
        r"listen to (?:this|the) articles?",
        r"read more",
        r"share (?:this|on)",
        r"all rights reserved",
        r"^(?:advertisement|sponsored)$",
    ),
    credit_words=("photo", "credit", "courtesy"),
    clitic_suffixes=_words("s t re ve ll d m"),
    source_headings=("quote", "quotes", "source", "sources"),
    place_aliases=MappingProxyType(
        {"usa": "US", "america": "US", "britain": "GB", "great britain": "GB", "turkey": "TR", "holland": "NL"}
    ),
)

FRENCH = Language(
    code="fr",
    name="French",
    stemmer="french",
    stopwords=_stopwords(bm25s_stopwords.STOPWORDS_FRENCH, "a dit selon quoi quel quelle quels quelles"),
    abbreviations=_words("m mme mlle mm dr pr st av bd etc cf p janv févr avr juil sept oct nov déc"),
    speech_verbs=(
        r"a\s+(?:dit|déclaré|affirmé|expliqué|ajouté|souligné|estimé|annoncé|précisé|assuré)",
        r"selon",
        r"déclare",
        r"affirme",
        r"estime",
        r"explique",
    ),
    say_words=("dit", "dire", "declare", "affirme", "pense", "explique", "estime"),
    titles=_words("pdg ceo président ministre sénateur maire directeur secrétaire mme"),
    follow_up_words=_words("il elle ils elles lui leur son sa ses cela ceci ensuite aussi encore"),
    question_words=_kinds(
        who="qui",
        when="quand|depuis quand|en quelle annee|quel jour|a quelle date|quelle date|en quel mois",
        where="ou|dans quelle ville|dans quel pays",
        how_many="combien de",
        how_much="combien|quel prix|quelle valeur|vaut|valait",
        why="pourquoi|pour quelle raison",
    ),
    part_openers=_phrases("quoi|quel|quelle|quels|quelles|comment|a quel|pour quel|de combien"),
    and_words=_phrases("et"),
    clause_words=_phrases("quand|ou"),
    amount_words=_phrases(
        "milliards|milliard|millions|million|mille|pour cent|points|tonnes|kilometres|km|heures|minutes|jours|semaines|mois|ans|annees"
    ),
    currency_words=_phrases("dollars|dollar|euros|euro|livres|yen|francs|yuans|roubles|usd|eur|gbp"),
    price_nouns=_words("coût coûts prix valeur valeurs"),
    price_verbs=_words("payé payer paie coûte coûtait coûté vaut valait"),
    auxiliaries=_words("est a ont était étaient sera seront avait avaient fut"),
    number_words=_words(
        "deux trois quatre cinq six sept huit neuf dix onze douze vingt trente cent mille million millions milliard milliards douzaine dizaines centaines milliers"
    ),
    reason_words=_phrases("parce que|a cause|en raison|du fait|grace a|puisque"),
    since_words=_phrases("depuis"),
    closing_words=_phrases("clos|cloture|termine|acheve"),
    period_nouns=_phrases("trimestre|annee|exercice|semestre|mois|periode"),
    relative_dates=(
        "la semaine dernière",
        "cette semaine",
        "le mois dernier",
        "ce mois-ci",
        "l'année dernière",
        "cette année",
        "hier",
    ),
    answer_frame="D'après les articles :",
    abstention="Je n'ai pas trouvé cette information dans les articles.",
    say_question="Qu'a dit {name} ?",
    boilerplate=(
        r"cliquez ici",
        r"téléchargez l[’']application",
        r"abonnez-vous",
        r"inscrivez-vous",
        r"suivez-nous",
        r"(?:notre|la) newsletter",
        r"écouter (?:cet |l[’'])article",
        r"lire aussi",
        r"lire la suite",
        r"partager (?:sur|cet)",
        r"tous droits réservés",
        r"^publicité$",
    ),
    credit_words=("photo", "crédit"),
    source_headings=("citations", "sources"),
    also_drops=_QUOTES_ENGLISH,
    acronyms=_acronyms("BCE=ECB FMI=IMF OCDE=OECD OMS=WHO ONU=UN UE=EU OTAN=NATO BEI=EIB OMC=WTO AIEA=IAEA"),
)

SPANISH = Language(
    code="es",
    name="Spanish",
    stemmer="spanish",
    stopwords=_stopwords(bm25s_stopwords.STOPWORDS_SPANISH, "dijo dicho segun"),
    abbreviations=_words("sr sra srta dr dra ud uds etc pág núm art ee.uu"),
    speech_verbs=(
        r"(?:dijo|afirmó|declaró|explicó|añadió|aseguró|señaló|subrayó|indicó)",
        r"ha\s+(?:dicho|declarado|afirmado|explicado)",
        r"según",
    ),
    say_words=("dijo", "dicho", "decir", "declarado", "afirmado", "piensa", "opina", "explico"),
    titles=_words("ceo presidente ministro senador alcalde director secretario sra"),
    follow_up_words=_words("él ella ellos ellas su sus eso esto luego también después"),
    question_words=_kinds(
        who="quien|quienes",
        when="cuando|desde cuando|en que ano|que dia|en que fecha|que fecha|en que mes",
        where="donde|en que ciudad|en que pais",
        how_many="cuantos|cuantas",
        how_much="cuanto|cuanta|a que precio|que valor|cuanto vale|cuanto valia",
        why="por que|por que motivo",
    ),
    part_openers=_phrases("cual|cuales|como|a que|en que|de cuanto"),
    and_words=_phrases("y|e"),
    clause_words=_phrases("cuando|donde"),
    amount_words=_phrases(
        "millones|millon|miles|mil|por ciento|puntos|toneladas|kilometros|km|horas|minutos|dias|semanas|meses|anos"
    ),
    currency_words=_phrases("dolares|dolar|euros|euro|libras|yen|francos|yuanes|rublos|usd|eur|gbp"),
    price_nouns=_words("costo coste precio precios valor valores"),
    price_verbs=_words("pagó pagado pagar paga cuesta costó vale valía"),
    auxiliaries=_words("es fue era ha han había habían será fueron se"),
    number_words=_words(
        "dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta cien mil millon millones docena decenas cientos miles"
    ),
    reason_words=_phrases("porque|debido a|a causa|ya que|puesto que|gracias a"),
    since_words=_phrases("desde"),
    closing_words=_phrases("cerrado|terminado|concluido|finalizado"),
    period_nouns=_phrases("trimestre|ano|ejercicio|semestre|mes|periodo"),
    relative_dates=(
        "la semana pasada",
        "esta semana",
        "el mes pasado",
        "este mes",
        "el año pasado",
        "este año",
        "ayer",
    ),
    answer_frame="Según los artículos:",
    abstention="No he encontrado esta información en los artículos.",
    say_question="¿Qué dijo {name}?",
    boilerplate=(
        r"(?:haz|pulsa) clic aquí",
        r"descarga la app",
        r"suscríbete",
        r"regístrate",
        r"síguenos",
        r"(?:nuestra|la) newsletter",
        r"escuchar (?:este|el) artículo",
        r"lee también",
        r"leer más",
        r"compartir en",
        r"todos los derechos reservados",
        r"^publicidad$",
    ),
    credit_words=("foto",),
    source_headings=("citas", "fuentes"),
    also_drops=_QUOTES_ENGLISH,
    acronyms=_acronyms("BCE=ECB FMI=IMF OCDE=OECD OMS=WHO ONU=UN UE=EU OTAN=NATO BEI=EIB OMC=WTO OIEA=IAEA"),
)

GERMAN = Language(
    code="de",
    name="German",
    stemmer="german",
    stopwords=_stopwords(bm25s_stopwords.STOPWORDS_GERMAN, "laut sagte gesagt"),
    abbreviations=_words(
        "hr fr dr prof nr bzw usw z.b ca vgl ggf inkl str jan feb mär apr jun jul aug sep okt nov dez"
    ),
    speech_verbs=(
        r"(?:sagte|sagt|erklärte|betonte|meinte|warnte|kündigte)",
        r"hat\s+(?:gesagt|erklärt|betont)",
        r"laut",
    ),
    say_words=("gesagt", "sagte", "sagen", "erklart", "erklarte", "meint", "meinte", "behauptet"),
    titles=_words("ceo präsident minister senator bürgermeister direktor vorstandschef herr frau"),
    follow_up_words=_words("er sie ihm ihr ihn sein seine dies danach auch dann noch"),
    question_words=_kinds(
        who="wer|wem|wen",
        when="wann|in welchem jahr|an welchem tag|welches datum|in welchem monat",
        where="wo|wohin|in welcher stadt|in welchem land",
        how_many="wie viele",
        how_much="wie viel|wieviel|wie lange|zu welchem preis|wert|welchen wert",
        why="warum|weshalb|wieso",
    ),
    part_openers=_phrases("was|welche|welcher|welches|welchen|wie|wer|wem|wen"),
    and_words=_phrases("und"),
    clause_words=_phrases("wo"),
    amount_words=_phrases(
        "milliarden|milliarde|millionen|million|tausend|prozent|punkte|tonnen|kilometer|km|stunden|minuten|tage|wochen|monate|jahre"
    ),
    currency_words=_phrases("dollar|euro|pfund|yen|franken|yuan|rubel|usd|eur|gbp"),
    price_nouns=_words("preis preise kosten wert"),
    price_verbs=_words("bezahlt zahlte zahlen zahlt kostet kostete"),
    auxiliaries=_words("ist war hat haben hatte wird wurde sind waren"),
    number_words=_words(
        "zwei drei vier funf sechs sieben acht neun zehn elf zwolf zwanzig dreissig hundert tausend million millionen milliarde milliarden dutzend dutzende hunderte tausende"
    ),
    reason_words=_phrases("weil|denn|wegen|aufgrund|infolge|dank"),
    since_words=_phrases("seit"),
    closing_words=_phrases("endete|endend|abgeschlossen|beendet"),
    period_nouns=_phrases("quartal|jahr|geschaftsjahr|halbjahr|monat"),
    relative_dates=(
        "letzte Woche",
        "diese Woche",
        "letzten Monat",
        "diesen Monat",
        "letztes Jahr",
        "dieses Jahr",
        "gestern",
    ),
    answer_frame="Laut den Artikeln:",
    abstention="Dazu habe ich in den Artikeln nichts gefunden.",
    say_question="Was hat {name} gesagt?",
    boilerplate=(
        r"hier klicken",
        r"klicken sie hier",
        r"app herunterladen",
        r"jetzt abonnieren",
        r"abonnieren sie",
        r"registrieren sie sich",
        r"folgen sie uns",
        r"(?:unseren|zum) newsletter",
        r"artikel anhören",
        r"lesen sie auch",
        r"weiterlesen",
        r"alle rechte vorbehalten",
        r"^(?:anzeige|werbung)$",
    ),
    credit_words=("foto", "bild"),
    source_headings=("zitate", "quellen"),
    also_drops=_QUOTES_ENGLISH,
    capitalises_nouns=True,
    determiners=_words(
        "der die das den dem des ein eine einen einem einer eines im am zum zur vom beim ins kein keine"
        " dieser diese dieses jeder jede jedes"
    ),
    # Not "-chen" or "-nis": München, Tunis.
    noun_endings=("ung", "heit", "keit", "schaft", "tion", "tät", "ismus", "tum"),
    acronyms=_acronyms("EZB=ECB IWF=IMF UNO=UN"),
)

PORTUGUESE = Language(
    code="pt",
    name="Portuguese",
    stemmer="portuguese",
    stopwords=_stopwords(bm25s_stopwords.STOPWORDS_PORTUGUESE, "disse segundo"),
    abbreviations=_words("sr sra dr dra etc pág núm"),
    speech_verbs=(r"(?:disse|afirmou|declarou|explicou|acrescentou)", r"segundo"),
    say_words=("disse", "dizer", "afirmou", "declarou", "pensa"),
    titles=_words("ceo presidente ministro senador prefeito diretor secretário sra"),
    follow_up_words=_words("ele ela eles elas seu sua isso depois também"),
    question_words=_kinds(
        who="quem",
        when="quando|desde quando|em que ano|em que dia|que data|qual data|em que mes",
        where="onde|em que cidade|em que pais",
        how_many="quantos|quantas",
        how_much="quanto|quanta|a que preco|que valor|quanto vale|quanto valia",
        why="por que|por qual motivo",
    ),
    part_openers=_phrases("qual|quais|como|a que|em que|de quanto"),
    and_words=_phrases("e"),
    clause_words=_phrases("quando|onde"),
    amount_words=_phrases(
        "bilhoes|bilhao|milhoes|milhao|mil|por cento|pontos|toneladas|quilometros|km|horas|minutos|dias|semanas|meses|anos"
    ),
    currency_words=_phrases("dolares|dolar|euros|euro|libras|iene|francos|yuans|rublos|usd|eur|gbp"),
    price_nouns=_words("custo preço preços valor valores"),
    price_verbs=_words("pagou pago pagar paga custa custou vale valia"),
    auxiliaries=_words("é foi era tem têm tinha será foram se"),
    number_words=_words(
        "dois tres quatro cinco seis sete oito nove dez onze doze vinte trinta cem mil milhao milhoes bilhao bilhoes duzia dezenas centenas milhares"
    ),
    reason_words=_phrases("porque|devido a|por causa|ja que|uma vez que|gracas a"),
    since_words=_phrases("desde"),
    closing_words=_phrases("encerrado|terminado|concluido|fechado"),
    period_nouns=_phrases("trimestre|ano|exercicio|semestre|mes|periodo"),
    relative_dates=(
        "semana passada",
        "esta semana",
        "mês passado",
        "este mês",
        "ano passado",
        "este ano",
        "ontem",
    ),
    answer_frame="Segundo os artigos:",
    abstention="Não encontrei esta informação nos artigos.",
    say_question="O que disse {name}?",
    boilerplate=(r"clique aqui", r"baixe o app", r"assine já", r"leia também", r"^publicidade$"),
    credit_words=("foto",),
    source_headings=("citações", "fontes"),
    also_drops=_QUOTES_ENGLISH,
    acronyms=_acronyms("BCE=ECB FMI=IMF OCDE=OECD OMS=WHO ONU=UN UE=EU OTAN=NATO BEI=EIB OMC=WTO AIEA=IAEA"),
)

LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {entry.code: entry for entry in (ITALIAN, ENGLISH, FRENCH, SPANISH, GERMAN, PORTUGUESE)}
)
NEUTRAL = Language(code="", name="the question's language")


def language(code: str | None) -> Language:
    """The table entry for `code`; `NEUTRAL` for a language rag has no entry for."""
    return LANGUAGES.get(code or "", NEUTRAL)


@functools.cache
def dropped_words(code: str) -> frozenset[str]:
    """The stopwords dropped from text in language `code`: its own and those of `also_drops`."""
    entry = language(code)
    return entry.stopwords.union(*(language(other).stopwords for other in entry.also_drops))


@functools.cache
def source_headings_pattern() -> re.Pattern[str]:
    """A line that only heads a list of quotes or sources, in any language ("Quotes:", "Fonti:")."""
    headings = "|".join(re.escape(h) for entry in LANGUAGES.values() for h in entry.source_headings)
    return re.compile(rf"\s*(?:{headings})\s*:?\s*", re.IGNORECASE)


@functools.cache
def abbreviations(lang: str | None) -> frozenset[str]:
    """The abbreviations of text in `lang`: its own, and the English titles and company suffixes
    news in every language borrows ("Mr.", "Inc."); every table language's for text of unknown
    language. Not every language's for all text: one's abbreviation is another's word that ends
    sentences (Italian "ago." for agosto, English "two weeks ago."; Italian "es.", German "es")."""
    if lang in LANGUAGES:
        return language(lang).abbreviations | _BORROWED_ABBREVIATIONS
    return frozenset().union(*(entry.abbreviations for entry in LANGUAGES.values()))


def is_abbreviation(token: str, lang: str | None = None) -> bool:
    """Whether a full stop after `token` ends no sentence in text of `lang`: an abbreviation, or
    an initial ("J. D. Vance")."""
    return token.lower() in abbreviations(lang) or (len(token) == 1 and token.isupper())


@functools.cache
def acronym_forms(acronym: str) -> frozenset[str]:
    """The acronym of an international body in every table language: "ECB" -> {"ECB", "BCE",
    "EZB"}; {acronym} for one the table does not list."""
    english = next((e for entry in LANGUAGES.values() for a, e in entry.acronyms.items() if a == acronym), acronym)
    others = {a for entry in LANGUAGES.values() for a, e in entry.acronyms.items() if e == english}
    return frozenset({english, *others})


@functools.cache
def all_titles() -> frozenset[str]:
    """Every language's titles: news in one language writes another's ("Chief Executive Officer")."""
    return frozenset().union(*(entry.titles for entry in LANGUAGES.values()))


@functools.cache
def all_clitic_suffixes() -> frozenset[str]:
    return frozenset().union(*(entry.clitic_suffixes for entry in LANGUAGES.values()))


@functools.cache
def speech_pattern() -> re.Pattern[str]:
    """Reported speech in a sentence of any language ("ha detto", "said", "selon")."""
    verbs = "|".join(verb for entry in LANGUAGES.values() for verb in entry.speech_verbs)
    return re.compile(rf"\b(?:{verbs})\b", re.IGNORECASE)


@functools.cache
def boilerplate_pattern() -> re.Pattern[str]:
    """Calls to action and page chrome in any language; © marks a rights line in all of them."""
    phrases = "|".join(rf"\b{p}\b" if not p.startswith("^") else p for e in LANGUAGES.values() for p in e.boilerplate)
    return re.compile(rf"{phrases}|©", re.IGNORECASE)


@functools.cache
def credit_words() -> tuple[str, ...]:
    return tuple(dict.fromkeys(word for entry in LANGUAGES.values() for word in entry.credit_words))


@functools.cache
def openers(code: str) -> tuple[str, ...]:
    """Every phrase that opens a question in language `code`: its question words and `part_openers`."""
    entry = language(code)
    return tuple(dict.fromkeys([*entry.part_openers, *(p for ps in entry.question_words.values() for p in ps)]))


@dataclass(frozen=True)
class Calendar:
    """Month and weekday names, folded: "gennaio" -> 1, "monday"."""

    months: Mapping[str, int]
    weekdays: frozenset[str]


_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@functools.cache
def calendar_names(code: str = "") -> Calendar:
    """Month and weekday names of language `code` (of every table language for "" or one without
    an entry), from dateparser's maintained locale data.

    Only full names count: abbreviations such as "mar" or "gen" are ordinary words too.
    """
    from dateparser.languages.loader import default_loader

    months: dict[str, int] = {}
    weekdays: set[str] = set()
    for each in [code] if code in LANGUAGES else list(LANGUAGES):
        info = default_loader.get_locale(each).info
        for number, month in enumerate(_MONTHS, start=1):
            months.update((fold(n), number) for n in _full_names(info.get(month, [])))
        for day in _WEEKDAYS:
            weekdays.update(fold(n) for n in _full_names(info.get(day, [])))
    return Calendar(MappingProxyType(months), frozenset(weekdays))


# CLDR's pseudo-locales and unknown or outlying regions: no country a question names.
_NOT_PLACES = frozenset({"XA", "XB", "ZZ", "QO"})


@functools.cache
def place_names() -> Mapping[str, frozenset[str]]:
    """Each name of a country (and of the EU), folded, to all its names in the table's languages:
    "japan" -> {"japan", "giappone", "japon", "japao"}. From the Unicode CLDR data that Babel
    ships, plus the entries' `place_aliases` ("usa", "turkey")."""
    from babel import Locale

    places: dict[str, set[str]] = {}
    for code in LANGUAGES:
        for territory, name in Locale.parse(code).territories.items():
            if len(territory) == 2 and territory.isalpha() and territory not in _NOT_PLACES:
                places.setdefault(territory, set()).add(fold_apostrophes(name))
        for alias, territory in language(code).place_aliases.items():
            places[territory].add(alias)
    return MappingProxyType({name: frozenset(names) for names in places.values() for name in names})


def _full_names(forms: Iterable[str]) -> list[str]:
    forms = [f for f in forms if f.isalpha()]
    longest = max((len(f) for f in forms), default=0)
    return [f for f in forms if len(f) == longest or len(f) >= 5]
