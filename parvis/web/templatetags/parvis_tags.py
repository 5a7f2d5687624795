from django import template

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
        return labels.DELIVERY_ADVICE.get(labels.D(state), "")
    except ValueError:
        return ""


@register.filter
def filesize_fr(n) -> str:
    if n is None:
        return "—"
    n = int(n)
    if n < 1000:
        return f"{n} o"
    if n < 1_000_000:
        return f"{n / 1000:.0f} ko".replace(".", ",")
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.1f} Mo".replace(".", ",")
    return f"{n / 1_000_000_000:.2f} Go".replace(".", ",")


@register.filter
def duration_fr(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = round(float(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min {sec:02d} s" if hours else f"{minutes} min {sec:02d} s"


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)
