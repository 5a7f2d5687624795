"""Number formatting for the measures, French style; "—" for a figure the network does not give."""

from django import template

from parvis.analytics.charts import fmt_number, fmt_percent, heat_color

register = template.Library()



def _number(value):
    """A missing template variable arrives as "": it is an absent figure."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


@register.filter
def num(value, decimals=0):
    return fmt_number(_number(value), int(decimals))


@register.filter
def pct(value, decimals=2):
    return fmt_percent(_number(value), int(decimals))


@register.filter
def signed(value, decimals=0):
    value = _number(value)
    if value is None:
        return "—"
    text = fmt_number(abs(value), int(decimals))
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


@register.filter
def change_pct(change):
    """The relative change, or nothing when it would be meaningless (no reference, zero reference)."""
    rel = getattr(change, "relative", None)
    if rel is None:
        return ""
    return "(" + signed(rel * 100, 1) + "\u202f%)"


@register.filter
def points(value):
    """A change of a rate, in percentage points."""
    value = _number(value)
    if value is None:
        return "—"
    return signed(value * 100, 2) + "\u202fpt"


@register.filter
def heat(cell, max_mean):
    if cell is None or not max_mean:
        return "#ffffff"
    return heat_color(cell.mean / max_mean)


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
