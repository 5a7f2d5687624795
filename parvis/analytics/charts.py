"""Server-rendered SVG charts. Every label is escaped (handles come from networks); each chart comes with
its data as a table in the page, which is its text alternative."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085", "#7f6000", "#34495e")


@dataclass
class Series:
    label: str
    points: list[tuple[date, float]] = field(default_factory=list)


def fmt_number(value: float | None, decimals: int = 0) -> str:
    """French style: narrow no-break space for thousands, comma for decimals."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def fmt_percent(value: float | None, decimals: int = 2) -> str:
    return "—" if value is None else fmt_number(value * 100, decimals) + "\u202f%"


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = max(round(raw / magnitude) * magnitude, magnitude) if raw >= 1 else raw
    start = (lo // step) * step
    return [start + i * step for i in range(n + 2) if start + i * step <= hi + step]


def line_chart(series: list[Series], *, title: str, width: int = 720, height: int = 240,
               decimals: int = 0, chart_id: str = "chart") -> SafeString:
    pad_l, pad_r, pad_t, pad_b = 64, 16, 16, 36
    points = [p for s in series for p in s.points]
    if not points:
        return mark_safe("")
    days = sorted({d for d, _ in points})
    d0, d1 = days[0], days[-1]
    span = max((d1 - d0).days, 1)
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    margin = (hi - lo) * 0.08
    lo, hi = max(lo - margin, 0) if lo >= 0 else lo - margin, hi + margin
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(d):
        return pad_l + w * (d - d0).days / span

    def y(v):
        return pad_t + h * (1 - (v - lo) / (hi - lo))

    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="{chart_id}-t" '
           f'xmlns="http://www.w3.org/2000/svg" class="chart"><title id="{chart_id}-t">{escape(title)}</title>']
    for t in _ticks(lo, hi):
        if lo <= t <= hi:
            out.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>'
                       f'<text x="{pad_l - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" '
                       f'fill="#444">{escape(fmt_number(t, decimals))}</text>')
    for d in (d0, d0 + (d1 - d0) / 2, d1):
        out.append(f'<text x="{x(d):.1f}" y="{height - 12}" text-anchor="middle" font-size="11" '
                   f'fill="#444">{d:%d/%m/%Y}</text>')
    for i, s in enumerate(series):
        if not s.points:
            continue
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for j, (d, v) in enumerate(s.points))
        out.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"><title>{escape(s.label)}'
                   f'</title></path>')
        if len(s.points) == 1:
            d, v = s.points[0]
            out.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>')
    out.append("</svg>")
    return mark_safe("".join(out))


def bar_chart(rows: list[tuple[str, float | None, float | None]], *, title: str, labels: tuple[str, str],
              width: int = 720, decimals: int = 0, chart_id: str = "bars") -> SafeString:
    """Horizontal bars, two per row (this period, the previous one)."""
    rows = [r for r in rows if r[1] is not None or r[2] is not None]
    if not rows:
        return mark_safe("")
    bar, gap, pad_l, pad_r = 12, 14, 200, 90
    height = len(rows) * (2 * bar + gap) + 30
    top = max((v for r in rows for v in r[1:] if v is not None), default=1) or 1
    w = width - pad_l - pad_r
    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="{chart_id}-t" '
           f'xmlns="http://www.w3.org/2000/svg" class="chart"><title id="{chart_id}-t">{escape(title)}</title>']
    for i, color in enumerate(("#1f5fa8", "#9db7d6")):
        out.append(f'<rect x="{pad_l + i * 160}" y="4" width="10" height="10" fill="{color}"/>'
                   f'<text x="{pad_l + i * 160 + 14}" y="13" font-size="11" fill="#222">{escape(labels[i])}</text>')
    for n, (label, cur, prev) in enumerate(rows):
        y0 = 26 + n * (2 * bar + gap)
        out.append(f'<text x="{pad_l - 8}" y="{y0 + bar + 4}" text-anchor="end" font-size="12" '
                   f'fill="#222">{escape(label[:32])}</text>')
        for k, (value, color) in enumerate(((cur, "#1f5fa8"), (prev, "#9db7d6"))):
            if value is None:
                continue
            length = max(w * value / top, 1)
            out.append(f'<rect x="{pad_l}" y="{y0 + k * bar}" width="{length:.1f}" height="{bar - 1}" '
                       f'fill="{color}"/><text x="{pad_l + length + 4:.1f}" y="{y0 + k * bar + bar - 2}" '
                       f'font-size="10" fill="#222">{escape(fmt_number(value, decimals))}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))


def heat_color(share: float) -> str:
    """White to deep blue; `share` 0..1 of the best cell."""
    share = min(max(share, 0.0), 1.0)
    r = round(255 - share * (255 - 31))
    g = round(255 - share * (255 - 95))
    b = round(255 - share * (255 - 168))
    return f"#{r:02x}{g:02x}{b:02x}"
