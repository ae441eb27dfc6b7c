"""The words citation forms are made of: verbs of saying, names of studies, heads of public bodies,
descriptors, and the link hosts that never cite (shorteners, social networks).

Word lists, not name lists: what may follow them is decided by the patterns (cues.py, names.py).
"""

from __future__ import annotations

A = "[’']"


def by_first_letter(alternatives: list[str]) -> str:
    """One alternation grouped by first character ("a(?:ffirm|nnonc)|c(?:onfirm|…)"): the regex
    engine tries a dozen branches at a position instead of every word (each alternative starts
    with a plain character)."""
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        groups.setdefault(alternative[0], []).append(alternative[1:])
    return "(?:" + "|".join(
        first + ("(?:" + "|".join(sorted(rests, key=len, reverse=True)) + ")" if len(rests) > 1 else rests[0])
        for first, rests in groups.items()
    ) + ")"


# Regular verbs of saying by stem, with their present, past participle and imperfect endings:
# "explique", "expliquent", "expliqué", "expliquait". Accents that move are in the stem class.
_ER = (
    "affirm annonc assur confirm constat déclar dénonc détaill estim expliqu indiqu insist jug juge "
    "mart[eéè]l not observ plaid précis rappel+ regrett rel[eéè]v résum r[ée]v[eéè]l soulign temp[ée]r temp[eéè]r "
    "nuanc tranch ajout analys comment racont rapport exig impos stipul témoign salu réclam recommand alert accus protest critiqu "
    "déplor contest rétorqu avou ironis justifi chiffr calcul recens dénombr évalu pronostiqu interpell "
    "exhort point signal partag conseill demand mesur montr mentionn invoqu argument certifi tabl anticip confi précis rassur avanc martel "
    "lanc lâch souffl savour pest gliss lanç confess objecte? répét r[ée]p[eéè]t notifi"
)
_ER_ENDINGS = r"(?:e|es|ent|é|ée|és|ées|ait|aient)"
_IRREGULAR_FORMS = ((
    r"dit|disait|disent|écrit|écrivait|écrivent|décrit|décrivait|conclut|conclu|concluait|reconna[iî]t"
    r"|reconnu|reconnaissait|reconnaissent|prévient|prévenu|prévenait|préviennent|soutient|soutenu"
    r"|soutenait|soutiennent|répond|répondu|répondait|répondent|défend|défendu|défendait|défendent"
    r"|avertit|averti|avertissait|réagit|réagi|poursuit|poursuivi|admet|admis|dément|démenti|prédit"
    r"|promet|promis|sourit|souri|renchérit|renchéri|prévenus|prévenue|prévenues"
    r"|parle|parlé|parlait|nous livre|nous explique|nous confie|nous dit|fait savoir|fait valoir"
    r"|met en garde|mis en garde|mettent en garde|cite|cité|prévoit|prévoient|prévoyait|prévu|veut|voulait"
).split("|"))
_PRONOMINAL = (
    r"(?:s[’']|se\s)(?:est\s|sont\s)?(?:félicit|enthousiasm|agac|inqui[eéè]t|alarm|indign|désol|étonn"
    r"|interrog|exclam|amus|réjou|emport|insurg|offusqu|dit|montr)(?:e|ent|é|ée|és|ées|ait|aient|it|i|ie|is)?"
)
# "Et Nicolas Bordas, Vice-Président de TBWA Europe, de conclure : « … »"
_INFINITIVE = (
    r"de (?:conclure|préciser|souligner|résumer|rappeler|ajouter|nuancer|poursuivre|renchérir|commenter"
    r"|s[’']interroger|s[’']enthousiasmer|regretter|tempérer)"
)
# One alternation grouped by first letter: the regular stems with their endings, the irregular
# forms, "de conclure", and the pronominal forms split by their first letter ("s’", "se ").
_PRONOMINAL_REST = _PRONOMINAL.removeprefix(r"(?:s[’']|se\s)")
SAYING = by_first_letter(
    [stem + _ER_ENDINGS for stem in _ER.split()]
    + _IRREGULAR_FORMS
    + [_INFINITIVE]
    + ["s’" + _PRONOMINAL_REST, "s'" + _PRONOMINAL_REST, r"se\s" + _PRONOMINAL_REST]
)

# Verbs that say something only when their speaker follows them (after a quote or a comma):
# "Le loto rapporte 30 millions", "Free lance une box", "le parc poursuit son expansion".
# "comme l’exige la Charte Debian", "comme le prévoit la loi": a norm says so only in that order.
INVERSION_ONLY = (
    r"(?:lanc|lanç|lâch|souffl|savour|gliss|poursui|rapport|pest|sourit|souri|rel[eéè]v|point|avanc|promet|promis"
    r"|cite|cité|partag|exig|impos|stipul|prévoi|prévu|veut|voulait)"
)
# Verbs that mean saying, with their speaker before them, only when what is said follows as a
# clause or a quote: "X ajoute que …", not "la SNCF ajoute des TER".
NEEDS_CLAUSE = r"(?:ajout|not|signal|point|montr|mesur|reconn)"

# Clitics before a verb: "m’a dit", "me l’a dit", "en avait dénombré", "l’Insee le mesure".
CLITICS = r"(?:(?:me|te|nous|vous|lui|leur|se|en|y|le|la|les)\s|[mtls][’']){0,2}"
AUXILIARY = (
    r"(?:(?:a|ont|avait|avaient|aurait|auraient|avaient)\s+"
    r"(?:(?:aussi|encore|également|ainsi|déjà|enfin|pourtant|notamment|d[’']ailleurs|lui-même|elle-même|bien|alors)\s+)?)"
)
ADVERB = r"(?:aussi|encore|également|ainsi|déjà|enfin|pourtant|notamment|d[’']ailleurs|alors|toutefois|cependant|lui|elle)"

# What a work that gives figures or views is called: "une étude de l’Ifop", "le rapport de la
# Cour des comptes", "d’après les relevés du ministère".
STUDY = (
    r"(?:[ée]tudes?|enqu[êe]tes?|rapports?|analyses?|sondages?|barom[èe]tres?|notes?|bilans?|bulletins?"
    r"|avis|relev[ée]s|donn[ée]es|chiffres|statistiques|comptes|inventaires?|d[ée]lib[ée]rations?"
    r"|communiqu[ée]s?|essais? cliniques?|notices?|mod[ée]lisations?|comparatifs?|classements?|recensements?"
    r"|estimations?|calculs?|projections|pr[ée]visions|d[ée]comptes?|simulations?"
    r"|livres? blancs?|articles?|tribunes?|chroniques?|billets?|interviews?|panoramas?|palmar[èe]s"
    r"|infographies?|cartographies?|revues? de presse)"
)
# A work on its own ("une étude de l’Ifop"): not the words that in technical prose name data
# ("les données de LibreOffice", "les statistiques de Git").
WORK_ALONE = by_first_letter((
    "études?|enquêtes?|enquetes?|rapports?|analyses?|sondages?|baromètres?|barometres?|notes?|bilans?|bulletins?"
    "|avis|chiffres|inventaires?|délibérations?|deliberations?|communiqués?|communiques?|essais? cliniques?|notices?"
    "|modélisations?|comparatifs?|classements?|recensements?|estimations?|calculs?|projections|prévisions?"
    "|simulations?|livres? blancs?|articles?|tribunes?|chroniques?|billets?|interviews?|panoramas?|palmarès"
    "|phrases?|formules?|citations?|propos|déclarations?|paroles"
    "|Étude|Etude|Enquête|Enquete|Rapport|Sondage|Baromètre|Barometre"
).split("|"))
STUDY_CAP = r"(?:[ÉE]tude|Enqu[êe]te|Rapport|Analyse|Sondage|Barom[èe]tre|Note|Bilan|Source|Sources|Chiffres|Donn[ée]es)"

# Heads of public bodies named by their function, kept in the value ("parquet de Créteil").
INSTITUTION = (
    r"(?:minist[èe]re|parquet|tribunal(?: judiciaire| administratif| correctionnel| de commerce| de grande instance)?"
    r"|pr[ée]fecture(?: maritime| de police| de r[ée]gion)?|mairie|rectorat|universit[ée]|chambre(?: d[’']agriculture"
    r"| de commerce(?: et d[’']industrie)?| des m[ée]tiers| r[ée]gionale des comptes)?|conseil(?: r[ée]gional"
    r"| d[ée]partemental| municipal| g[ée]n[ée]ral)?|cour d[’']appel|cour|bataillon|brigade|service(?: statistique)?"
    r"|direction(?: g[ée]n[ée]rale| r[ée]gionale)?|office|commission|caisse|h[ôo]pital|centre hospitalier|mus[ée]e|[ée]cole"
    r"|acad[ée]mie|mission|notaires|inspection(?: g[ée]n[ée]rale)?|haut conseil|haute autorit[ée]|autorit[ée]"
    r"|agence r[ée]gionale de sant[ée]|ville|r[ée]gion|d[ée]partement)"
)
# Words that describe the name that follows them and are not part of it ("le cabinet Altares",
# "l’association France Alzheimer", "la procureure Louise Neyton").
DESCRIPTOR = (
    r"(?:association|collectif|cabinet|institut|groupe|soci[ée]t[ée]|organisme|syndicat|f[ée]d[ée]ration|laboratoire"
    r"|op[ée]rateur|fabricant|entreprise|start-up|constructeur|agence|plateforme|quotidien|journal|magazine"
    r"|hebdomadaire|mensuel|revue|site|cha[iî]ne|radio|station|[ée]co-organisme|r[ée]gulateur|gestionnaire|prestataire"
    r"|sp[ée]cialiste|g[ée]ant|banque|assureur|r[ée]seau|ONG|think tank|mouvement|parti|club|[ée]quipe|fondation"
    r"|institution|distributeur|enseigne|[ée]diteur|studio|label|m[ée]dia|titre|think-tank|centre de recherche)"
)

# Things, not speakers: what follows them is a program, a system or a document part ("la commande
# Linux", "le système Debian demande que", "la liste de diffusion Debian").
OBJECT = (
    r"(?:système|noyau|programme|commande|paquet|fichier|option|logiciel|serveur|pilote|module|bibliothèque"
    r"|interpréteur|script|démon|outil|utilitaire|application|navigateur|format|protocole|champ|variable"
    r"|répertoire|processus|liste de diffusion|liste|distribution|version|architecture|section|chapitre|page"
    r"|entrée|clé|paramètre|directive|valeur|signal|fonction|méthode|classe|règle|balise|attribut|interface)"
)

# Link hosts that never cite: shorteners hide the host, social networks and video platforms only
# carry (the source is who published there, named in the text).
SHORTENERS = {
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "buff.ly", "lc.cx", "is.gd", "tiny.cc", "rebrand.ly",
    "amzn.to", "youtu.be", "flic.kr", "dlvr.it", "shorturl.at", "cutt.ly", "s.id", "v.gd", "x.co", "fb.me",
    "lnkd.in", "t.ly", "bl.ink", "urlz.fr", "maps.app.goo.gl",
}
PLATFORMS = {
    "twitter.com", "x.com", "facebook.com", "linkedin.com", "instagram.com", "youtube.com", "tiktok.com",
    "pinterest.com", "pinterest.fr", "threads.net", "mastodon.social", "twitch.tv", "snapchat.com",
    "reddit.com", "telegram.org", "t.me", "whatsapp.com", "wa.me", "bsky.app", "vimeo.com", "dailymotion.com",
    "flickr.com", "strava.com", "github.com", "gitlab.com", "docs.google.com", "drive.google.com", "google.com",
    "maps.google.com", "framagit.org",
}
# A link counts only where its anchor says it cites (a study, an article, figures) or where the
# words right before it do; there the cue must be a citing one ("selon", "cette étude"), since
# "données" or "résultats" before a link in technical prose gloss a term.
# Matched on lower-cased text, whole words ("vous reporter à" is no report); grouped by first letter
# (a link's words are read once per link).
_WORD_END = r"(?![a-zàâäçéèêëîïôöùûüÿœæ])"
LINK_CUE = by_first_letter((
    "études?|etudes?|enquêtes?|enquetes?|rapports?|reports?|sondages?|baromètres?|barometres?|notes?|bilans?"
    "|bulletins?|données|donnees|chiffres|statistiques|analyses?|articles?|publiée?s?|publiee?s?|selon|d’après"
    "|d'après|sources? ?:|surveys?|study|studies|papers?|résultats|resultats|conclusions|déclarations?"
    "|communiqués?|avis|révèle|révélée?s?|révélait|interviews?|entretiens?|tribunes?|rapporte"
).split("|")) + _WORD_END
CITING_CUE = by_first_letter((
    "études?|etudes?|enquêtes?|enquetes?|rapports?|reports?|sondages?|baromètres?|barometres?|notes?|bilans?"
    "|bulletins?|articles?|publiée?s?|publiee?s?|selon|d’après|d'après|sources? ?:|surveys?|study|studies"
    "|papers?|communiqués?|révèle|révélée?s?|révélait|interviews?|entretiens?|tribunes?"
).split("|")) + _WORD_END
