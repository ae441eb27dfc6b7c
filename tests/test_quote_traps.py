"""What must never come out as a quoted source, one class of trap at a time (RULES.md, "What is
not a source"): each sentence holds the trap where a rule could take it, and the test pins that the
trap stays text while a real source beside it, when there is one, is still found."""

from __future__ import annotations

import pytest

from indexer.sources.quotes import extract_sources


def sources(text: str, html: str = "", url: str = "") -> list[str]:
    return extract_sources(text, html, url)


TRAPS = {
    "acronyms of technical terms": [
        ("Le PID (identifiant de processus) du démon est écrit dans un fichier.", []),
        ("Selon la configuration, le tampon FIFO (First-In-First-Out) se vide.", []),
        ("Le PIB (produit intérieur brut) a progressé, selon l’Insee.", ["Insee"]),
        ("La fin des prêts garantis par l’État (PGE) arrive, résume Thierry Millon.", ["Thierry Millon"]),
    ],
    "an acronym after its expansion": [
        ("La Haute Autorité de santé (HAS) doit se prononcer sur le remboursement.", []),
        ("L’Inspection générale de la police nationale (IGPN) a été saisie.", []),
    ],
    "units and figures": [
        ("Avec 41 °C relevés à Mérignac et des rafales à 207 km/h, la tempête a coûté 13,2 milliards.", []),
        ("La box offre 10 Gbit/s (Wi-Fi 7) pour 49,99 euros, consomme 5 W la nuit.", []),
    ],
    "places and years in parentheses": [
        ("La liquidation d’un fabricant de Lorient (Morbihan) a laissé 180 salariés sans emploi.", []),
        ("Les Jeux d’Atlanta (1996) restent une référence, comme Cholet (Maine-et-Loire).", []),
        ("Le vent a soufflé à la pointe du Raz (Finistère). Selon Enedis, 1,2 million de foyers sont privés de courant.",
         ["Enedis"]),
    ],
    "options, variables and file names": [
        ("Utilisez l’option --force (Off par défaut) et la variable DEBIAN_FRONTEND (Vrai ou Faux).", []),
        ("Le fichier /etc/apt/sources.list (Date, Auteur) liste les dépôts.", []),
    ],
    "keyboard shortcuts": [
        ("Appuyez sur Commande + T pour ouvrir un onglet, ou ^G pour annuler.", []),
        ("Le raccourci Ctrl+Alt+Suppr (Windows) ouvre le gestionnaire.", []),
    ],
    "yes/no and boolean words": [
        ("Répondez Oui (Vrai) ou Non (Faux) ; la valeur True (On) ou False (Off) est acceptée.", []),
    ],
    "headings and labels": [
        ("Première réalité : « rien »", []),
        ("Économie estimée : une fuite peut gaspiller des centaines de litres par jour.", []),
        ("Chaque version a un nom de code : Debian 9 s’appelle stretch ; voir la Section 4.3 et le Tableau 11.2.", []),
    ],
    "people merely mentioned": [
        ("Emmanuel Macron a inauguré le salon en présence de Jean-Claude Dupont, PDG de Michelin.", []),
        ("Le Français Romain Bardet a porté le maillot jaune un jour.", []),
        ("« J’ai joué libéré », a lancé le Français en conférence de presse.", []),
    ],
    "products and software": [
        ("Pour la bureautique, LibreOffice Writer fait le travail ; Firefox remplace Edge.", []),
        ("La Tesla Model Y a été la voiture la plus vendue, devant la Renault Zoé.", []),
    ],
    "quotes without attribution": [
        ("« Ici, tout le monde se parlait », entend-on souvent dans le quartier.", []),
        ("Sommes-nous tous « digital » ? Le slogan « Tous connectés » fait sourire.", []),
    ],
    "anonymous and common-noun sources": [
        ("Selon nos informations, d’après un proche du dossier, le gouvernement hésite.", []),
        ("Selon les experts, la police et les syndicats, rien n’est joué.", []),
    ],
    "identifiers glued to code": [
        ("Les binaires sont pointés par Dir::Bin ; Acquire::http::No-Cache dit au mandataire de ne rien garder.", []),
        ("Seules les projections MAP_SHARED sont autorisées, selon ORDRE_TRI ou source:Version.", []),
        ("La forme est décrite par Cylindres/Têtes/Secteurs, précisé par FinalKillSignal=.", []),
    ],
    "verbs and numbers opening a sentence": [
        ("La page de code est 850. Consultez la table suivante, puis indique-t-il la valeur.", []),
        ("Écrire la table de partitions sur le disque. Trois chiffres au plus peuvent être affichés, précise-t-on.", []),
    ],
    "things and parts of a document": [
        ("Le système Debian demande que l’on exécute sync ; la commande Linux explique la suite.", []),
        ("Le processus est expliqué dans Mises à jour indépendantes, décrit dans Motifs génériques ci-dessous.", []),
        ("Chaque version a un nom : voir la Section 4.3, selon le Tableau 11.2.", []),
        ("inet (TCP/IP), ax25 (AMPR Packet Radio), ddp (Appletalk Phase 2) sont pris en charge.", []),
    ],
    "roles without a name": [
        ("Le PDG de la société a parlé. Selon les cas, le directeur du service s’exprime.", []),
        ("Le ministre de l’Économie a rappelé que la prévision restait « atteignable ».", []),
    ],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [case for cases in TRAPS.values() for case in cases],
    ids=[f"{name}-{n}" for name, cases in TRAPS.items() for n in range(len(cases))],
)
def test_trap_in_text(text, expected):
    assert sources(text) == expected


def test_text_in_code_never_cites():
    html = (
        "<p>Lancez <code>apt-get -o Debug::pkgProblemResolver=true install</code> ; selon "
        "<code>Dpkg::Options</code>, puis tapez <kbd>Ctrl</kbd>+<kbd>Alt</kbd>+<kbd>T</kbd>.</p>"
        "<pre>Selon Richard Stallman : « le logiciel libre »\nexplique Linus Torvalds</pre>"
        "<p>Selon l’Insee, rien ne change.</p>"
    )
    text = (
        "Lancez apt-get -o Debug::pkgProblemResolver=true install ; selon Dpkg::Options, puis tapez Ctrl+Alt+T.\n\n"
        "Selon Richard Stallman : « le logiciel libre »\nexplique Linus Torvalds\n\nSelon l’Insee, rien ne change."
    )
    assert sources(text, html) == ["Insee"]


@pytest.mark.parametrize(
    "href",
    ["http://tinyurl.com/od8umlo", "https://bit.ly/prix-carburants", "https://t.co/AbC123xyz",
     "https://goo.gl/maps/xyz123", "https://ow.ly/abc", "https://buff.ly/3xY", "https://lc.cx/abc"],
)
def test_url_shorteners_never_cite(href):
    html = f'<p>Selon cette étude, lisez <a href="{href}">le rapport complet</a>.</p>'
    assert sources("Selon cette étude, lisez le rapport complet.", html) == []


@pytest.mark.parametrize(
    "href",
    ["https://twitter.com/search?q=etude", "https://x.com/intent/tweet?url=rapport", "https://www.facebook.com/sharer/sharer.php?u=a",
     "https://www.linkedin.com/shareArticle?url=a", "https://www.instagram.com/compte/", "https://www.youtube.com/watch?v=x",
     "https://m.facebook.com/page/videos/1", "https://mastodon.social/@compte"],
)
def test_social_links_never_cite(href):
    html = f'<p>Partagez l’article : <a href="{href}">cette étude</a>.</p>'
    assert sources("Partagez l’article : cette étude.", html) == []


def test_a_link_cites_only_what_its_words_say_it_cites():
    html = (
        '<p>On utilise des <a href="https://fr.wikipedia.org/wiki/Cookie_(informatique)">cookies HTTP</a>, '
        'téléchargez <a href="https://www.libreoffice.org/download/download/">LibreOffice</a>, '
        'voir <a href="https://www.framasoft.org/">le site</a>. '
        'Selon <a href="https://www.insee.fr/fr/statistiques/7757">la note de conjoncture</a>, tout va bien.</p>'
    )
    text = "On utilise des cookies HTTP, téléchargez LibreOffice, voir le site. Selon la note de conjoncture, tout va bien."
    assert sources(text, html) == ["insee.fr"]


def test_the_site_own_pages_and_uploads_never_cite():
    html = (
        '<p>Selon notre <a href="https://exemple-blog.fr/2015/03/etude-maison/">étude maison</a> et '
        '<a href="https://cdn.exemple-blog.fr/wp-content/uploads/rapport.pdf">le rapport</a>, '
        'd’après <a href="https://www.lesechos.fr/2015/05/digitalisation.html">cet article</a>.</p>'
    )
    text = "Selon notre étude maison et le rapport, d’après cet article."
    assert sources(text, html, url="https://exemple-blog.fr/2016/01/billet/") == ["lesechos.fr"]


def test_bare_url_cites_only_after_a_citing_word():
    assert sources("Téléchargez-le sur https://www.videolan.org/vlc/download-debian.html ce soir.") == []
    assert sources("D’après cette étude : https://www.ademe.fr/etude/velo-2023 les ventes montent.") == ["ademe.fr"]
