"""The seed's long article and what it cites, read by hand: the one article every rule change must keep.

"Comment l’entreprise peut-elle intégrer le numérique ?" cites, in its order, people, their
organisations, studies and the works named in parentheses. Mappy (an example of a company, not a
source) and "©FabienneBillat" (the author) are not in it. Read from the bundled sample archive, so
that neither the evaluation nor the tests need anything outside the repository.
"""

from __future__ import annotations

from indexer.sample import SAMPLE_ARCHIVE
from indexer.sources import open_source

LONG_ARTICLE_TITLE = "Comment l’entreprise peut-elle intégrer le numérique ?"

LONG_ARTICLE_CITES = [
    "Aubusson de Carvalay", "PwC",                       # « … », affirme M. Aubusson de Carvalay, de PwC
    "Google", "The Customer Journey to Online Purchase",  # une analyse de Google (The Customer Journey …)
    "Hugo Lauras", "Andlil",                             # (Hugo Lauras, Andlil)
    "FEVAD",                                             # (Etude FEVAD)
    "Gilles Babinet",                                    # Gilles Babinet parle de dé-verticalisation
    "Adobe", "Valtech",                                  # « La transformation digitale » de Adobe et Valtech
    "Philippe Houzé", "Galeries Lafayette",              # Philippe Houzé, Président des Galeries Lafayette : « … »
    "Nicolas Odet", "Hardis",                            # confirme Nicolas Odet (Hardis) “…“
    "Syntec RP",                                         # (Syntec RP)
    "CEGOS",                                             # (Enquête CEGOS 2012)
    "Stéphane Richard", "Orange",                        # Stéphane Richard, PDG d’Orange : “…”
    "Digital Ready",                                     # (Etude Digital Ready)
    "L’Atelier BNP Paribas",                             # (L’Atelier BNP Paribas)
    "Gallup",                                            # (Rapport Gallup)
    "Joël de Rosnay", "Surfer la Vie",                   # « … » affirme Joël de Rosnay (Surfer la Vie)
    "Fred Cavazza", "emarketing.fr",                     # Fred Cavazza, de emarketing.fr : « … »
    "Bernard Cathelat",                                  # (Bernard Cathelat)
    "J.C. Dichant",                                      # Pour J.C. Dichant, il s’agit “…”
    "Hinde Pagani", "Groupe Pernod",                     # confirme Hinde Pagani, Directrice Digitale du Groupe Pernod
    "Louis Richardson", "IBM",                           # Louis Richardson (IBM) : “…”
    "Nicolas Bordas", "TBWA Europe",                     # Nicolas Bordas, Vice-Président de TBWA Europe, de conclure
]


def long_article():
    """The long article as the build reads it from the bundled sample (an `Article`)."""
    for article in open_source(SAMPLE_ARCHIVE):
        if getattr(article, "title", "").startswith(LONG_ARTICLE_TITLE):
            return article
    raise LookupError(f"the sample archive has no article titled {LONG_ARTICLE_TITLE!r}")
