"""Quoted sources (indexer/sources/quotes/), on the seed's own French text and on literal sentences.

What counts as a source is bench/sources_eval/RULES.md: an organisation or a person cited as the
origin of information or opinion, never one merely mentioned; tests/test_sources_eval.py holds
the figures on the labelled set, tests/test_quote_traps.py what must never come out.
"""

from __future__ import annotations

import time

import pytest

from archives import NBSP, SEED, SEED_TITLES
from bench.sources_eval.seed import LONG_ARTICLE_CITES
from indexer.sources.quotes import extract_sources, merge_spellings, source_key

LONG_ARTICLE = SEED_TITLES[8]


def seed_article(title: str) -> str:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    starts = [lines.index(t) for t in SEED_TITLES] + [len(lines)]
    n = SEED_TITLES.index(title)
    return "\n".join(lines[starts[n] + 1 : starts[n + 1]])


# --- (a) The long article, read by hand --------------------------------------------------------

# What "Comment l’entreprise peut-elle intégrer le numérique ?" cites, read by hand, is
# bench/sources_eval/seed.py's LONG_ARTICLE_CITES (the evaluation counts it too).
# The task's floor is 15 found and 3 false ones (issue 11 kept it); the rules find all 33 with
# none false today, so the bar sits near that, leaving room to trade a source for a simpler rule.
MIN_FOUND = 30
MAX_FALSE = 1


def test_long_article_sources_match_a_reading_by_hand():
    extracted = extract_sources(seed_article(LONG_ARTICLE))
    found = [s for s in LONG_ARTICLE_CITES if s in extracted]
    missed = [s for s in LONG_ARTICLE_CITES if s not in extracted]
    false = [s for s in extracted if s not in LONG_ARTICLE_CITES]
    report = f"\nexpected: {LONG_ARTICLE_CITES}\nextracted: {extracted}\nmissed: {missed}\nfalse: {false}"
    assert len(found) >= MIN_FOUND, report
    assert len(false) <= MAX_FALSE, report


def test_long_article_sources_come_in_order_of_first_appearance():
    extracted = extract_sources(seed_article(LONG_ARTICLE))
    expected_order = [s for s in LONG_ARTICLE_CITES if s in extracted]
    assert [s for s in extracted if s in LONG_ARTICLE_CITES] == expected_order


# The other nine seed articles, read by hand and checked against the rules' output: this pins
# what they cite and, as much, that their ordinary parentheses and capitals give nothing. The
# name-dropping article (4) names people it met, with their roles, and quotes none of them: by
# RULES.md they are mentioned, not cited. Its link to the Club Jade is a home page, and the
# tinyurl.com link of article 1 hides its host: neither cites.
SEED_ARTICLE_SOURCES = {
    SEED_TITLES[0]: [],
    SEED_TITLES[1]: ["McKinsey", "Nicolas Colin"],
    SEED_TITLES[2]: ["Henryk Klaba", "Lean Start Up"],
    SEED_TITLES[3]: [],
    SEED_TITLES[4]: [],
    SEED_TITLES[5]: [],
    SEED_TITLES[6]: ["Patrice Epelboin"],
    SEED_TITLES[7]: [],
    SEED_TITLES[9]: ["Les Échos"],
}


@pytest.mark.parametrize("title", list(SEED_ARTICLE_SOURCES))
def test_other_seed_articles(title):
    assert extract_sources(seed_article(title)) == SEED_ARTICLE_SOURCES[title]


# --- (b) One pattern at a time, on literal French sentences ------------------------------------

@pytest.mark.parametrize(
    ("sentence", "sources"),
    [
        # a parenthesis naming the source; the study word and the year go
        ("19% achètent sur internet (Etude FEVAD).", ["FEVAD"]),
        ("le taux d’engagement est faible : 13% en France (Rapport Gallup).", ["Gallup"]),
        ("0,4% pour des raisons professionnelles (Enquête CEGOS 2012).", ["CEGOS"]),
        ("Ces chiffres remarquables (Etude Digital Ready) montrent les limites", ["Digital Ready"]),
        ("des produits et services proposés (Syntec RP).", ["Syntec RP"]),
        ("collecter les impressions des internautes (Hugo Lauras, Andlil).", ["Hugo Lauras", "Andlil"]),
        ("« banaliser le digital, exprimer les enjeux. » (Bernard Cathelat).", ["Bernard Cathelat"]),
        ("dans les cinq prochaines années (L’Atelier BNP Paribas).", ["L’Atelier BNP Paribas"]),
        ("dans les cinq prochaines années (L'Atelier BNP Paribas).", ["L'Atelier BNP Paribas"]),
        # a subtitle in « » with non-breaking spaces; Mac Kinsey is given the firm's own spelling
        (f"financière. (Etude Mac Kinsey : «{NBSP}Accélérer la mutation numérique{NBSP}»)", ["McKinsey"]),
        (f"« 72% des 12/25 ans… »{NBSP}affirme Joël de Rosnay (Surfer la Vie).", ["Joël de Rosnay", "Surfer la Vie"]),
        # a person and their organisation around a quote
        ("Stéphane Richard, PDG d’Orange : “Parallèlement à l’expérience client…”", ["Stéphane Richard", "Orange"]),
        ("Stéphane Richard, PDG d'Orange : \"Parallèlement…\"", ["Stéphane Richard", "Orange"]),
        (
            f"«{NBSP}La question n’est plus d’avoir une stratégie digitale{NBSP}», affirme M. Aubusson de "
            "Carvalay, de PwC, résumant cette faculté.",
            ["Aubusson de Carvalay", "PwC"],
        ),
        ("Louis Richardson (IBM) : “L’intérêt pour l’entreprise est de tirer profit…”", ["Louis Richardson", "IBM"]),
        ("Fred Cavazza, de emarketing.fr : « Ce sont tous les services… »", ["Fred Cavazza", "emarketing.fr"]),
        (
            "« Plus qu’une stratégie, nous avons créé des outils. » confirme Hinde Pagani, Directrice "
            "Digitale du Groupe Pernod.",
            ["Hinde Pagani", "Groupe Pernod"],
        ),
        (
            "Philippe Houzé, Président des Galeries Lafayette : « 40% des utilisateurs… »",
            ["Philippe Houzé", "Galeries Lafayette"],
        ),
        ("Un fait est sûr. Pour J.C. Dichant, il s’agit “d’établir un plan de route”.", ["J.C. Dichant"]),
        (
            "Et Nicolas Bordas, Vice-Président de TBWA Europe, de conclure : “Il est impératif…”",
            ["Nicolas Bordas", "TBWA Europe"],
        ),
        ("Et pourtant, confirme Nicolas Odet (Hardis) “Ce sont les marques…“.", ["Nicolas Odet", "Hardis"]),
        ("comme le rappelle Henryk Klaba président et co-fondateur.", ["Henryk Klaba"]),
        ("Patrice Epelboin nous livre ses réflexions sur le sujet.", ["Patrice Epelboin"]),
        # a person and their role, when they speak
        ("Selon François Momboisse, Président de la Fevad, les ventes progressent.", ["François Momboisse", "Fevad"]),
        (
            "« Il faut former », estime Bénédicte Tilloy, DG des Ressources humaines à la SNCF, riche d’idées",
            ["Bénédicte Tilloy", "SNCF"],
        ),
        # a work and its author
        (
            "comme en témoigne une analyse de Google (The Customer Journey to Online Purchase), les réseaux",
            ["Google", "The Customer Journey to Online Purchase"],
        ),
        (
            "D’ailleurs, Gilles Babinet parle de dé-verticalisation dans l’excellent « La transformation "
            "digitale » de Adobe et Valtech.",
            ["Gilles Babinet", "Adobe", "Valtech"],
        ),
        (f"il expose la lecture de «{NBSP}Lean Start Up{NBSP}» qui est très instructive.", ["Lean Start Up"]),
        ("Qd j’ai lu votre article publié dans Les Échos, j’ai trouvé", ["Les Échos"]),
        ("Selon l’Insee, la croissance ralentit.", ["Insee"]),
        # forms French news uses beyond the seed's
        ("PARIS (AFP) – L’épidémie progresse, a indiqué mercredi Santé publique France.", ["AFP", "Santé publique France"]),
        ("Une mesure jugée « insuffisante » par l’UFC-Que Choisir, qui publiera sa carte.", ["UFC-Que Choisir"]),
        ("La Confédération des petites et moyennes entreprises (CPME) réclame un étalement des dettes.", ["CPME"]),
        ("Son président, François Asselin, a estimé sur BFM Business que rien n’allait.", ["François Asselin", "BFM Business"]),
        ("D’après un sondage Ifop pour Le Journal du dimanche, 58 % y sont favorables.", ["Ifop", "Le Journal du dimanche"]),
        ("Un avis que ne partage pas l’Observatoire français des conjonctures économiques (OFCE) : rien.", ["OFCE"]),
        ("J’ai suivi le guide d’iFixit, qui précise qu’il faut un tournevis.", ["iFixit"]),
        ("« C’est fait », a réagi l’avocate de la famille, Me Julien Plouton, au micro de France Inter.",
         ["Julien Plouton", "France Inter"]),
        ("Économiste à l’Institut des politiques publiques, Marion Lefèvre-Dumas étudie les budgets. Entretien.",
         ["Institut des politiques publiques", "Marion Lefèvre-Dumas"]),
        ("D'après Nicolas Colin, les dirigeants sont dans le déni.", ["Nicolas Colin"]),
        ("dans cet excellent article de Nicolas Colin : http://tinyurl.com/od8umlo )", ["Nicolas Colin"]),
    ],
)
def test_pattern(sentence, sources):
    assert extract_sources(sentence) == sources


# --- (c) One value per source, in its most common spelling --------------------------------------

def test_spellings_of_one_source_merge_into_the_most_common():
    assert merge_spellings(["Fevad", "FEVAD", "fevad", "FEVAD"]) == ["FEVAD"]
    assert merge_spellings(["Fevad", "FEVAD"]) == ["Fevad"]  # a tie goes to the first seen
    assert merge_spellings(["Les Echos", "Les Échos", "Les Échos"]) == ["Les Échos"]


def test_source_key_ignores_case_accents_and_apostrophes():
    assert source_key("L’Atelier  BNP Paribas") == source_key("l'atelier bnp paribas")
    assert source_key("Les Échos") == source_key("LES ECHOS")


def test_an_article_names_each_source_once_in_its_most_common_spelling():
    text = (
        "Selon François Momboisse, Président de la Fevad, tout va bien. 14% vendent en ligne (Etude FEVAD). "
        "Et 19% achètent (Enquête FEVAD 2014)."
    )
    assert extract_sources(text) == ["François Momboisse", "FEVAD"]


def test_mckinsey_has_one_spelling():
    text = "(Etude Mac Kinsey) puis (Etude McKinsey) et (Rapport Mc Kinsey 2014)."
    assert extract_sources(text) == ["McKinsey"]


# --- (d) Markup -------------------------------------------------------------------------------

def test_markup_adds_cited_titles_quote_origins_and_citing_links():
    html = (
        "<p>« 72% des 12/25 ans… » affirme Joël de Rosnay (<cite>Surfer la Vie</cite>).</p>"
        '<blockquote cite="https://www.lesechos.fr/2015/05/digitalisation.html"><p>Au secours…</p></blockquote>'
        '<p><q cite="http://www.pwc.fr/etude-2015">une stratégie dans un monde digital</q></p>'
        '<p>Voir <a href="http://tinyurl.com/od8umlo">cet article</a>, '
        '<a href="https://www.insee.fr/fr/statistiques/7757">la note de l’Insee</a> et '
        '<a href="https://www.club-jade.fr/">le Club Jade</a>.</p>'
        "<p><cite>Le Monde</cite></p>"
    )
    text = "« 72% des 12/25 ans… » affirme Joël de Rosnay (Surfer la Vie). Voir cet article."
    # A shortener hides its host and a home page cites nothing: only the note's link counts.
    assert extract_sources(text, html) == [
        "Joël de Rosnay", "Surfer la Vie", "lesechos.fr", "pwc.fr", "insee.fr", "Le Monde",
    ]


def test_markup_leaves_out_own_uploads_mail_and_relative_links():
    html = (
        '<a href="https://culture-numerique.example/wp-content/uploads/2015/03/programme.pdf">PDF Programme</a>'
        '<a href="mailto:fabienne@culture-numerique.example">écrire</a>'
        '<a href="/2015/03/ovh-what/">OVH</a><a href="#haut">haut</a><a>sans lien</a>'
        '<img src="https://culture-numerique.example/wp-content/uploads/2015/02/Shiva.jpg" alt="Shiva" />'
    )
    assert extract_sources("Déroulement du programme : PDF Programme", html) == []


@pytest.mark.parametrize("html", ["<p><a href='http://[bad'>x</a>", "<<<>>>", "</p></div>", "   ", "<a href='http://x.fr"])
def test_broken_markup_never_raises(html):
    assert isinstance(extract_sources("texte", html), list)


# --- (e) Ordinary sentences give nothing --------------------------------------------------------

@pytest.mark.parametrize(
    "sentence",
    [
        "l’usage des réseaux sociaux en France (17%) versus les autres pays",
        "au CES de Las Vegas (le plus grand salon de l’électronique au monde) car avec 160 entreprises",
        "freinent la transformation numérique. (Et qui sait, toute transformation, quelle qu’elle soit ?)",
        "A notre époque où « tout est digital » (cf article plus bas !), les entreprises",
        "(latin médiéval influentia, du latin classique influere, couler dans)",
        "Avec environ 180 000 serveurs (en octobre 2014) dans ses 17 datacenters",
        "La maturité (numérique) viendra à tous !",
        "serait une réponse (je travaille sur ce dossier 🙂\nPuis, un manque de marge de manoeuvre.",
        "la Chambre des Métiers et de l’Artisanat (CMA) organisait un colloque",
        "mes clients (marques et événements) m’ont permis d’obtenir des rendez-vous",
        "Pour ma part, je précise à mes clients que je suis pas community manager.",
        "Même si, d’après son activité, on pourrait transformer l’acronyme en « On Vous Héberge » ?!",
        "Avec Eric Debray, armé d’un appareil photo -alors que nous étions tous sur Smartphone",
        "Les Chambres de Métiers, les institutions ont un rôle primordial à jouer.",
        "Sommes-nous tous « digital » ?",
        "Première réalité : « rien »",
        "Les concurrents ? Amazon, Google et IBM.",
        "Le PDG de la société a parlé. Selon les cas, le directeur du service s’exprime.",
        "Les ventes (B2B) progressent (T1 2015) (x) () ((",
    ],
)
def test_ordinary_sentence_gives_nothing(sentence):
    assert extract_sources(sentence) == []


# --- (f) Hostile input stays fast ---------------------------------------------------------------
# Measured by hand (CPU time): 5 MB of the seed's prose in about 0.65 s (0.46 s with the rules
# before issue 11), 10,000 parentheses in a few milliseconds. The bound is generous so that only a
# real backtracking blow-up fails.

LIMIT_SECONDS = 2.0


def timed(text: str, html: str = "") -> float:
    """CPU seconds: a blow-up shows in them, other test runs sharing the cores do not."""
    start = time.process_time()
    extract_sources(text, html)
    return time.process_time() - start


def test_five_megabytes_of_prose():
    seed = SEED.read_text(encoding="utf-8")
    text = (seed * (5_000_000 // len(seed) + 1))[:5_000_000]
    assert timed(text) < LIMIT_SECONDS


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000,
        ")" * 10_000,
        "(" * 5_000 + "x" + ")" * 5_000,
        "(Etude FEVAD " * 10_000,
        "(Etude FEVAD) " * 10_000,
        "(" + "Aa " * 10_000 + ")",
    ],
    ids=["open", "close", "nested", "unclosed-names", "closed-names", "one-long"],
)
def test_ten_thousand_parentheses(text):
    assert timed(text) < LIMIT_SECONDS


@pytest.mark.parametrize(
    "text",
    [
        "Aubusson Carvalay Président " * 20_000,
        "Jean de " * 80_000,
        "Nicolas Bordas, Président de de de de de " * 25_000,
        "« x » de " * 120_000,
        "lecture de « " * 90_000,
        "affirme " * 130_000,
        "J." * 500_000,
        "http://" + "a" * 1_000_000,
        "Ab" * 500_000,
    ],
    ids=["names-and-roles", "particles", "prepositions", "titles", "open-titles", "verbs", "initials", "url", "glued"],
)
def test_adversarial_megabyte(text):
    assert timed(text) < LIMIT_SECONDS


def test_large_markup():
    html = "<p>" + '<a href="http://x.fr/">lien</a> <cite>Titre</cite> ' * 20_000 + "</p>"
    assert timed("", html) < LIMIT_SECONDS
