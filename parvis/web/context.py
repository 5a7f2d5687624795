import logging
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("parvis.web")

STATIC_CREDIT = _("Données : découpage administratif (Etalab), Licence Ouverte")


@lru_cache(maxsize=1)
def reference_credit() -> str:
    """The reference data's credit line; a static line if the reference module cannot load."""
    try:
        from parvis.organisations.reference import credit

        return credit() or STATIC_CREDIT
    except Exception:  # the footer must never break a page
        log.warning("reference credit unavailable", exc_info=True)
        return STATIC_CREDIT


def parvis(request):
    """Template context shared by every page."""
    return {
        "PARVIS_PUBLIC_URL": settings.PUBLIC_URL,
        "REFERENCE_CREDIT": reference_credit(),
        "STATIC_CREDIT": STATIC_CREDIT,
    }
