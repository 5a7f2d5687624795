"""Labels shown by the interface for states, networks and audit verbs (French source, translated lazily)."""

from django.utils.translation import gettext_lazy as _

from parvis.domain.networks import NETWORK_LABELS, Network
from parvis.domain.states import DeliveryState, PublicationStatus

P = PublicationStatus
D = DeliveryState

PUBLICATION_STATUS_LABELS = {
    P.DRAFT: _("Brouillon"),
    P.IN_REVIEW: _("En validation"),
    P.APPROVED: _("Approuvée"),
    P.PUBLISHED: _("Publiée"),
    P.PARTIAL: _("Partiellement publiée"),
    P.FAILED: _("Échec"),
    P.CANCELLED: _("Annulée"),
}

DELIVERY_STATE_LABELS = {
    D.SCHEDULED: _("Programmée"),
    D.SENDING: _("Envoi en cours"),
    D.PUBLISHED: _("Publiée"),
    D.FAILED: _("Échec"),
    D.UNCONFIRMED: _("À vérifier"),
    D.CANCELLED: _("Annulée"),
}

# What a human should do, when the network's own message says nothing useful.
DELIVERY_ADVICE = {
    D.FAILED: _("Corrigez la cause indiquée puis cliquez sur « Relancer »."),
    D.UNCONFIRMED: _(
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
    "publication.created": _("a créé la publication"),
    "publication.updated": _("a modifié la publication"),
    "publication.submitted": _("a envoyé la publication en validation"),
    "publication.approved": _("a approuvé la publication"),
    "publication.rejected": _("a refusé la publication"),
    "publication.commented": _("a commenté la publication"),
    "publication.scheduled": _("a programmé la publication"),
    "publication.cancelled": _("a annulé la publication"),
    "publication.published": _("a publié"),
    "approval_link.issued": _("a généré un lien de validation"),
    "delivery.retried": _("a relancé une diffusion"),
    "delivery.resolved": _("a vérifié une diffusion"),
    "delivery.published": _("a publié sur le réseau"),
    "delivery.failed": _("a échoué à publier"),
    "delivery.unconfirmed": _("diffusion à vérifier"),
    "delivery.scheduled": _("diffusion reprogrammée"),
    "delivery.reconciled": _("a retrouvé la publication sur le réseau"),
    "delivery.reconcile_absent": _("a vérifié : publication absente du réseau, nouvel essai"),
    "authority.created": _("a créé la collectivité"),
    "member.added": _("a ajouté un membre"),
    "member.role_changed": _("a changé le rôle d'un membre"),
    "member.removed": _("a retiré un membre"),
    "channel.token_refreshed": _("a renouvelé le jeton d'un compte"),
    "approval_rule.set": _("a modifié une règle de validation"),
    "approval_rule.deleted": _("a rendu un compte à la règle de la collectivité"),
    "media.uploaded": _("a ajouté un média"),
    "channel.created": _("a ajouté un compte"),
    "channel.editorial_line": _("a modifié la ligne éditoriale d'un compte"),
    "channel.reconnected": _("a reconnecté un compte"),
    "channel.needs_reconnect": _("compte à reconnecter"),
}

OBJECT_TYPE_LABELS = {
    "publication": _("publication"),
    "delivery": _("diffusion"),
    "channel": _("compte"),
    "mediaasset": _("média"),
    "membership": _("membre"),
    "authority": _("collectivité"),
    "approvalrule": _("règle de validation"),
}


def publication_status_label(status: str) -> str:
    try:
        return str(PUBLICATION_STATUS_LABELS[P(status)])
    except ValueError:
        return status


def delivery_state_label(state: str) -> str:
    try:
        return str(DELIVERY_STATE_LABELS[D(state)])
    except ValueError:
        return state


def network_label(network: str) -> str:
    try:
        return NETWORK_LABELS[Network(network)]
    except ValueError:
        return network


def audit_verb_label(verb: str) -> str:
    return str(AUDIT_VERB_LABELS.get(verb, verb))
