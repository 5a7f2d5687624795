from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from parvis.web import labels

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    return labels.publication_status_label(status)


@register.filter
def delivery_label(state: str) -> str:
    return labels.delivery_state_label(state)


@register.filter
def network_label(network: str) -> str:
    return labels.network_label(network)


@register.filter
def network_short(network: str) -> str:
    try:
        return labels.NETWORK_SHORT[labels.Network(network)]
    except ValueError:
        return network[:2]


@register.filter
def verb_label(verb: str) -> str:
    return labels.audit_verb_label(verb)


@register.filter
def delivery_advice(state: str) -> str:
    try:
        return str(labels.DELIVERY_ADVICE.get(labels.D(state), ""))
    except ValueError:
        return ""


@register.filter
def filesize_fr(n) -> str:
    if n is None:
        return "—"
    n = int(n)
    if n < 1000:
        return _("%(n)s o") % {"n": n}
    # number_format follows the active language: "1,5 Mo" in French, "1.5 MB" in English.
    if n < 1_000_000:
        return _("%(n)s ko") % {"n": f"{n / 1000:.0f}"}
    if n < 1_000_000_000:
        return _("%(n)s Mo") % {"n": number_format(n / 1_000_000, 1)}
    return _("%(n)s Go") % {"n": number_format(n / 1_000_000_000, 2)}


@register.filter
def duration_fr(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = round(float(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s h %(m)s min %(s)s s") % {"h": hours, "m": f"{minutes:02d}", "s": f"{sec:02d}"}
    return _("%(m)s min %(s)s s") % {"m": minutes, "s": f"{sec:02d}"}


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)
