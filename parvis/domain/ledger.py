"""What a network's answer means for a delivery: the ledger's policy, pure and table-tested.

The dispatcher passes the error code the connector raised; this module answers with the next state,
when to try again and the French message a community manager reads.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .states import DeliveryState

MAX_TRANSIENT_ATTEMPTS = 5
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=60)


@dataclass(frozen=True)
class Outcome:
    state: DeliveryState
    run_after: datetime | None = None
    message: str = ""
    channel_needs_reconnect: bool = False
    reconcile: bool = False  # look the post up on the network before anything else


MESSAGES_FR = {
    "rate_limited": "Le réseau limite le rythme des publications : nouvel essai programmé à {when}.",
    "auth_expired": (
        "La connexion au compte a expiré. Reconnectez le compte depuis « Comptes » : "
        "la publication partira dès la reconnexion."
    ),
    "content_rejected": "Le réseau a refusé le contenu. Corrigez la variante puis relancez : « {detail} »",
    "duplicate": "Le réseau indique que ce message existe déjà : vérification en cours, aucun nouvel envoi.",
    "transient": "Le réseau ne répond pas correctement ({detail}) : nouvel essai programmé à {when}.",
    "transient_exhausted": (
        "Le réseau a échoué {attempts} fois de suite ({detail}). Vérifiez l'état du réseau puis relancez."
    ),
    "outcome_unknown": (
        "La réponse du réseau n'est pas arrivée : Parvis vérifie sur le réseau si le message est en ligne "
        "avant tout nouvel essai."
    ),
    "permanent": "Le réseau a refusé la publication : « {detail} ». Corrigez puis relancez.",
    "reconcile_absent": "Vérification faite : le message n'est pas en ligne. Nouvel essai programmé.",
    "needs_human": (
        "Impossible de savoir si le message est en ligne sur ce réseau. Vérifiez sur le réseau, puis "
        "indiquez-le à Parvis (publié ou à renvoyer)."
    ),
}


def backoff(attempts: int, *, base: float = 5.0, cap: float = 900.0, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: attempt 1 waits up to 5 s, attempt 5 up to 80 s."""
    rng = rng or random.Random()
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


def after_error(code: str, *, now: datetime, attempts: int, detail: str = "",
                retry_after_s: float | None = None, rng: random.Random | None = None) -> Outcome:
    def when(moment: datetime) -> str:
        return moment.strftime("%H:%M:%S UTC")

    if code == "rate_limited":
        wait = timedelta(seconds=retry_after_s) if retry_after_s is not None else DEFAULT_RATE_LIMIT_WAIT
        at = now + wait
        return Outcome(DeliveryState.SCHEDULED, at, MESSAGES_FR["rate_limited"].format(when=when(at)))
    if code == "auth_expired":
        return Outcome(DeliveryState.SCHEDULED, now, MESSAGES_FR["auth_expired"], channel_needs_reconnect=True)
    if code == "content_rejected":
        return Outcome(DeliveryState.FAILED, None, MESSAGES_FR["content_rejected"].format(detail=detail))
    if code == "duplicate":
        return Outcome(DeliveryState.UNCONFIRMED, None, MESSAGES_FR["duplicate"], reconcile=True)
    if code == "transient":
        if attempts >= MAX_TRANSIENT_ATTEMPTS:
            return Outcome(
                DeliveryState.FAILED,
                None,
                MESSAGES_FR["transient_exhausted"].format(attempts=attempts, detail=detail),
            )
        at = now + backoff(attempts, rng=rng)
        return Outcome(DeliveryState.SCHEDULED, at, MESSAGES_FR["transient"].format(detail=detail, when=when(at)))
    if code == "permanent":
        return Outcome(DeliveryState.FAILED, None, MESSAGES_FR["permanent"].format(detail=detail))
    # outcome_unknown and anything unexpected: the request may have left, never blindly retry.
    return Outcome(DeliveryState.UNCONFIRMED, None, MESSAGES_FR["outcome_unknown"], reconcile=True)
