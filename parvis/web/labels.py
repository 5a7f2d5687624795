"""French labels shown by the interface for states, networks and audit verbs."""

from parvis.domain.networks import NETWORK_LABELS, Network
from parvis.domain.states import DeliveryState, PublicationStatus

P = PublicationStatus
D = DeliveryState

PUBLICATION_STATUS_LABELS = {
    P.DRAFT: "Brouillon",
    P.IN_REVIEW: "En validation",
    P.APPROVED: "Approuvée",
    P.PUBLISHED: "Publiée",
    P.PARTIAL: "Partiellement publiée",
    P.FAILED: "Échec",
    P.CANCELLED: "Annulée",
}

DELIVERY_STATE_LABELS = {
    D.SCHEDULED: "Programmée",
    D.SENDING: "Envoi en cours",
    D.PUBLISHED: "Publiée",
    D.FAILED: "Échec",
    D.UNCONFIRMED: "À vérifier",
    D.CANCELLED: "Annulée",
}

# What a human should do, when the network's own message says nothing useful.
DELIVERY_ADVICE = {
    D.FAILED: "Corrigez la cause indiquée puis cliquez sur « Relancer ».",
    D.UNCONFIRMED: (
        "Parvis ne sait pas si la publication est partie. Regardez sur le réseau, puis indiquez "
        "« Vérifié : publié » ou « Vérifié : à renvoyer »."
    ),
}

NETWORK_SHORT = {
    Network.FACEBOOK: "f",
    Network.INSTAGRAM: "IG",
    Network.THREADS: "@",
    Network.LINKEDIN: "in",
    Network.X: "X",
    Network.TIKTOK: "TT",
    Network.YOUTUBE: "YT",
    Network.MASTODON: "M",
    Network.BLUESKY: "B",
    Network.SNAPCHAT: "S",
}

AUDIT_VERB_LABELS = {
    "publication.created": "a créé la publication",
    "publication.updated": "a modifié la publication",
    "publication.submitted": "a envoyé la publication en validation",
    "publication.approved": "a approuvé la publication",
    "publication.rejected": "a refusé la publication",
    "publication.commented": "a commenté la publication",
    "publication.scheduled": "a programmé la publication",
    "publication.cancelled": "a annulé la publication",
    "publication.published": "a publié",
    "approval_link.issued": "a généré un lien de validation",
    "delivery.retried": "a relancé une diffusion",
    "delivery.resolved": "a vérifié une diffusion",
    "delivery.published": "a publié sur le réseau",
    "delivery.failed": "a échoué à publier",
    "delivery.unconfirmed": "diffusion à vérifier",
    "media.uploaded": "a ajouté un média",
    "channel.created": "a ajouté un compte",
    "channel.editorial_line": "a modifié la ligne éditoriale d'un compte",
    "channel.reconnected": "a reconnecté un compte",
    "channel.needs_reconnect": "compte à reconnecter",
}

OBJECT_TYPE_LABELS = {
    "publication": "publication",
    "delivery": "diffusion",
    "channel": "compte",
    "mediaasset": "média",
    "membership": "membre",
}


def publication_status_label(status: str) -> str:
    try:
        return PUBLICATION_STATUS_LABELS[P(status)]
    except ValueError:
        return status


def delivery_state_label(state: str) -> str:
    try:
        return DELIVERY_STATE_LABELS[D(state)]
    except ValueError:
        return state


def network_label(network: str) -> str:
    try:
        return NETWORK_LABELS[Network(network)]
    except ValueError:
        return network


def audit_verb_label(verb: str) -> str:
    return AUDIT_VERB_LABELS.get(verb, verb)
