"""Rule-based moderation of one comment, following the authority's moderation charter.

`classify(text)` returns the labels that apply, the rule behind each label (in French, for the person
who reviews it) and the action the labels call for. Rules are written for phenomena, not sentences:

- hate: a protected group is named and, in the same sentence (or the next one, through a pronoun),
  something hostile is said of it: a hostile feeling voiced by the speaker, a derogatory attribute,
  dehumanisation, exclusion, profanity aimed at it, violence, or a positive quality denied. A slur is
  hate on its own. Hostility does not count when it is negated ("je ne déteste pas"), quoted or
  reported to be condemned (counter-speech: "dire que les X sont ... est honteux"), or when the group is
  the one protected ("dangereux pour les enfants handicapés").
- threat: violence aimed at a person (a pronoun before the verb, a person or group after it, a wish or
  duty in the passive), or a phrase that is a threat in itself ("tu vas crever", "mort aux ...").
- personal_data: phone numbers, e-mail addresses, IBAN, licence plates, a street address given as
  where someone lives, health details about a person.
- spam: money promises, links to outside sites with a commercial call, link floods, repeated text.
- insult: personal attacks; harsh criticism of public action is not an insult.
- electoral: calls to vote for or against a list or a candidate.
- question (a rhetorical question is not one), complaint, off_topic (proselytism, chain messages).

Pure: no I/O, no clock. Linear in the length of the text; texts are cut at `MAX_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from parvis.domain.moderation import lexicon as lx
from parvis.domain.moderation.normalise import MAX_CHARS, SENTENCE_END, clean, fold, tokenize

LABELS = ("hate", "threat", "personal_data", "spam", "insult", "electoral", "question", "complaint",
          "off_topic")
ACTIONS = ("hide", "review", "answer", "none")
DEFAULT_ACTIONS: Mapping[str, str] = {
    "hate": "hide", "threat": "hide", "personal_data": "hide", "spam": "hide",
    "insult": "review", "electoral": "review",
    "question": "answer", "complaint": "answer",
    "off_topic": "none",
}
HIDE_LABELS = frozenset(k for k, v in DEFAULT_ACTIONS.items() if v == "hide")
_RANK = {"none": 0, "answer": 1, "review": 2, "hide": 3}
# Hits kept per category: enough for any real comment, and a bound on the work for a hostile one.
_MAX_HITS = 64
# A plain word of the authority's deny list gets this label.
DENY_LABEL = "insult"


@dataclass(frozen=True)
class Verdict:
    labels: tuple[str, ...]
    reasons: dict[str, list[str]] = field(default_factory=dict)
    action: str = "none"


# --- Patterns on the cleaned text: every one is bounded, so the scan stays linear -----------------
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)33[ .-]?(?:\(0\)[ .-]?)?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")
_PLATE = re.compile(r"(?<![A-Za-z0-9])[A-HJ-NP-TV-Z]{2}[- ]\d{3}[- ][A-HJ-NP-TV-Z]{2}(?![A-Za-z0-9])"
                    r"|(?<![A-Za-z0-9])[A-HJ-NP-TV-Z]{2}\d{3}[A-HJ-NP-TV-Z]{2}(?![A-Za-z0-9])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])FR\d{2}(?: ?[0-9A-Z]{4}){5} ?[0-9A-Z]{3}(?![A-Za-z0-9])", re.I)
_FLOOD = re.compile(r"(\S)\1{29,}")
# Applied to one whitespace-separated chunk of at most _CHUNK characters.
_CHUNK = 300
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}")
_URL = re.compile(
    r"(?:https?://|www\.)([\w.-]{1,253})"
    r"|^([\w-]{1,63}(?:\.[\w-]{1,63}){0,4}\.(?:fr|com|net|org|io|ly|co|info|biz|xyz|me|app|eu|be|ch|"
    r"shop|site|online|store|click|link|top|gl|gd|at|cc|in|to|tv|ru|cn))(?:[/?#]|$)",
    re.I,
)
_EMAIL_PROVIDERS = frozenset("gmail hotmail yahoo outlook orange free laposte sfr wanadoo live icloud "
                             "proton protonmail aol bbox numericable neuf".split())

_FIRST_PERSON_BEING = (("je", "suis"), ("j", "ai", "ete"), ("j", "etais"), ("d", "etre"), ("m", "etre"),
                       ("me", "suis"), ("je", "peux", "etre"), ("je", "deviens"), ("nous", "sommes"))
_AMBIGUOUS_INSULTS = frozenset("ordure ordures pourriture pourritures enflure enflures raclure raclures "
                               "con cons naze nazes minable minables debile debiles idiot idiots "
                               "blaireau blaireaux guignol guignols bouffon bouffons cretin cretins".split())
_INSULT_CUES = frozenset("espece bande quel quelle quels quelles sale pauvre gros grosse".split())
_COPULA = (("est", "un"), ("est", "une"), ("es", "un"), ("es", "une"), ("etes", "des"), ("etes", "un"),
           ("etes", "une"), ("sont", "des"), ("c", "est"), ("t", "es"))
_CLAUSE_BREAK = frozenset(", que qu qui mais car parce si quand lorsque".split())
_ADVERBS = frozenset("vraiment juste simplement bien meme tous toutes tout".split())
_AUX_REPORT = frozenset("ete est sont etait etaient a ont avait avaient fut furent sera seront".split())
_MODAL = frozenset("devrait devraient doit doivent faut faudrait merite meritent meritez merites "
                   "pourrait pourraient vont va veux voudrais aimerais".split())
_VICTIM_VERBS = frozenset("faire font fait fasse fassent faisait".split())
_NOUN_LIKE = frozenset("torture massacre tue".split())  # "la torture", "le massacre": nouns
_BENEFICIARY = frozenset("pour envers aux".split())
_DISEASE = frozenset("cancer virus tumeur gangrene peste".split())
_DISEASE_LITERAL = frozenset("atteint atteinte atteints atteintes contre depistage ont a avait souffre "
                             "souffrent du".split())
_ELECTORAL_NEUTRAL = frozenset("budget participatif projet projets concours nom photo prefere preferee "
                               "sondage consultation".split())
_ADJ_CONDITIONS = frozenset("seropositif seropositive depressif depressive schizophrene bipolaire alcoolique "
                            "toxicomane anorexique diabetique epileptique autiste enceinte hospitalise "
                            "hospitalisee".split())
_HEALTH_VERBS = frozenset("a as ont avait avez avons".split())
_HEALTH_COPULA = frozenset("est es sont etait etes".split())
_HEALTH_DE = frozenset("atteint atteinte atteints atteintes souffre souffrent souffrait".split())
_POSSESSIVES = frozenset("son sa ses mon ma mes ton ta tes votre vos leur leurs".split())
_HEALTH_PHRASES = [p for p in lx.expand(lx.HEALTH_CONDITION)]
_STREET = frozenset(w for p in lx.expand(lx.STREET) for w in p)
_ANAPHOR_NOT_LES = lx.ANAPHOR - {"les"}


@dataclass(slots=True)
class _Hit:
    category: str
    start: int
    end: int

    def words(self, words: list[str]) -> str:
        return " ".join(words[self.start:self.end])


class _Text:
    """The comment as parallel arrays of words, sentence numbers and quote flags, with lexicon hits."""

    def __init__(self, cleaned: str, allow: list[tuple[str, ...]], deny: list[tuple[tuple[str, ...], str]]):
        self.cleaned = cleaned
        words: list[str] = []
        sent: list[int] = []
        quoted: list[bool] = []
        raw_start: list[int] = []
        self.question_sentences: set[int] = set()
        s = 0
        for t in tokenize(cleaned):
            if t.text in SENTENCE_END:
                if t.text == "?":
                    self.question_sentences.add(s)
                if words and sent[-1] == s:
                    s += 1
                continue
            if not t.is_word and t.text != ",":
                continue
            for w in (lx.resolve(t.text) if t.is_word else (",",)):
                words.append(w)
                sent.append(s)
                quoted.append(t.quoted)
                raw_start.append(t.start)
        self.words, self.sent, self.quoted, self.raw_start = words, sent, quoted, raw_start
        for phrase in allow:
            self._mask(phrase)
        self.hits: dict[str, list[_Hit]] = {}
        self.deny_hits: list[tuple[_Hit, str]] = []
        self._match(deny)

    def _mask(self, phrase: tuple[str, ...]) -> None:
        n = len(phrase)
        for i in range(len(self.words) - n + 1):
            if tuple(self.words[i:i + n]) == phrase:
                for k in range(i, i + n):
                    self.words[k] = ""

    def _match(self, deny: list[tuple[tuple[str, ...], str]]) -> None:
        words = self.words
        n = len(words)
        deny_index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, label in deny:
            deny_index.setdefault(phrase[0], []).append((phrase, label))
        for i, w in enumerate(words):
            if not w:
                continue
            seen: set[str] = set()
            for phrase, category in lx.PHRASES.get(w, ()):
                if category in seen:
                    continue
                m = len(phrase)
                if i + m <= n and (m == 1 or tuple(words[i:i + m]) == phrase) and \
                        self.sent[i] == self.sent[i + m - 1]:
                    seen.add(category)
                    self.hits.setdefault(category, []).append(_Hit(category, i, i + m))
            for phrase, label in deny_index.get(w, ()):
                m = len(phrase)
                if tuple(words[i:i + m]) == phrase:
                    self.deny_hits.append((_Hit("DENY", i, i + m), label))
            # "voir ces X souffrir", "faire ... mourir": a verb of suffering after "voir"/"faire".
            if w in ("souffrir", "mourir", "crever", "agoniser"):
                for k in range(max(0, i - 4), i - 1):
                    if words[k] in ("voir", "faire") and self.sent[k] == self.sent[i]:
                        self.hits.setdefault("THREAT", []).append(_Hit("THREAT", k, i + 1))
                        break
        # A positive word inside a hostile phrase ("manque de respect") is judged with the phrase.
        hostile_phrases = [h for c in ("EMOTE", "DEHUM", "ATTR") for h in self.hits.get(c, ()) if h.end - h.start > 1]
        if hostile_phrases and "NEGPOS" in self.hits:
            self.hits["NEGPOS"] = [h for h in self.hits["NEGPOS"]
                                   if not any(p.start <= h.start < p.end for p in hostile_phrases)]
        # A slur inside a longer insult ("fils de pute") is profanity, not a slur.
        long_insults = [h for h in self.hits.get("INSULT", ()) if h.end - h.start > 1]
        if long_insults and "SLUR" in self.hits:
            self.hits["SLUR"] = [h for h in self.hits["SLUR"]
                                 if not any(li.start <= h.start < li.end for li in long_insults)]

        self._got: dict[str, list[_Hit]] = {}
        self._sentence_words: dict[int, set[str]] | None = None

    def get(self, category: str) -> list[_Hit]:
        """Hits of a category outside quotations, cut to a bound so that no rule turns quadratic."""
        got = self._got.get(category)
        if got is None:
            got = [h for h in self.hits.get(category, ()) if not self.quoted[h.start]][:_MAX_HITS]
            self._got[category] = got
        return got

    def in_sentence(self, category: str, s: int) -> list[_Hit]:
        return [h for h in self.get(category) if self.sent[h.start] == s]

    def sentence_has(self, s: int, vocabulary: frozenset[str]) -> bool:
        if self._sentence_words is None:
            self._sentence_words = {}
            for i, w in enumerate(self.words):
                if not self.quoted[i]:
                    self._sentence_words.setdefault(self.sent[i], set()).add(w)
        return not vocabulary.isdisjoint(self._sentence_words.get(s, ()))


def _prepare_allow(allow: Iterable[str]) -> tuple[list[tuple[str, ...]], list[str]]:
    phrases, domains = [], []
    for item in allow:
        item = str(item).strip()
        if not item:
            continue
        if "." in item and " " not in item:
            domains.append(item.lower().removeprefix("www."))
        words = tuple(t.text for t in tokenize(clean(item)) if t.is_word)
        if words:
            phrases.append(words)
    return phrases, domains


def _prepare_deny(deny: Iterable[str | tuple[str, str]]) -> tuple[list[tuple[tuple[str, ...], str]], list[str]]:
    phrases, domains = [], []
    for item in deny:
        label, phrase = (item if isinstance(item, tuple) else (DENY_LABEL, item))
        if label not in LABELS:
            raise ValueError(f"Liste de refus : libellé inconnu « {label} » (attendu : {', '.join(LABELS)}).")
        phrase = str(phrase).strip()
        if "." in phrase and " " not in phrase:
            domains.append(phrase.lower().removeprefix("www."))
            continue
        words = tuple(t.text for t in tokenize(clean(phrase)) if t.is_word)
        if words:
            phrases.append((words, label))
    return phrases, domains


def _check_actions(actions: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(DEFAULT_ACTIONS)
    for label, action in (actions or {}).items():
        if label not in LABELS:
            raise ValueError(f"Action de modération : libellé inconnu « {label} » "
                             f"(attendu : {', '.join(LABELS)}).")
        if action not in ACTIONS:
            raise ValueError(f"Action de modération pour « {label} » : « {action} » n'existe pas "
                             f"(attendu : {', '.join(ACTIONS)}).")
        merged[label] = action
    return merged


def _domain_matches(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def classify(
    text: str,
    *,
    network: str | None = None,
    allow: Iterable[str] = (),
    deny: Iterable[str | tuple[str, str]] = (),
    actions: Mapping[str, str] | None = None,
) -> Verdict:
    """Labels, reasons and action for one comment.

    allow: words, phrases or domains the authority accepts (masked before any rule; a domain is a
    related site). deny: words, phrases or domains the authority refuses; a plain entry gets the label
    DENY_LABEL, a (label, phrase) pair the label given; a denied domain linked to is spam.
    actions: label -> "hide" | "review" | "answer" | "none", over DEFAULT_ACTIONS.
    """
    action_map = _check_actions(actions)
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    allow_phrases, allow_domains = _prepare_allow(allow)
    deny_phrases, deny_domains = _prepare_deny(deny)
    reasons: dict[str, list[str]] = {}

    def add(label: str, reason: str) -> None:
        bucket = reasons.setdefault(label, [])
        if reason not in bucket and len(bucket) < 5:
            bucket.append(reason)

    cleaned = clean(text)
    if len(text) > MAX_CHARS:
        add("spam", f"texte démesuré ({len(text)} caractères) : seuls les {MAX_CHARS} premiers sont analysés")
    doc = _Text(cleaned, allow_phrases, deny_phrases)

    _personal_data(doc, add)
    _spam(doc, add, network, allow_domains, deny_domains)
    hostile_sentences = _hate_and_threat(doc, add)
    _insult(doc, add)
    _electoral(doc, add)
    _complaint(doc, add)
    if not reasons.get("hate") and not reasons.get("threat") and not reasons.get("insult"):
        _question(doc, add, hostile_sentences)
    for hit in doc.get("OFF_TOPIC"):
        add("off_topic", f"prosélytisme ou message en chaîne « {hit.words(doc.words)} »")
    for hit, label in doc.deny_hits:
        add(label, f"mot refusé par la charte de l'autorité « {hit.words(doc.words)} »")

    labels = tuple(label for label in LABELS if reasons.get(label))
    action = "none"
    for label in labels:
        if _RANK[action_map[label]] > _RANK[action]:
            action = action_map[label]
    return Verdict(labels=labels, reasons={k: reasons[k] for k in labels}, action=action)


# --- Personal data ----------------------------------------------------------------------------
def _personal_data(doc: _Text, add) -> None:
    text = doc.cleaned
    if _PHONE.search(text):
        add("personal_data", "numéro de téléphone")
    if _IBAN.search(text):
        add("personal_data", "coordonnées bancaires (IBAN)")
    if _PLATE.search(text):
        add("personal_data", "plaque d'immatriculation")
    for chunk in text.split():
        if "@" in chunk and _EMAIL.search(chunk[:_CHUNK]):
            add("personal_data", "adresse e-mail")
            break
    words = doc.words
    n = len(words)
    residence = bool(doc.get("RESIDENCE"))
    for i, w in enumerate(words):
        if w in ("arobase", "arrobase") and any(x in _EMAIL_PROVIDERS or x in ("point", "com", "fr")
                                                for x in words[i + 1:i + 4]):
            add("personal_data", "adresse e-mail écrite en toutes lettres")
        # A street address: a number, then a street word ("12 rue", "3 bis avenue").
        if residence and w.isdigit() and len(w) <= 4:
            nxt = words[i + 1:i + 3]
            if nxt and (nxt[0] in _STREET or (nxt[0] in ("bis", "ter") and len(nxt) > 1 and nxt[1] in _STREET)):
                add("personal_data", "adresse postale donnée comme lieu de vie d'une personne")
    # Health details about a person: "il a un cancer", "elle est séropositive", "atteint de ...".
    for i in range(n):
        for phrase in _HEALTH_INDEX.get(words[i], ()):
            m = len(phrase)
            if tuple(words[i:i + m]) != phrase or doc.quoted[i]:
                continue
            before = words[max(0, i - 3):i]
            about_person = (
                (before[-1:] and before[-1] in _POSSESSIVES)
                or (len(before) >= 2 and before[-2] in _HEALTH_VERBS and before[-1] in ("un", "une", "le", "la", "l", "du", "des"))
                or (before[-1:] and before[-1] in _HEALTH_COPULA and phrase[0] in _ADJ_CONDITIONS)
                or any(b in _HEALTH_DE for b in before[-3:]) and ("de" in before or "d" in before)
                or (before[-1:] and before[-1] in ("en", "sous") and phrase[0] in ("chimio", "dialyse", "psychiatrie", "antidepresseurs"))
            )
            if about_person:
                add("personal_data", f"donnée de santé sur une personne « {' '.join(phrase)} »")
                return


_HEALTH_INDEX: dict[str, list[tuple[str, ...]]] = {}
for _p in _HEALTH_PHRASES:
    _HEALTH_INDEX.setdefault(_p[0], []).append(_p)


# --- Spam -------------------------------------------------------------------------------------
def _spam(doc: _Text, add, network, allow_domains, deny_domains) -> None:
    trusted = list(lx.TRUSTED_DOMAINS) + list(allow_domains)
    if network:
        trusted += list(lx.NETWORK_DOMAINS.get(str(network).lower(), ()))
    external, shortened = [], []
    for chunk in doc.cleaned.split():
        chunk = chunk.strip("()[]<>«»\"'.,;:!?")[:_CHUNK]
        if "." not in chunk or "@" in chunk:
            continue
        m = _URL.search(chunk)
        if not m:
            continue
        host = (m.group(1) or m.group(2) or "").lower().rstrip(".").removeprefix("www.")
        if not host:
            continue
        if _domain_matches(host, deny_domains):
            add("spam", f"lien vers un site refusé par l'autorité ({host})")
        if host in lx.SHORTENERS:
            shortened.append(host)
        if not _domain_matches(host, trusted):
            external.append(host)
    strong = doc.get("SPAM_STRONG")
    weak = doc.get("SPAM_WEAK")
    for hit in strong:
        add("spam", f"promesse d'argent ou démarchage « {hit.words(doc.words)} »")
    if external and weak:
        add("spam", f"lien vers un site extérieur ({external[0]}) avec un appel commercial "
                    f"« {weak[0].words(doc.words)} »")
    if shortened and (weak or strong):
        add("spam", f"lien raccourci ({shortened[0]}) qui cache sa destination")
    if len(external) >= 3:
        add("spam", f"{len(external)} liens vers des sites extérieurs")
    words = [w for w in doc.words if w and w != ","]
    if len(words) >= 12 and len(set(words)) / len(words) < 0.25:
        add("spam", "texte répété")
    else:
        sentences: dict[tuple[str, ...], int] = {}
        current: list[str] = []
        last = -1
        for w, s in zip(doc.words, doc.sent, strict=True):
            if s != last and current:
                key = tuple(current)
                sentences[key] = sentences.get(key, 0) + 1
                current = []
            last = s
            current.append(w)
        if current:
            key = tuple(current)
            sentences[key] = sentences.get(key, 0) + 1
        if any(c >= 3 and len(k) >= 2 for k, c in sentences.items()):
            add("spam", "même phrase répétée")
    if _FLOOD.search(doc.cleaned):
        add("spam", "flood : un même caractère répété")


# --- Hate and threats -------------------------------------------------------------------------
def _negated(doc: _Text, hit: _Hit) -> bool:
    words, sent = doc.words, doc.sent
    s, e = hit.start, hit.end
    phrase = words[s:e]
    if any(w in lx.NEG_CORE or w in lx.NEGATOR or w == "sans" for w in phrase):
        return False  # the negation is part of the hostile phrase ("aucun respect", "ne valent rien")
    if s >= 2 and words[s - 2] == "tout" and words[s - 1] == "sauf":
        return True
    if "pourquoi" in words[max(0, s - 4):s]:
        return False  # "pourquoi ne pas ..." suggests, it does not deny
    for k in range(s - 1, max(-1, s - 3), -1):
        if sent[k] != sent[s] or words[k] in _CLAUSE_BREAK:
            break
        if words[k] in lx.NEG_ALONE:
            return True
    for k in range(s - 1, max(-1, s - 7), -1):
        if sent[k] != sent[s] or words[k] in _CLAUSE_BREAK:
            return False
        if words[k] in lx.NEG_CORE:
            if k >= 1 and "pourquoi" in words[max(0, k - 2):k]:
                return False  # "pourquoi ne pas ..." suggests, it does not deny
            between = words[k + 1:s]
            after = [w for i, w in enumerate(words[e:e + 2]) if sent[e + i] == sent[s]]
            # "aucun X ne ...", "personne ne ...": the negative word may come before "ne".
            subject = [w for i, w in enumerate(words[max(0, k - 3):k]) if sent[max(0, k - 3) + i] == sent[s]]
            return (any(w in lx.NEGATOR for w in between) or any(w in lx.NEGATOR for w in after)
                    or any(w in ("aucun", "aucune", "personne", "rien") for w in subject))
    return False


def _countered(doc: _Text, hit: _Hit) -> bool:
    """Hostile words reported to be condemned: a reporting or condemning cue earlier in the sentence."""
    s = doc.sent[hit.start]
    counters = doc.in_sentence("COUNTER", s)
    if not counters:
        return False
    endorse = [h.start for h in doc.in_sentence("ENDORSE", s)]
    return any(c.start < hit.start and not any(x < c.start for x in endorse) for c in counters)


def _group_mentions(doc: _Text) -> list[_Hit]:
    out = []
    words = doc.words
    for h in doc.get("GROUP"):
        prev = words[h.start - 1] if h.start else ""
        nxt = words[h.end] if h.end < len(words) else ""
        if prev in lx.POSSESSIVE:
            continue  # "ma femme": a person, not a group
        if prev in ("la", "le", "l") and nxt in ("du", "de", "d"):
            continue  # "la femme du maire": one person
        out.append(h)
    return out


def _beneficiary(doc: _Text, group: _Hit) -> bool:
    w = doc.words
    i = group.start
    return (i >= 1 and w[i - 1] in _BENEFICIARY) or (
        i >= 2 and w[i - 2] in _BENEFICIARY | {"a"} and w[i - 1] in ("les", "des", "la", "le", "ces", "nos"))


def _threat_target(doc: _Text, hit: _Hit, groups_here: list[_Hit]) -> str | None:
    words, sent = doc.words, doc.sent
    s = hit.start
    prev = words[s - 1] if s else ""
    if prev in lx.CLITIC:
        return prev
    if s >= 2 and prev in _ADVERBS and words[s - 2] in lx.CLITIC:
        return words[s - 2]
    if prev in ("etre", "soit", "soient", "sois"):
        if prev == "etre" and not any(w in _MODAL for w in words[max(0, s - 4):s - 1]):
            return None
        for k in range(s - 1, -1, -1):
            if sent[k] != sent[s]:
                break
            if words[k] in lx.SUBJECT_PRON:
                return words[k]
        humans = [h for h in doc.get("HUMAN") if sent[h.start] == sent[s] and h.start < s]
        if humans:
            return humans[0].words(words)
        if groups_here:
            return groups_here[0].words(words)
        return None
    humans = doc.get("HUMAN") + groups_here + doc.get("SLUR")
    for k in range(hit.end, min(len(words), hit.end + 5)):
        if sent[k] != sent[s]:
            break
        if any(h.start == k for h in humans) or words[k] in ("toi", "vous", "eux", "lui", "elles"):
            return words[k]
    if any(h.start < s and sent[h.start] == sent[s] for h in groups_here):
        return groups_here[0].words(words)
    return None


def _hate_and_threat(doc: _Text, add) -> set[int]:
    words, sent = doc.words, doc.sent
    groups = _group_mentions(doc)
    by_sentence: dict[int, list[_Hit]] = {}
    for g in groups:
        by_sentence.setdefault(sent[g.start], []).append(g)
    hostile_sentences: set[int] = set()

    def hostile(hit: _Hit, kind: str) -> None:
        s = sent[hit.start]
        hostile_sentences.add(s)
        here = by_sentence.get(s, [])
        if kind in ("ATTR", "DEHUM", "EXCL", "PROF", "INSULT"):
            here = [g for g in here if not _beneficiary(doc, g)]
        if here:
            add("hate", f"groupe visé « {here[0].words(words)} » + {_KIND[kind]} « {hit.words(words)} »")
            return
        # The group may be named in the previous or next sentence and taken up by a pronoun.
        pron = doc.sentence_has(s, _ANAPHOR_NOT_LES) or (hit.start >= 1 and words[hit.start - 1] == "les")
        if pron:
            near = by_sentence.get(s - 1) or by_sentence.get(s + 1)
            if near:
                add("hate", f"groupe visé « {near[0].words(words)} » (repris par un pronom) + "
                            f"{_KIND[kind]} « {hit.words(words)} »")

    for kind in ("EMOTE", "ATTR", "DEHUM", "EXCL", "PROF", "INSULT", "COMPARE"):
        for hit in doc.get(kind):
            if _negated(doc, hit) or _countered(doc, hit):
                continue
            if kind == "COMPARE" and not doc.sentence_has(sent[hit.start], lx.ANIMALS):
                continue
            if kind == "INSULT" and _self_directed(doc, hit):
                continue
            if kind == "EMOTE" and not doc.sentence_has(sent[hit.start], lx.FIRST_PERSON):
                continue  # "vous détestez les X" reports; the speaker's own feeling is what counts
            if kind == "DEHUM" and words[hit.start] in _DISEASE:
                before = words[max(0, hit.start - 3):hit.start]
                if any(b in _DISEASE_LITERAL for b in before) or not any(
                        b in ("sont", "est", "etes", "comme", "un", "une") for b in before):
                    continue  # "atteintes d'un cancer" is an illness, not a metaphor
            hostile(hit, kind)
    for hit in doc.get("NEGPOS"):
        if _negated(doc, hit) and not _countered(doc, hit):
            hostile(hit, "NEGPOS")
    for hit in doc.get("THREAT"):
        prev = words[hit.start - 1] if hit.start else ""
        if words[hit.start] in _NOUN_LIKE and prev in ("la", "le", "l", "un", "une", "du", "de"):
            continue
        if prev in _AUX_REPORT:
            continue  # "a été tué", "ont tué": a report of the past
        window = words[max(0, hit.start - 3):hit.start]
        if ("se" in window or "s" in window) and any(w in _VICTIM_VERBS for w in window):
            continue  # "se faire tuer", "se font assassiner": the group is the victim
        if _negated(doc, hit) or _countered(doc, hit):
            continue
        here = by_sentence.get(sent[hit.start], [])
        target = _threat_target(doc, hit, here)
        if target:
            add("threat", f"violence « {hit.words(words)} » visant « {target} »")
        hostile(hit, "THREAT")
    for hit in doc.get("THREAT_SELF"):
        if words[hit.start] == "mort" and hit.start and sent[hit.start - 1] == sent[hit.start] \
                and words[hit.start - 1] != ",":
            continue  # "mort à ..." calls for a death only at the start of a sentence
        if _negated(doc, hit) or _countered(doc, hit):
            continue
        add("threat", f"menace « {hit.words(words)} »")
        hostile(hit, "THREAT")
    for hit in doc.get("SLUR"):
        if _countered(doc, hit):
            continue
        if _self_directed(doc, hit):
            continue  # a word the speaker uses of themselves (self-mockery, a reclaimed word)
        add("hate", f"injure visant un groupe protégé « {hit.words(words)} »")
        hostile_sentences.add(sent[hit.start])
    return hostile_sentences


_KIND = {
    "EMOTE": "hostilité exprimée", "ATTR": "qualificatif dégradant", "DEHUM": "déshumanisation",
    "EXCL": "appel à l'exclusion", "PROF": "grossièreté dirigée", "NEGPOS": "qualité niée",
    "INSULT": "insulte", "COMPARE": "comparaison avec un animal",
    "THREAT": "violence",
}


# --- Insults, electoral calls, questions, complaints -------------------------------------------
def _self_directed(doc: _Text, hit: _Hit) -> bool:
    """'J'ai été un vrai con', 'on m'a dit d'aller me faire ...': about or told to the speaker."""
    words = doc.words
    s = doc.sent[hit.start]
    before = words[max(0, hit.start - 6):hit.start]
    if doc.sentence_has(s, lx.SECOND_PERSON):
        return False
    joined = " " + " ".join(before) + " "
    if any(" " + " ".join(p) + " " in joined for p in _FIRST_PERSON_BEING):
        return True
    return any(w in ("me", "m") for w in before[-4:])


def _insult(doc: _Text, add) -> None:
    words, sent = doc.words, doc.sent
    for hit in doc.get("INSULT") + doc.get("SLUR"):
        if _countered(doc, hit) or _negated(doc, hit) or _self_directed(doc, hit):
            continue
        s = sent[hit.start]
        before = words[max(0, hit.start - 6):hit.start]
        second = doc.sentence_has(s, lx.SECOND_PERSON)
        if words[hit.start] in _AMBIGUOUS_INSULTS and hit.end - hit.start == 1:
            pairs = list(zip(before, before[1:], strict=False))
            if not (second or any(w in _INSULT_CUES for w in before[-2:]) or any(p in _COPULA for p in pairs[-3:])):
                continue  # "les ordures ne sont pas ramassées"
        add("insult", f"insulte « {hit.words(words)} »")


def _electoral(doc: _Text, add) -> None:
    words, sent = doc.words, doc.sent
    for hit in doc.get("ELECTORAL"):
        s = sent[hit.start]
        if doc.sentence_has(s, _ELECTORAL_NEUTRAL):
            continue  # participatory budget, naming contest: the authority's own votes
        if hit.end - hit.start == 1 and words[hit.start] in ("votez", "votons"):
            nxt = hit.end
            if nxt >= len(words) or sent[nxt] != s:
                continue
            raw = doc.cleaned[doc.raw_start[nxt]:doc.raw_start[nxt] + 1]
            if words[nxt] not in _ELECTORAL_OBJECTS and not raw.isupper():
                continue  # "votez dimanche": a civic reminder, not a call for a side
        add("electoral", f"appel à voter « {hit.words(words)} »")


_ELECTORAL_OBJECTS = frozenset(lx.ELECTORAL_OBJECT.split("|"))


def _complaint(doc: _Text, add) -> None:
    for hit in doc.get("COMPLAINT"):
        if _negated(doc, hit):
            continue
        add("complaint", f"réclamation « {hit.words(doc.words)} »")
    for hit in doc.get("RHETORICAL"):
        if "normal" in doc.words[hit.start:hit.end]:
            add("complaint", f"réclamation sous forme de question « {hit.words(doc.words)} »")


def _question(doc: _Text, add, hostile_sentences: set[int]) -> None:
    words, sent = doc.words, doc.sent
    starts: dict[int, int] = {}
    for i, s in enumerate(sent):
        starts.setdefault(s, i)
    rhetorical = {sent[h.start] for h in doc.get("RHETORICAL")}
    candidates = set(doc.question_sentences)
    for h in doc.get("QUESTION_START"):
        if h.start - starts[sent[h.start]] <= 3:
            candidates.add(sent[h.start])
    for s in sorted(candidates):
        if s in rhetorical or s in hostile_sentences or s not in starts:
            continue
        sentence = [w for i, w in enumerate(words) if sent[i] == s and w != "," and not doc.quoted[i]]
        if len(sentence) < 2:
            continue
        add("question", f"question « {' '.join(sentence[:12])}{' …' if len(sentence) > 12 else ''} ? »")


__all__ = ["ACTIONS", "DEFAULT_ACTIONS", "DENY_LABEL", "HIDE_LABELS", "LABELS", "Verdict", "classify", "fold"]
