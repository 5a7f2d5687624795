"""The contest rules text ("règlement"), generated from a French template, and its checks.

DOMAIN.md ("Contests"): a public authority's contest is free to enter; recommended sections are organiser,
dates and cut-off, eligibility, mechanics, prizes, tie-break, fraud, personal data, "not sponsored by the
platform". Meta forbids "share / tag a friend to enter" (commenting or liking is allowed). Minors under 15
take part with joint parental consent; image rights need written parental consent.

`rules_problems(params)` lists what blocks the text; `render_rules(params)` refuses to render while any
remain; `text_problems(text)` checks a rules text written by hand with the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from parvis.domain.contests.votes import fold

MECHANICS = {
    "vote": "vote du public en commentaire",
    "draw": "tirage au sort parmi les participations éligibles",
    "jury": "sélection par un jury",
}
META_SOURCE = "règles de Meta sur les promotions (pages Facebook et comptes Instagram)"
MINORS_SOURCE = "RGPD art. 8 et loi Informatique et Libertés art. 45 ; droit à l'image (art. 9 du Code civil)"

# "partage / tague / identifie / mentionne / invite … un ami" or "partage la publication" to enter.
_SHARE_OR_TAG = re.compile(
    r"(?<![\w])(?:partag\w*|repost\w*|retweet\w*|tagu\w*|tague\w*|tag|identifi\w*|mentionn\w*|invit\w*"
    r"|nomm\w*)(?:\s+\S+){0,4}?\s+(?:\d+\s+|un\s+|une\s+|des\s+|deux\s+|trois\s+|vos\s+|tes\s+|ses\s+|leurs\s+)?"
    r"(?:amis?|amies?|proches?|potes?|copains?|copines?|personnes?|publication|post|video|concours|story)(?![\w])"
)
_NEGATED_BEFORE = re.compile(r"(?<![\w])(?:jamais|pas|ni)\s+(?:\S+\s+){0,3}(?:d')?$")
_FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                  "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class RulesProblem:
    field: str
    message: str
    source: str = ""


class RulesError(ValueError):
    def __init__(self, problems: list[RulesProblem]):
        self.problems = problems
        super().__init__(" ; ".join(f"« {p.field} » : {p.message}" for p in problems))


@dataclass(frozen=True)
class RulesParams:
    organiser: str  # "Ville de Roanne"
    organiser_address: str  # "Hôtel de ville, 1 place de l'Hôtel de ville, 42300 Roanne"
    title: str  # "Battle des ambassadeurs TikTok"
    opens_at: datetime
    closes_at: datetime
    networks: tuple[str, ...]  # ("TikTok",)
    mechanics: str  # a key of MECHANICS
    how_to_enter: str  # "Commentez la vidéo avec le numéro de votre finaliste préféré."
    tz: tzinfo | None = None  # the authority's time zone for the dates shown; default: the instants' own
    eligibility: str = ""  # "Toute personne résidant à Roanne"
    min_age: int | None = None  # None: open to all ages (minors included)
    prizes: tuple[str, ...] = ()
    tie_break: str = ""  # required for a public vote
    contact: str = ""  # address for personal-data requests
    retention: str = "six mois après la proclamation des résultats"
    candidates_are_minors: bool = False  # the candidates' photos or videos show minors


def rules_problems(p: RulesParams) -> list[RulesProblem]:
    problems: list[RulesProblem] = []
    for name in ("organiser", "organiser_address", "title", "how_to_enter"):
        if not getattr(p, name).strip():
            problems.append(RulesProblem(name, "à renseigner : le règlement doit l'indiquer."))
    if p.opens_at.utcoffset() is None or p.closes_at.utcoffset() is None:
        problems.append(RulesProblem("opens_at", "dates avec fuseau horaire attendues."))
    elif p.closes_at <= p.opens_at:
        problems.append(RulesProblem("closes_at", "la date de clôture doit suivre la date d'ouverture."))
    if p.mechanics not in MECHANICS:
        problems.append(RulesProblem("mechanics", f"« {p.mechanics} » inconnu ; choisir vote, draw ou jury."))
    if p.mechanics == "vote" and not p.tie_break.strip():
        problems.append(RulesProblem("tie_break", "une règle de départage des ex æquo est nécessaire pour un vote."))
    if not p.networks:
        problems.append(RulesProblem("networks", "indiquez le ou les réseaux où se déroule le concours."))
    for name in ("how_to_enter", "eligibility", "title"):
        found = _SHARE_OR_TAG.search(fold(getattr(p, name)))
        if found:
            problems.append(RulesProblem(
                name,
                f"« {found.group()} » : exiger de partager la publication ou d'identifier un ami pour participer "
                "est interdit ; commenter ou aimer la publication est permis.",
                META_SOURCE,
            ))
    if p.min_age is not None and not 0 <= p.min_age <= 120:
        problems.append(RulesProblem("min_age", "âge minimum entre 0 et 120 ans attendu."))
    return problems


def _date(at: datetime, tz: tzinfo | None) -> str:
    local = at.astimezone(tz) if tz else at
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {_FRENCH_MONTHS[local.month - 1]} {local.year} à {local.hour:02d} h {local.minute:02d}"


def _networks(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def render_rules(p: RulesParams) -> str:
    """The French rules text. Raises RulesError listing every blocking problem."""
    problems = rules_problems(p)
    if problems:
        raise RulesError(problems)
    networks = _networks(p.networks)
    eligibility = p.eligibility.strip() or "Toute personne physique"
    if p.min_age:
        eligibility += f", âgée d'au moins {p.min_age} ans à la date d'ouverture"
    minors = p.min_age is None or p.min_age < 18
    sections = [
        f"Règlement du concours « {p.title} »",
        f"Article 1 — Organisateur\n{p.organiser}, {p.organiser_address}, organise un concours gratuit et sans "
        f"obligation d'achat sur {networks}.",
        f"Article 2 — Dates\nLe concours est ouvert du {_date(p.opens_at, p.tz)} au {_date(p.closes_at, p.tz)} "
        "(heure de clôture exclue). Les participations reçues hors de cette période ne sont pas prises en compte ; "
        "les commentaires sont relevés à l'heure de clôture.",
        f"Article 3 — Participation\n{eligibility}. La participation est gratuite. Les comptes de l'organisateur "
        "ne participent pas. Une seule participation est retenue par compte.",
        f"Article 4 — Modalités\nDésignation : {MECHANICS[p.mechanics]}. {p.how_to_enter.strip()} "
        "Il n'est jamais demandé de partager la publication ni d'identifier d'autres personnes pour participer.",
    ]
    if p.mechanics == "vote":
        sections.append(
            "Article 5 — Décompte et départage\nUn seul vote par compte : "
            "un commentaire désignant plusieurs candidats, ou aucun, n'est pas compté. Le décompte est publié "
            "avec la décision prise pour chaque commentaire et il est reproductible. "
            f"En cas d'égalité : {p.tie_break.strip()}"
        )
    elif p.mechanics == "draw":
        sections.append(
            "Article 5 — Tirage au sort\nLe tirage suit une procédure documentée et vérifiable (parvis-draw-v1) : "
            "la graine est engagée avant l'ouverture par la publication de son empreinte SHA-256, puis révélée "
            "après le tirage ; chacun peut recalculer les gagnants et les suppléants à partir du certificat publié."
            + (f" En cas d'égalité : {p.tie_break.strip()}" if p.tie_break.strip() else "")
        )
    else:
        sections.append("Article 5 — Jury\nLe jury délibère sur les critères annoncés dans la publication."
                        + (f" En cas d'égalité : {p.tie_break.strip()}" if p.tie_break.strip() else ""))
    if p.prizes:
        sections.append("Article 6 — Dotations\n" + "\n".join(f"- {prize}" for prize in p.prizes)
                        + "\nLes dotations ne peuvent être échangées contre leur valeur en argent.")
    sections.append(
        "Article 7 — Fraude\nLes votes ou participations issus de comptes automatisés, achetés ou créés pour "
        "l'occasion, ainsi que toute manœuvre destinée à fausser le résultat, peuvent être écartés ; les "
        "signalements sont examinés et la décision est motivée."
    )
    contact = p.contact.strip() or p.organiser_address
    sections.append(
        f"Article 8 — Données personnelles\n{p.organiser} traite les noms de compte et commentaires des "
        f"participants pour organiser le concours et désigner les gagnants (base légale : mission d'intérêt "
        f"public). Ces données sont conservées {p.retention}, puis supprimées. Chacun peut exercer ses droits "
        f"d'accès, de rectification, d'effacement et d'opposition auprès de : {contact} ; et saisir la CNIL."
    )
    if minors or p.candidates_are_minors:
        text = ("Article 9 — Mineurs\n")
        if minors:
            text += ("Les mineurs participent avec l'accord de leur représentant légal ; avant 15 ans, le "
                     "consentement est donné conjointement par le mineur et le titulaire de l'autorité "
                     "parentale. ")
        text += ("La diffusion de l'image d'un mineur nécessite l'autorisation écrite de ses parents ou "
                 "représentants légaux.")
        sections.append(text)
    sections.append(
        f"Article 10 — Plateformes\nCe concours n'est ni organisé, ni parrainé, ni géré par {networks}, "
        "ni associé à ces plateformes, que les participants dégagent de toute responsabilité."
    )
    return "\n\n".join(sections) + "\n"


def text_problems(text: str, minors_eligible: bool = True) -> list[RulesProblem]:
    """Checks of a rules text written by hand: the same refusals and the mandatory mentions."""
    folded = fold(text)
    problems = []
    found = _SHARE_OR_TAG.search(folded)
    # The template's own reassurance ("il n'est jamais demandé de partager…") is not a requirement.
    while found and _NEGATED_BEFORE.search(folded, max(0, found.start() - 40), found.start()):
        found = _SHARE_OR_TAG.search(folded, found.end())
    if found:
        problems.append(RulesProblem(
            "text", f"« {found.group()} » : exiger de partager ou d'identifier un ami pour participer est interdit.",
            META_SOURCE))
    if "gratuit" not in folded:
        problems.append(RulesProblem("text", "le règlement doit dire que la participation est gratuite."))
    if "parrain" not in folded:
        problems.append(RulesProblem("text", "le règlement doit dire que le concours n'est pas parrainé par le "
                                     "réseau social."))
    if minors_eligible and "consentement" not in folded:
        problems.append(RulesProblem("text", "mineurs admis : le consentement conjoint du représentant légal "
                                     "(avant 15 ans) doit être mentionné.", MINORS_SOURCE))
    return problems
