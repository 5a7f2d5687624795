"""French lexicons of the classifier, as data.

Entries are written folded (lower case, no accents). A space separates the words of a phrase; within a
word, "a|b" lists alternatives, so "tuer|tue|tuerai" is three entries and "mort a|aux" two phrases.
`adj("stupide")` adds the usual feminine and plural forms. Each category says what a match means; the
rules in `classify.py` decide what a combination of matches means (a group word alone is never hate).
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from parvis.domain.moderation.normalise import squeeze


def adj(*words: str) -> str:
    """Masculine, feminine and plural forms of regular adjectives and nouns."""
    out = []
    for w in words:
        if w.endswith("e"):
            out += [w, w + "s"]
        elif w.endswith(("s", "x")):
            out += [w, w + "e", w + "es"] if w.endswith("s") else [w]
        else:
            out += [w, w + "s", w + "e", w + "es"]
    return "|".join(out)


def verb_er(*stems: str) -> str:
    """Common forms of regular -er verbs: infinitive, present, imperative, future, participle."""
    ends = ["er", "e", "es", "ent", "ez", "ons", "erai", "eras", "era", "erons", "erez", "eront",
            "ee", "ees", "erais", "erait", "eraient"]
    return "|".join(s + e for s in stems for e in ends)


# --- Hate: who is targeted --------------------------------------------------------------------
# Groups protected by French law against discrimination and hate (origin, religion, sex, sexual
# orientation, gender identity, disability), named neutrally. Alone they are never hate.
GROUP = [
    adj("femme", "fille", "musulman", "juif", "juive", "arabe", "noir", "black", "renoi", "rebeu",
        "maghrebin", "africain", "asiatique", "chinois", "rom", "gitan", "tsigane", "tzigane",
        "homo", "homosexuel", "gay", "gai", "lesbienne", "bi", "bisexuel", "trans", "transgenre",
        "transsexuel", "handicape", "invalide", "autiste", "refugie", "migrant", "immigre",
        "etranger", "exile", "clandestin", "sans papiers", "demandeur d asile", "demandeurs d asile",
        "catholique", "chretien", "protestant", "bouddhiste", "hindou", "athee", "sikh",
        "musulmane", "islamiste", "israelite", "feministe", "queer", "lgbt", "lgbtq", "lgbtqia",
        "non binaire", "intersexe", "sourd", "aveugle", "gens du voyage", "personne handicapee",
        "personnes handicapees", "personne trans", "personnes trans"),
    "gays|gais|blacks|juifs|arabes|musulmans|noirs|chinois|roms|homos",
]

# Slurs: words that are themselves an attack on a protected group.
SLUR = [
    adj("bougnoule", "bougnoul", "bicot", "raton", "negre", "negresse", "negro", "youpin", "youtre",
        "pede", "tapette", "tarlouze", "tantouze", "tafiole", "gouine", "travelo", "bamboula",
        "chinetoque", "niakoue", "sale arabe", "sale noir", "sale juif", "sale pd",
        "sale musulman", "sale migrant", "sale immigre", "triso", "mongolien"),
    "pd|pds|pute|putes|boucaque|crouille|crouilles|fatma|fatmas|salope|salopes|connasse|connasses",
    "pouffiasse|pouffiasses|degeneree|degenerees|attarde mental|attardee mentale|attardes mentaux",
]

# --- Hostility -------------------------------------------------------------------------------
# Hostile emotions: count only when the speaker voices them (first person in the sentence).
EMOTE = [
    "deteste|detestes|detestent|detestons|detester|hais|hait|haissent|haissons|hair|meprise|meprisent",
    "mepriser|execre|execrent|execrer|abhorre|abhorrent|abomine",
    "degoute|degoutent|degoutee|degoutes|degoutees|degout|ecoeure|ecoeurent|repugne|repugnent",
    "haine pour|haine envers|haine que je|dedain pour|mepris pour|aversion pour|degout pour",
    "donnent la nausee|donne la nausee|degout pour tout|du degout pour|ras le bol|rendent malade|rend malade|rendent furieux",
    "met hors de moi|mettent hors de moi|font bouillir|fait bouillir|aucun respect|manque de respect",
    "aucune compassion|aucune pitie|pas de pitie|horreur des|marre des|marre de ces",
]
# Derogatory attributes said of a group.
ATTR = [
    adj("degueulasse", "degeulasse", "repoussant", "pitoyable", "stupide", "abruti", "debile",
        "sauvage", "immonde", "ignoble", "abject", "ecoeurant", "crasseux", "ignorant", "aberrant",
        "inferieur", "degenere", "dangereux", "violent", "menteur", "voleur", "feignant", "faineant",
        "hypocrite", "arriere", "attarde", "idiot", "cretin", "imbecile", "con", "conne",
        "bete", "horrible", "repugnant", "minable", "malsain", "pervers", "terroriste",
        "criminel", "delinquant", "profiteur", "assiste", "irrecuperable", "nuisible",
        "inutile", "mechant", "cruel", "pourri", "primitif", "barbare"),
    "pires|pire|menace|menaces|danger|fleau|ruine|plaie|calamite",
    "les plus stupides|les plus abrutis|les plus betes|tellement aberrants",
]
# Dehumanisation and implicit derogation: animals, vermin, disease, waste, confinement.
DEHUM = [
    adj("pourriture", "ordure", "parasite", "cafard", "vermine", "rat", "nuisible", "dechet",
        "animal", "singe", "insecte", "microbe", "cloporte", "enflure", "charogne",
        "bestiole", "sous homme", "sous humain", "moins que rien", "raclure",
        "racaille", "rebut", "rebus", "virus", "cancer", "tumeur", "gangrene", "peste", "zoo",
        "cage", "decharge", "veterinaire", "betail", "invasion"),
    "animaux|betes|etres inferieurs|etre inferieur|sans valeur|sans aucune valeur|rien a faire",
    "ne valent rien|ne vaut rien|valent rien|vaut rien|ne valent pas un clou|ne vaut pas un clou",
    "ne valent pas la peine|ne vaut pas la peine|valent moins que|vaut moins que|valent pas plus que",
    "valent pas mieux que|pas mieux que des|rat mort|rats morts|merde sous|cobayes|colonisent",
    "envahissent|envahisseurs|grand remplacement|infestent|pullulent",
]
# Comparisons that rank an animal above people (counted only with an animal named in the sentence).
COMPARE = [
    "plus intelligent que|plus intelligente que|plus precieuse que|plus precieux que|plus de valeur que",
    "aucune difference entre|vaut plus que|valent plus que|compte plus que|comptent plus que",
]
ANIMALS = frozenset("chien chiens chat chats singe singes rat rats insecte insectes animal animaux cafard "
                    "cafards porc porcs vache vaches mouton moutons chevre chevres".split())
# Exclusion from the country, from public life, from rights.
EXCL = [
    "foutre le camp|foutent le camp|dehors les|degagez|rentrez chez vous|rentrer chez eux",
    "retournez dans|retourner dans|retourne dans|renvoyer|renvoyez|expulser|expulsez|deporter|deportez",
    "debarrasser|debarrassons|debarrassez|debarasser|debarassons|se debarrasser",
    "en finir avec|en finisse avec|en finissent avec",
    "hors de france|hors de notre pays|pas chez nous|n ont rien a faire|devraient se casser",
    "doivent se casser|degagent",
    "la ruine de|serait la ruine",
]
# Profanity aimed at a group ("j'emmerde les ...", "putain de ..."); harmless without a target.
PROF = [
    "emmerde|emmerdent|putain de|putains de|putain d|putains d|connerie|conneries|couilles|merde|merdique|merdiques|chier|font chier|fait chier",
    "se faire enculer|se faire foutre|vous faire foutre|fermer leurs gueules|fermer leur gueule",
    "ferment leurs gueules|leur gueule|leurs gueules|allez vous faire|aller se faire",
]
# Positive words whose negation is hostile ("ne sont pas dignes", "n'ont aucune valeur").
NEGPOS = [
    adj("digne", "humain", "intelligent", "attirant", "bienvenu", "respectable"),
    "respect|valeur|importance|compter|comptent|leur place|sa place|compassion|supporter|supporte",
    "etres humains|etre humain|meritent de vivre|merite de vivre|droit de vivre|droit d etre en vie",
]
# Violent acts. A threat needs a human target; against a group it is also hate.
THREAT = [
    verb_er("tu", "assassin", "execut", "egorg", "poignard", "etrangl", "noy", "tortur", "brul",
            "lynch", "gaz", "fusill", "massacr", "eradiqu", "extermin", "decapit", "viol", "tabass",
            "crev", "but", "flingu", "lapid", "saign", "bombard", "defonc",
            "frapp", "cogn", "etouff", "amoch", "trucid", "zigouill"),
    "tuer|tuerai|tuerons|tueront|abattre|abattrai|abattrons|abattu|abattus|abattue|abattues|abats",
    "abattez|abattons|tue|tues|tuee|tuees|pendre|pendrai|pendez|pendons|pendu|pendus",
    "porterait mieux sans|porterait bien mieux sans|serait mieux sans|se porteraient mieux sans",
    "faire souffrir|fais souffrir|fera souffrir|ferai souffrir|ferons souffrir|voir souffrir",
    "faire du mal|ferai du mal|fera du mal|casser la gueule|peter la gueule|defoncer la gueule",
    "briser le cou|briser leurs cous|briserai le cou|brise le cou|briser ton cou|briserai ton cou",
    "trancher la gorge|trancher leurs gorges|trancher leur gorge|trancherai la gorge|tranchait la gorge",
    "tranchait la gorge|tranchions la gorge|gorges tranchees|gorge tranchee|tranchions leur gorge",
    "tirer dessus|tirer une balle|tire une balle|tirerai dessus|tirer sur|mettre une balle",
    "mettre fin a la vie|mettre fin a leur vie|mettre fin a sa vie|mettre fin a ta vie",
    "bruler vif|bruler vifs|brules vifs|brule vif|brulee vive|regler son compte|regler ton compte",
]
# Threats complete in themselves (the target is in the phrase, or the phrase calls for a death).
THREAT_SELF = [
    "meritent de mourir|merite de mourir|meritez de mourir|merites de mourir|meritent la mort",
    "meritent de souffrir|meritez de souffrir|merite de souffrir|merites de souffrir",
    "merite la mort|meritez la mort|mort a|mort aux|a mort les|vas mourir|allez mourir",
    "vas crever|allez crever|vais te retrouver",
    "vais vous retrouver|on va te retrouver|sais ou tu habites|sait ou tu habites|sais ou vous habitez",
    "une balle dans la tete|une balle dans ta tete|te faire la peau|vous faire la peau|leur faire la peau",
    "devraient tous etre tues|devraient etre tues|devraient etre executes|devrait etre execute",
    "soient abattus|soit abattu|soient tues|soit tue|soient executes|meritent pas de vivre",
]

# --- Frames that change what hostile words mean --------------------------------------------------
# Reporting or condemning someone else's words (counter-speech): "dire que", "traiter les X de".
COUNTER = [
    "dire|dites|dit|disent|disant|ecrire|ecrit|ecrivez|ecrivent|traiter|traitez|traitent|traite",
    "croire que|croire qu|croire serieusement que|croyez que|croyez vraiment que",
    "menacer de|menacent de|menace de|menaces de|appeler a|appels a|appelle a",
    "appeler|appelez|appellent|arreter de|arretez de|cesser de|cessez de|doit cesser|denoncer",
    "denoncons|denonce|reclamer|reclament|insister|propos|commentaire|commentaires|messages",
    "declarations|declaration|signaler|signalerai|tolererai|tolerer|haineux|haineuse|sectaire",
    "raciste|racistes|homophobe|homophobes|misogyne|sexiste|transphobe|antisemite|xenophobe",
]
# Rhetorical frames that endorse what follows ("c'est quoi le problème de dire que ...").
ENDORSE = [
    "quoi le probleme de|quoi le probleme a|ai je tort de|ai je tort|pourquoi ne pas|et si on",
    "n est ce pas evident|n est il pas evident|pouvons nous enfin convenir",
]

# --- Insults (personal attacks: review by a person) -----------------------------------------------
INSULT = [
    adj("connard", "connasse", "abruti", "cretin", "imbecile", "enfoire", "encule", "salaud",
        "salopard", "batard", "bouffon", "tocard", "minable", "baltringue", "guignol", "debile",
        "attarde", "raclure", "pourriture", "ordure", "sous merde", "chieur", "chieuse",
        "enflure", "idiot", "naze", "blaireau", "cassos", "trouduc", "gogol", "pauvre con", "pauvre type",
        "gros porc", "grosse vache", "grosse truie", "sale con", "sale conne", "sale type"),
    "con|cons|conne|connes|salope|salopes|pute|putes|pouffiasse|trou du cul|trous du cul",
    "fils de pute|fille de pute|fils de putes|tete de con|tetes de con|ta gueule|ferme ta gueule",
    "fermez vos gueules|fermez la|va te faire foutre|allez vous faire foutre|va te faire enculer",
    "allez vous faire enculer|nique ta mere|niquer ta mere|ntm|fdp|tg|enculer",
    "sac a merde|merdeux|merdeuse|abrutis|cretins|imbeciles|idiots|bouffons|tocards",
]

# --- Threat targets ------------------------------------------------------------------------------
HUMAN = [
    adj("maire", "adjoint", "elu", "conseiller", "conseillere", "agent", "fonctionnaire", "policier",
        "gendarme", "juge", "ministre", "depute", "senateur", "voisin", "enfant", "gamin", "prof",
        "professeur", "medecin", "infirmier", "pompier", "journaliste", "patron", "habitant",
        "citoyen", "president", "presidente", "prefet", "employe", "directeur", "directrice",
        "secretaire", "collegue", "gardien", "animateur", "animatrice", "educateur", "educatrice",
        "enseignant", "instituteur", "institutrice", "facteur", "chauffeur", "controleur", "cycliste",
        "pieton", "automobiliste", "manifestant", "gars", "mec", "nana", "meuf", "personne",
        "vieux", "vieille", "jeune", "bebe", "individu"),
    "gens|flic|flics|keuf|keufs|famille|fils|mere|pere|mari|epouse|soeur|frere|tout le monde|toi",
]

# --- Personal data -------------------------------------------------------------------------------
STREET = ("rue|avenue|av|bd|boulevard|allee|allees|chemin|impasse|place|route|quai|cours|square|"
          "residence|lotissement|hameau|lieu dit|lieudit|voie|passage|cite|villa|sentier|faubourg")
RESIDENCE = [
    "habite|habites|habitent|habitez|habitons|habiter|domicile|domicilie|domiciliee|vit au|vit a",
    "son adresse|ton adresse|mon adresse|leur adresse|votre adresse|notre adresse|vivent au|vis au",
    "loge au|appartement|appart|appt|chez lui|chez elle|chez moi|chez eux|son logement|sa maison",
    "ta maison|votre maison",
]
HEALTH_CONDITION = (
    "cancer|sida|vih|seropositif|seropositive|hiv|depression|depressif|depressive|schizophrene|"
    "schizophrenie|bipolaire|alzheimer|parkinson|leucemie|tumeur|autisme|autiste|epilepsie|"
    "epileptique|alcoolique|toxicomane|anorexique|diabetique|diabete|hepatite|cirrhose|psychiatrie|"
    "psychiatrique|interne en psychiatrie|chimio|chimiotherapie|dialyse|fausse couche|ivg|avortement|"
    "enceinte|handicap mental|maladie mentale|malade mentale|malade mental|covid|tuberculose|"
    "syphilis|herpes|ist|mst|hospitalise|hospitalisee|sous antidepresseurs|antidepresseurs|cure de "
    "desintox|desintox|suicide|tentative de suicide|mucoviscidose|sclerose en plaques|myopathie"
)

# --- Spam ----------------------------------------------------------------------------------------
SPAM_STRONG = [
    "argent facile|revenus passifs|revenu passif|devenez riche|devenir riche|gagnez de l argent",
    "gagner de l argent|gagner des euros|euros par jour|euros par semaine|euros par mois|par jour depuis",
    "travail a domicile|pret entre particuliers|pret rapide|credit rapide|sans frais de dossier",
    "followers gratuits|abonnes gratuits|likes gratuits|acheter des followers|onlyfans|casino en ligne",
    "paris sportifs|rencontres coquines|celibataires pres de chez vous|investissement garanti",
    "rendement garanti|doublez votre argent|contactez moi sur whatsapp|ecrivez moi sur whatsapp",
    "whatsapp au|telegram au|lien en bio|code promo|offre limitee|offre exclusive",
]
SPAM_WEAK = [
    "gagnez|gagner|gratuit|gratuite|gratuits|promo|promotion|reduction|soldes|achetez|acheter|commandez",
    "inscrivez vous|abonnez vous|decouvrez|investir|investissez|opportunite|mp|dm|inbox|whatsapp",
    "telegram|cash|argent|remise|boutique|discount|offre|bonus|trading|forex|bitcoin|crypto",
    "cryptomonnaie|ethereum|cliquez ici|cliquez sur le lien|livraison gratuite",
]
SHORTENERS = frozenset(["bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "cutt.ly",
                        "shorturl.at", "rebrand.ly", "tiny.cc", "buff.ly", "rb.gy"])
# Links that are never "unrelated": public services and the networks themselves.
TRUSTED_DOMAINS = ("gouv.fr", "service-public.fr", "legifrance.gouv.fr", "insee.fr", "ameli.fr",
                   "caf.fr", "pole-emploi.fr", "francetravail.fr", "education.gouv.fr", "data.gouv.fr")
NETWORK_DOMAINS = {
    "facebook": ("facebook.com", "fb.com", "fb.me", "fb.watch", "m.me"),
    "instagram": ("instagram.com", "instagr.am"),
    "x": ("x.com", "twitter.com", "t.co"),
    "linkedin": ("linkedin.com", "lnkd.in"),
    "tiktok": ("tiktok.com",),
    "youtube": ("youtube.com", "youtu.be"),
    "snapchat": ("snapchat.com",),
    "mastodon": (),
    "bluesky": ("bsky.app", "bsky.social"),
}

# --- Electoral calls, questions, complaints, off-topic ------------------------------------------------
ELECTORAL = [
    "votez pour|votez contre|votons pour|votons contre|je vote pour|je voterai pour|je vote contre",
    "votez|votons|ne votez pas|ne votez surtout pas|elisez|reelisez|faites barrage|faisons barrage",
    "donnez votre voix|donnez vos voix|soutenez la liste|soutenez le candidat|soutenez la candidate",
    "bulletin pour|pas une voix pour|aucune voix pour|allez voter pour|allez voter contre",
    "il faut voter pour|il faut voter contre|faut voter pour|faut voter contre|appel a voter pour",
]
ELECTORAL_OBJECT = ("pour|contre|liste|candidat|candidate|candidats|le|la|les|notre|nos|votre|vos|"
                    "barrage|voix|bulletin|maire|parti|mouvement|equipe|camp|gauche|droite|centre|"
                    "ecologistes|rn|lfi|ps|lr|eelv|pcf|renaissance|reconquete|horizons|modem|udi|"
                    "insoumis|republicains|socialistes|communistes|npa|lo|patriotes")
# Openings that make a question even without a question mark (citizens often omit it).
QUESTION_START = [
    "est ce que|est ce qu|pourquoi|combien|a quelle heure|a partir de quand|jusqu a quand",
    "y a t il|y aura t il|peut on|pouvez vous|pourriez vous|savez vous|serait il possible|faut il",
    "est il possible|est il prevu|sera t il|a t on|avez vous|auriez vous|quid",
    "je voudrais savoir|j aimerais savoir|je souhaiterais savoir|quelqu un sait|quelqu un saurait",
    "une idee de|des infos sur|peut on savoir|comment faire pour|comment faut il|ou peut on",
]
RHETORICAL = [
    "n est ce pas|n est il pas|n est elle pas|c est quoi ce|c est quoi cette|c est quoi le probleme",
    "c est quoi votre probleme|c est quoi leur probleme|c est quoi ton probleme",
    "comment pouvez vous|comment peut on|comment osez vous|comment ose t on|qui croit vraiment",
    "qui peut croire|vous vous foutez|vous vous moquez|on se moque|on se fout|a quoi bon|et alors",
    "pourquoi ne pas|ai je tort|est ce vraiment possible|vous croyez vraiment|serieusement",
    "tu te fous|vous foutez|c est une blague|vous rigolez|vous plaisantez|non mais",
    "est ce normal|est il normal|c est normal|trouvez vous normal|vous trouvez ca normal",
]
COMPLAINT = [
    adj("scandaleux", "honteux", "inadmissible", "inacceptable", "incompetent", "lamentable",
        "deplorable", "insupportable", "intolerable", "catastrophique", "deplorable", "degueulasse",
        "insalubre", "dangereux", "abandonne", "delaisse", "neglige", "mal entretenu", "inonde",
        "nul", "mecontent", "decu", "excede", "exaspere", "indigne", "lent", "bruyant"),
    "scandale|honte|incompetence|ras le bol|marre|toujours pas|toujours rien|depuis des semaines",
    "depuis des mois|depuis des jours|depuis des annees|aucune reponse|pas de reponse|sans reponse",
    "personne ne repond|personne ne fait rien|rien n est fait|rien ne bouge|rien ne change",
    "j ai signale|on a signale|nous avons signale|deja signale|plainte|reclamation|en panne",
    "nid de poule|nids de poule|depots sauvages|pas ramasse|pas ramassees|pas ramasses|nuisances",
    "gaspillage|gaspille|mauvaise gestion|n importe quoi|vous faites rien|vous ne faites rien",
    "catastrophe|ne fonctionne pas|ne marche pas|ne marche plus|ne fonctionne plus|coupure",
    "fuite|insecurite|degradation|degradations|stationnement sauvage|a quand|quelle honte",
]
OFF_TOPIC = [
    "repentez vous|convertissez vous|jesus vous aime|jesus t aime|jesus sauve|dieu vous aime",
    "la fin des temps|le jugement dernier|priez|acceptez jesus|allah vous|la seule vraie religion",
    "partagez ce message|copiez collez|copier coller ce message",
]

FIRST_PERSON = frozenset("je j me m moi nous on mon ma mes notre nos".split())
SECOND_PERSON = frozenset("tu t te toi vous ton ta tes votre vos".split())
# Object pronouns placed just before a verb ("je vais te tuer", "je veux le tuer").
CLITIC = frozenset("te t vous le la l lui les leur".split())
SUBJECT_PRON = frozenset("tu vous il elle ils elles".split())
ANAPHOR = frozenset("ils elles eux leur leurs les en".split())
POSSESSIVE = frozenset("ma mon ta ton sa son notre votre".split())
NEG_CORE = frozenset("ne n".split())
NEGATOR = frozenset("pas jamais plus rien aucun aucune personne guere point nullement".split())
NEG_ALONE = frozenset("pas jamais aucun aucune sans".split())
BOUNDARY = frozenset(".!?;\n,:")
# Words a glued token may be split into ("jedeteste" -> "je deteste").
FUNCTION_WORDS = frozenset(
    "je j me m te tu de d la le les ce cet cette ces se un une des du et a en que qui on nous vous il ils "
    "elle elles juste tres tellement trop plus si leur leurs mon ma mes ton ta tes son sa ses".split()
)

CATEGORIES = {
    "GROUP": GROUP, "SLUR": SLUR, "EMOTE": EMOTE, "ATTR": ATTR, "DEHUM": DEHUM, "EXCL": EXCL,
    "PROF": PROF, "COMPARE": COMPARE, "NEGPOS": NEGPOS, "THREAT": THREAT, "THREAT_SELF": THREAT_SELF, "COUNTER": COUNTER,
    "ENDORSE": ENDORSE, "INSULT": INSULT, "HUMAN": HUMAN, "RESIDENCE": RESIDENCE,
    "SPAM_STRONG": SPAM_STRONG, "SPAM_WEAK": SPAM_WEAK, "ELECTORAL": ELECTORAL,
    "QUESTION_START": QUESTION_START, "RHETORICAL": RHETORICAL, "COMPLAINT": COMPLAINT,
    "OFF_TOPIC": OFF_TOPIC,
}
# Categories whose words may be found with a spelling slip or glued to a neighbour word. Slurs and
# insults are excluded on purpose: "pute" hides in "députés" once accents are gone.
FUZZY_CATEGORIES = frozenset({"GROUP", "EMOTE", "ATTR", "COMPARE", "DEHUM", "THREAT", "NEGPOS", "THREAT_SELF", "EXCL",
                              "PROF"})
FUZZY_MIN_LEN = 6
# Everyday words one slip away from a lexicon word: never read as that word.
NOT_FUZZY = frozenset(
    "prendre rendre vendre tendre entendre attendre descendre defendre pondre repondre apprendre "
    "comprendre surprendre reprendre battre debattre combattre tuiles tuile couteaux bruler "
    "menage menager menages manage valeur valeurs humour humeur fleaux pires".split()
)


def expand(entry: str) -> list[tuple[str, ...]]:
    """'mort a|aux' -> [('mort', 'a'), ('mort', 'aux')]; 'a|b' -> [('a',), ('b',)]."""
    out = []
    for alternative in entry.split("|"):
        words = alternative.split()
        if words:
            out.append(tuple(words))
    return out


def expand_cartesian(entry: str) -> list[tuple[str, ...]]:
    """'briser le|leur cou': each space-separated slot may hold alternatives."""
    slots = [slot.split("|") for slot in entry.split()]
    return [tuple(p) for p in itertools.product(*slots)]


def _build():
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    vocab: dict[str, set[str]] = {}
    for category, entries in CATEGORIES.items():
        for entry in entries:
            for phrase in expand(entry):
                phrases.setdefault(phrase[0], []).append((phrase, category))
                for word in phrase:
                    vocab.setdefault(word, set()).add(category)
    for first in phrases:
        # Longest phrase first: "fils de pute" wins over "pute".
        phrases[first].sort(key=lambda pc: -len(pc[0]))
    fuzzy_words = {w for w, cats in vocab.items() if len(w) >= FUZZY_MIN_LEN and cats & FUZZY_CATEGORIES}
    squeezed = {}
    for w in fuzzy_words:
        squeezed.setdefault(squeeze(w), w)
    deletions: dict[str, str] = {}
    for w in fuzzy_words:
        s = squeeze(w)
        for i in range(len(s)):
            deletions.setdefault(s[:i] + s[i + 1:], w)
    glue_words = {w for w in fuzzy_words} | {w for w, cats in vocab.items()
                                             if len(w) >= 4 and cats & FUZZY_CATEGORIES}
    return phrases, vocab, squeezed, deletions, glue_words


PHRASES, VOCAB, _SQUEEZED, _DELETIONS, _GLUE = _build()
KNOWN = frozenset(VOCAB) | FUNCTION_WORDS


def _spelling(word: str) -> str | None:
    """The lexicon word one slip away: a letter doubled, missing, added or two letters swapped."""
    s = squeeze(word)
    if s in _SQUEEZED:
        return _SQUEEZED[s]
    if len(s) < FUZZY_MIN_LEN - 1:
        return None
    if s in _DELETIONS:  # a letter missing from the word
        return _DELETIONS[s]
    for i in range(len(s) - 1):  # two neighbours swapped
        swapped = squeeze(s[:i] + s[i + 1] + s[i] + s[i + 2:])
        hit = _SQUEEZED.get(swapped)
        if hit:
            return hit
    return None


def _unglue(word: str, depth: int = 0) -> tuple[str, ...] | None:
    """Split a token made of function words glued to a lexicon word ("tuerce", "orduresdefemmes")."""
    if word in _GLUE or (depth and word in FUNCTION_WORDS):
        return (word,)
    if depth > 2 or len(word) < 4:
        return None
    for cut in range(1, len(word)):
        head, tail = word[:cut], word[cut:]
        if head in FUNCTION_WORDS or head in _GLUE:
            rest = _unglue(tail, depth + 1)
            if rest and (head in _GLUE or any(r in _GLUE for r in rest)):
                return (head, *rest)
    return None


@lru_cache(maxsize=200_000)
def resolve(word: str) -> tuple[str, ...]:
    """The lexicon word(s) a folded token stands for; the token itself when it is not one."""
    if word in KNOWN or word in NOT_FUZZY or not word.isalpha() or len(word) > 40:
        return (word,)
    fixed = _spelling(word)
    if fixed:
        return (fixed,)
    if len(word) >= 6:
        parts = _unglue(word)
        if parts and len(parts) > 1:
            return parts
    return (word,)
