"""The monthly report for the elected officials: data assembly, PDF (fpdf2, charts drawn on the page), CSV
of every table, and the e-mail of the 2nd of each month."""

from __future__ import annotations

import csv
import io
import logging
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.core.mail import EmailMessage
from django.db import DatabaseError
from django.utils import timezone

from parvis.domain import kpi
from parvis.organisations.models import Authority
from parvis.publishing.models import PublicationMedia

from . import queries
from .charts import fmt_number, fmt_percent
from .models import ReportSettings

log = logging.getLogger("parvis.analytics")

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
TOP_PUBLICATIONS = 5


def month_label(period: kpi.Period) -> str:
    return f"{MONTHS_FR[period.start.month - 1]} {period.start.year}"


def parse_month(text: str) -> kpi.Period:
    try:
        year, month = (int(x) for x in text.split("-"))
        return kpi.month_period(year, month)
    except (ValueError, TypeError):
        raise ValueError(f"Mois invalide : « {text} » (attendu AAAA-MM, par exemple 2026-03).") from None


@dataclass
class TopPublication:
    title: str
    network: str
    handle: str
    published_at: datetime
    interactions: float | None
    impressions: float | None
    per_follower: float | None
    url: str
    thumbnail: str | None  # a local image file, when the publication carries one


@dataclass
class Moderation:
    comments: int
    hidden: int
    deleted: int
    questions: int
    questions_answered: int
    median_response_hours: float | None
    previous_comments: int

    @property
    def hidden_share(self) -> float | None:
        return kpi.ratio(self.hidden, self.comments)


@dataclass
class MonthlyReport:
    authority: Authority
    period: kpi.Period
    previous: kpi.Period
    channels: list[queries.ChannelFigures]
    totals: dict[str, queries.Compared]
    top: list[TopPublication]
    moderation: Moderation | None
    followers_series: list[tuple[date, float]]
    highlights: list[str] = field(default_factory=list)
    generated_at: datetime | None = None

    @property
    def label(self) -> str:
        return month_label(self.period)

    @property
    def previous_label(self) -> str:
        return month_label(self.previous)


def _thumbnails(publication_ids: list[int]) -> dict[int, str]:
    out = {}
    for pm in (PublicationMedia.objects.filter(publication_id__in=publication_ids, asset__kind="image")
               .select_related("asset").order_by("publication_id", "position")):
        if pm.publication_id in out:
            continue
        try:
            path = pm.asset.file.path
        except (NotImplementedError, ValueError):
            continue
        if os.path.exists(path):
            out[pm.publication_id] = path
    return out


def moderation_figures(authority: Authority, period: kpi.Period, previous: kpi.Period) -> Moderation | None:
    """Comments, hidden share and questions answered, from the inbox; None where there is no inbox."""
    if not apps.is_installed("parvis.inbox"):
        return None
    try:
        Comment = apps.get_model("inbox", "Comment")
        tz = authority.tz
        a, b = queries._bounds(period, tz)
        pa, pb = queries._bounds(previous, tz)
        rows = Comment.objects.filter(authority=authority, created_at__gte=a, created_at__lt=b)
        hidden = rows.filter(status="hidden").count() + rows.filter(hidden_on_network=True).exclude(
            status="hidden").count()
        questions = rows.filter(labels_text__contains="question")
        answered = list(questions.filter(answered_at__isnull=False).values_list("created_at", "answered_at"))
        delays = sorted((ans - asked).total_seconds() / 3600 for asked, ans in answered)
        median = None
        if delays:
            mid = len(delays) // 2
            median = delays[mid] if len(delays) % 2 else (delays[mid - 1] + delays[mid]) / 2
        return Moderation(
            comments=rows.count(), hidden=hidden, deleted=rows.filter(status="deleted").count(),
            questions=questions.count(), questions_answered=len(answered), median_response_hours=median,
            previous_comments=Comment.objects.filter(authority=authority, created_at__gte=pa,
                                                     created_at__lt=pb).count(),
        )
    except (LookupError, DatabaseError, ValueError) as exc:  # an inbox without these fields: no section
        log.warning("moderation figures unavailable: %s", exc)
        return None


def build_monthly(authority: Authority, month: str | kpi.Period, *, now: datetime | None = None) -> MonthlyReport:
    period = parse_month(month) if isinstance(month, str) else month
    previous = kpi.previous_month(period)
    channels = queries.channels_of(authority)
    figures = queries.channel_figures(authority, channels, period, previous=previous)
    totals = queries.totals(figures)
    ranked = list(queries.ranked_publications(authority, period, by="interactions", limit=TOP_PUBLICATIONS))
    thumbs = _thumbnails([s.delivery.publication_id for s in ranked])
    top = [TopPublication(
        title=s.delivery.publication.title, network=s.channel.network_label, handle=s.channel.handle,
        published_at=s.published_at, interactions=s.interactions, impressions=s.impressions,
        per_follower=kpi.engagement_per_follower(s.interactions, s.followers), url=s.delivery.remote_url,
        thumbnail=thumbs.get(s.delivery.publication_id)) for s in ranked]
    series = queries.daily_series([c.id for c in channels], "followers", period.start, period.end)
    report = MonthlyReport(authority, period, previous, figures, totals, top,
                           moderation_figures(authority, period, previous), queries.summed_series(series),
                           generated_at=now or timezone.now())
    report.highlights = highlights(report)
    return report


def _signed(value: float, decimals: int = 0) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + fmt_number(abs(value), decimals)


def _change_words(change: kpi.Change, empty: str = "pas de comparaison possible") -> str:
    """"+120 (+3,4 %)"; the relative part only where it means something; words when nothing compares."""
    if change.delta is None:
        return empty
    text = _signed(change.delta)
    if change.relative is not None:
        text += f" ({_signed(change.relative * 100, 1)} %)"
    return text


def highlights(r: MonthlyReport) -> list[str]:
    out = []
    t = r.totals
    if t["followers"].current is not None:
        out.append(f"{fmt_number(t['followers'].current)} abonnés au total fin {r.label} "
                   f"({_change_words(t['followers'].previous)} par rapport à fin {r.previous_label}).")
    out.append(f"{fmt_number(t['posts'].current)} publications en {r.label} "
               f"({_change_words(t['posts'].previous)} par rapport à {r.previous_label}).")
    if t["interactions"].current is not None:
        out.append(f"{fmt_number(t['interactions'].current)} interactions "
                   f"({_change_words(t['interactions'].previous)} par rapport à {r.previous_label}).")
    if r.top:
        best = r.top[0]
        out.append(f"Publication la plus commentée, aimée ou partagée : « {best.title} » sur {best.network} "
                   f"({fmt_number(best.interactions)} interactions).")
    scored = [c for c in r.channels if c.score and c.score.total is not None]
    if scored:
        top = max(scored, key=lambda c: c.score.total)
        out.append(f"Meilleur score de présence : {top.channel.network_label} ({top.channel.handle}), "
                   f"{fmt_number(top.score.total)}/100.")
    if r.moderation and r.moderation.questions:
        out.append(f"{r.moderation.questions_answered} question(s) d'habitants sur {r.moderation.questions} "
                   "ont reçu une réponse.")
    return out


# --- tables (the web page, the PDF and the CSV files share them) ----------------------------------------


def tables(r: MonthlyReport) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """name → (title, headers, rows of formatted text)."""
    cur, prev = r.label, r.previous_label
    synth = []
    for key, label in (("followers", "Abonnés (fin de mois)"), ("follower_growth", "Nouveaux abonnés (solde)"),
                       ("posts", "Publications"), ("interactions", "Interactions"),
                       ("impressions", "Impressions (vues)"), ("reach", "Portée (somme quotidienne)"),
                       ("video_views", "Vues de vidéo"), ("story_views", "Vues de stories")):
        c = r.totals[key]
        if c.current is None and c.previous.reference is None:
            continue
        synth.append([label, fmt_number(c.current), fmt_number(c.previous.reference),
                      _change_words(c.previous, "—")])
    networks = []
    for f in r.channels:
        g = f.figures
        networks.append([
            f.channel.network_label, f.channel.handle, fmt_number(g["followers"].current),
            _change_words(g["followers"].previous, "—"), fmt_number(g["posts"].current),
            fmt_number(g["interactions"].current), fmt_percent(g["per_follower"].current),
            fmt_percent(g["per_impression"].current), fmt_percent(g["per_reach"].current),
            fmt_number(f.score.total) if f.score and f.score.total is not None else "—",
        ])
    top = [[p.title, p.network, p.published_at.astimezone(r.authority.tz).strftime("%d/%m/%Y %H:%M"),
            fmt_number(p.interactions), fmt_number(p.impressions), fmt_percent(p.per_follower)] for p in r.top]
    out = {
        "synthese": (f"Synthèse — {cur} comparé à {prev}", ["Mesure", cur, prev, "Différence"], synth),
        "reseaux": ("Chiffres par réseau", ["Réseau", "Compte", "Abonnés", f"Évolution depuis {prev}",
                                             "Publications", "Interactions", "Engagement / abonné",
                                             "Engagement / impression", "Engagement / portée", "Score /100"],
                    networks),
        "publications": ("Publications les plus engageantes", ["Publication", "Réseau", "Date", "Interactions",
                                                                "Impressions", "Engagement / abonné"], top),
    }
    m = r.moderation
    if m is not None:
        out["moderation"] = ("Conversation et modération", ["Mesure", cur], [
            ["Commentaires et mentions reçus", fmt_number(m.comments)],
            [f"… en {prev}", fmt_number(m.previous_comments)],
            ["Commentaires masqués", fmt_number(m.hidden)],
            ["Part de commentaires masqués", fmt_percent(m.hidden_share, 1)],
            ["Commentaires supprimés", fmt_number(m.deleted)],
            ["Questions d'habitants", fmt_number(m.questions)],
            ["Questions ayant reçu une réponse", fmt_number(m.questions_answered)],
            ["Délai médian de réponse (heures)", fmt_number(m.median_response_hours, 1)],
        ])
    return out


def table_csv(title: str, headers: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")  # French spreadsheets expect ";"
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_safe(c) for c in row])
    return buf.getvalue()


def _csv_safe(cell: str) -> str:
    """No formula injection from a publication title: a cell starting with = + - @ is quoted as text."""
    cell = str(cell).replace("\u202f", " ")
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and not cell[1:2].isdigit() else cell


# --- PDF ------------------------------------------------------------------------------------------------

FONT_DIRS = [os.environ.get("PARVIS_PDF_FONT_DIR", ""), "/usr/share/fonts/truetype/dejavu",
             "/usr/share/fonts/dejavu", "/usr/local/share/fonts"]
BLUE = (31, 95, 168)
# Narrow PDF columns: the web page and the CSV keep the long headers.
SHORT_HEADERS = {"Publications": "Publ.", "Interactions": "Inter.", "Engagement / abonné": "Eng. / abonné",
                 "Engagement / impression": "Eng. / impr.", "Engagement / portée": "Eng. / portée",
                 "Score /100": "Score"}
LIGHT = (157, 183, 214)
GREY = (90, 90, 90)


def _font_files() -> tuple[str, str] | None:
    for d in FONT_DIRS:
        if d and os.path.exists(os.path.join(d, "DejaVuSans.ttf")) and os.path.exists(
                os.path.join(d, "DejaVuSans-Bold.ttf")):
            return os.path.join(d, "DejaVuSans.ttf"), os.path.join(d, "DejaVuSans-Bold.ttf")
    return None


class _Pdf:
    def __init__(self, report: MonthlyReport):
        from fpdf import FPDF

        self.r = report
        pdf = self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_margins(16, 16, 16)
        fonts = _font_files()
        if fonts:
            pdf.add_font("body", "", fonts[0])
            pdf.add_font("body", "B", fonts[1])
            self.unicode = True
        else:  # no TrueType font on this machine: the core font, Latin-1 only
            self.unicode = False
        self.family = "body" if fonts else "helvetica"
        pdf.set_title(f"Rapport mensuel {report.authority.name} {report.label}")
        pdf.set_author("Parvis")
        pdf.set_lang("fr")
        footer_text = (f"{report.authority.name} · rapport de {report.label} · généré par Parvis le "
                       f"{(report.generated_at or timezone.now()).astimezone(report.authority.tz):%d/%m/%Y}")
        outer = self

        def footer():
            pdf.set_y(-12)
            outer.font(8, color=GREY)
            pdf.cell(0, 5, outer.t(footer_text), align="L")
            pdf.set_x(-30)
            pdf.cell(14, 5, f"{pdf.page_no()}/{{nb}}", align="R")

        pdf.footer = footer

    def t(self, text: str) -> str:
        if self.unicode:
            return text
        text = text.replace("\u202f", " ").replace("’", "'").replace("…", "...").replace("œ", "oe").replace(
            "−", "-").replace("·", "-")
        return unicodedata.normalize("NFKC", text).encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, color=(20, 20, 20)):
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def heading(self, text: str, size: float = 14):
        pdf = self.pdf
        if pdf.get_y() > 250:
            pdf.add_page()
        pdf.ln(3)
        self.font(size, True, BLUE)
        pdf.multi_cell(0, 7, self.t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def para(self, text: str, size: float = 10, color=(20, 20, 20)):
        self.font(size, color=color)
        self.pdf.multi_cell(0, 5, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def bullet(self, text: str, size: float = 10):
        pdf = self.pdf
        self.font(size)
        pdf.set_x(pdf.l_margin + 2)
        pdf.cell(5, 5.2, self.t("•"))
        pdf.multi_cell(pdf.epw - 7, 5.2, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def table(self, headers: list[str], rows: list[list[str]], widths: list[float], size: float = 8,
              left: int = 1):
        pdf = self.pdf
        if not rows:
            self.para("Aucune donnée pour ce mois.", 9, GREY)
            return
        from fpdf.fonts import FontFace

        self.font(size)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(col_widths=widths, text_align=["LEFT"] * left + ["RIGHT"] * (len(headers) - left),
                       line_height=4.2, padding=1.2, first_row_as_headings=True,
                       headings_style=FontFace(emphasis="BOLD", color=BLUE, size_pt=size),
                       borders_layout="HORIZONTAL_LINES", cell_fill_mode="NONE") as table:
            row = table.row()
            for h in headers:
                row.cell(self.t(SHORT_HEADERS.get(h, h)))
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(self.t(str(v)))
        pdf.ln(2)

    def line_chart(self, points: list[tuple[date, float]], title: str, h: float = 48):
        pdf = self.pdf
        if len(points) < 2:
            return
        if pdf.get_y() + h + 12 > 279:
            pdf.add_page()
        self.font(9, True)
        pdf.cell(0, 5, self.t(title), new_x="LMARGIN", new_y="NEXT")
        x0, y0, w = pdf.l_margin + 18, pdf.get_y() + 2, pdf.epw - 22
        values = [v for _, v in points]
        lo, hi = min(values), max(values)
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.1
        lo, hi = lo - pad, hi + pad
        d0, span = points[0][0], max((points[-1][0] - points[0][0]).days, 1)

        def xy(d, v):
            return x0 + w * (d - d0).days / span, y0 + h * (1 - (v - lo) / (hi - lo))

        pdf.set_draw_color(210, 210, 210)
        self.font(7, color=GREY)
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            y = xy(d0, v)[1]
            pdf.line(x0, y, x0 + w, y)
            pdf.set_xy(pdf.l_margin - 2, y - 2)
            pdf.cell(19, 4, self.t(fmt_number(v)), align="R")
        pdf.set_draw_color(*BLUE)
        pdf.set_line_width(0.6)
        pdf.polyline([xy(d, v) for d, v in points])
        pdf.set_line_width(0.2)
        for d in (points[0][0], points[len(points) // 2][0], points[-1][0]):
            x, _ = xy(d, lo)
            pdf.set_xy(x - 10, y0 + h + 1)
            pdf.cell(20, 4, d.strftime("%d/%m"), align="C")
        pdf.set_xy(pdf.l_margin, y0 + h + 7)

    def bar_chart(self, rows: list[tuple[str, float | None, float | None]], title: str, labels: tuple[str, str]):
        pdf = self.pdf
        rows = [r for r in rows if r[1] is not None or r[2] is not None]
        if not rows:
            return
        bar = 3.2
        h = len(rows) * (2 * bar + 2.5) + 8
        if pdf.get_y() + h + 8 > 279:
            pdf.add_page()
        self.font(9, True)
        pdf.cell(0, 5, self.t(title), new_x="LMARGIN", new_y="NEXT")
        x0, w = pdf.l_margin + 55, pdf.epw - 75
        y = pdf.get_y() + 1
        for i, (label, color) in enumerate(zip(labels, (BLUE, LIGHT), strict=True)):
            pdf.set_fill_color(*color)
            pdf.rect(x0 + i * 50, y, 3, 3, style="F")
            self.font(7, color=GREY)
            pdf.set_xy(x0 + i * 50 + 4, y - 0.5)
            pdf.cell(40, 4, self.t(label))
        y += 6
        top = max((v for r in rows for v in r[1:] if v is not None), default=1) or 1
        for label, cur, prev in rows:
            self.font(7.5)
            pdf.set_xy(pdf.l_margin, y + bar - 2)
            pdf.cell(53, 4, self.t(label[:38]), align="R")
            for k, (value, color) in enumerate(((cur, BLUE), (prev, LIGHT))):
                if value is None:
                    continue
                length = max(w * value / top, 0.3)
                pdf.set_fill_color(*color)
                pdf.rect(x0, y + k * bar, length, bar - 0.4, style="F")
                self.font(6.5, color=GREY)
                pdf.set_xy(x0 + length + 1, y + k * bar - 0.5)
                pdf.cell(20, bar, self.t(fmt_number(value)))
            y += 2 * bar + 2.5
        pdf.set_xy(pdf.l_margin, y + 2)

    def publications(self, top: list[TopPublication]):
        pdf = self.pdf
        if not top:
            self.para("Aucune publication mesurée ce mois-ci.", 9, GREY)
            return
        for p in top:
            if pdf.get_y() > 255:
                pdf.add_page()
            y = pdf.get_y()
            text_x = pdf.l_margin
            if p.thumbnail:
                try:
                    pdf.image(p.thumbnail, x=pdf.l_margin, y=y, h=18, keep_aspect_ratio=True, w=24)
                    text_x = pdf.l_margin + 27
                except Exception:  # noqa: BLE001 — an unreadable image must not cost the whole report
                    log.warning("thumbnail unreadable: %s", p.thumbnail)
            pdf.set_xy(text_x, y)
            self.font(9.5, True)
            pdf.multi_cell(pdf.epw - (text_x - pdf.l_margin), 5, self.t(p.title), new_x="LEFT", new_y="NEXT",
                           align="L")
            self.font(8.5, color=GREY)
            pdf.set_x(text_x)
            when = p.published_at.astimezone(self.r.authority.tz).strftime("%d/%m/%Y à %H:%M")
            figures = [f"{fmt_number(v)} {label}" for v, label in ((p.interactions, "interactions"),
                                                                    (p.impressions, "impressions")) if v is not None]
            if p.per_follower is not None:
                figures.append(f"engagement par abonné {fmt_percent(p.per_follower)}")
            pdf.multi_cell(pdf.epw - (text_x - pdf.l_margin), 4.5, self.t(
                f"{p.network} · {p.handle} · {when} — {', '.join(figures)}"), new_x="LMARGIN", new_y="NEXT",
                align="L")
            pdf.set_y(max(pdf.get_y(), y + (20 if text_x != pdf.l_margin else 0)) + 2)

    def render(self) -> bytes:
        r, pdf = self.r, self.pdf
        pdf.add_page()
        self.font(20, True, BLUE)
        pdf.multi_cell(0, 9, self.t(f"Rapport mensuel — {r.authority.name}"), new_x="LMARGIN", new_y="NEXT")
        self.font(13, True)
        pdf.cell(0, 7, self.t(r.label.capitalize()), new_x="LMARGIN", new_y="NEXT")
        self.para(f"Du {r.period.start:%d/%m/%Y} au {r.period.end:%d/%m/%Y}, comparé à {r.previous_label}. "
                  "Réseaux sociaux de la collectivité : chiffres relevés chaque jour par Parvis.", 9, GREY)
        self.heading("Les faits marquants")
        for line in r.highlights:
            self.bullet(line)
        tabs = tables(r)
        self.heading(tabs["synthese"][0])
        self.table(tabs["synthese"][1], tabs["synthese"][2], [60, 35, 35, 48], size=9)
        self.line_chart(r.followers_series, f"Abonnés, tous comptes confondus, en {r.label}")
        self.bar_chart([(f"{c.channel.network_label} · {c.channel.handle}", c.figures["interactions"].current,
                         c.figures["interactions"].previous.reference) for c in r.channels],
                       "Interactions par compte", (r.label, r.previous_label))
        title, headers, rows = tabs["reseaux"]
        self.heading(title)
        self.table(headers, rows, [18, 30, 16, 24, 13, 15, 16, 16, 16, 12], size=7, left=2)
        self.para("Engagement par abonné = interactions ÷ abonnés (moyenne des publications du mois) ; "
                  "par impression = interactions ÷ impressions ; par portée = interactions ÷ portée, sur les "
                  "publications dont le réseau donne ces chiffres. « — » : le réseau ne donne pas ce chiffre. "
                  "Score /100 : engagement par abonné (poids 5), abonnés pour 1 000 habitants (4), publications "
                  "par jour (3), nombre d'abonnés (2), abonnés ÷ abonnements (1).", 7.5, GREY)
        self.heading(tabs["publications"][0])
        self.publications(r.top)
        if "moderation" in tabs:
            title, headers, rows = tabs["moderation"]
            self.heading(title)
            self.table(headers, rows, [110, 40], size=9)
        return bytes(pdf.output())


def render_pdf(report: MonthlyReport) -> bytes:
    return _Pdf(report).render()


def write_pdf(authority: Authority, month: str, out: str | Path) -> MonthlyReport:
    report = build_monthly(authority, month)
    Path(out).write_bytes(render_pdf(report))
    return report


# --- e-mail ---------------------------------------------------------------------------------------------


def send_report(authority: Authority, month: str) -> int:
    """Send the report of `month` (AAAA-MM) to the authority's list. Returns the number of recipients."""
    settings_row = ReportSettings.objects.filter(authority=authority).first()
    recipients = list(settings_row.recipients) if settings_row else []
    if not recipients:
        return 0
    report = build_monthly(authority, month)
    body = "\n".join([
        "Bonjour,",
        "",
        f"Voici le rapport mensuel des réseaux sociaux de {authority.name} pour {report.label}.",
        "",
        "Les faits marquants :",
        *[f"- {line.replace(chr(0x202f), ' ')}" for line in report.highlights],
        "",
        "Le rapport complet (chiffres par réseau, publications les plus engageantes, modération) est en pièce "
        "jointe au format PDF.",
        "",
        "— Parvis",
    ])
    message = EmailMessage(
        subject=" ".join(f"[Parvis] Rapport mensuel {authority.name} — {report.label}".split()),
        body=body, to=recipients)
    message.attach(f"parvis-rapport-{authority.slug}-{month}.pdf", render_pdf(report), "application/pdf")
    message.send(fail_silently=False)
    return len(recipients)


def month_to_report(now: datetime, tz) -> str | None:
    """From the 2nd of a month (local time), last month's report is due."""
    local = now.astimezone(tz).date()
    if local.day < 2:
        return None
    last = local.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def send_due_reports(now: datetime) -> int:
    sent = 0
    for row in ReportSettings.objects.filter(enabled=True).select_related("authority"):
        month = month_to_report(now, row.authority.tz)
        if not row.recipients or month is None or row.last_sent_month >= month:
            continue
        # Claim the month first: a second clock finds nothing to claim.
        if not ReportSettings.objects.filter(pk=row.pk, last_sent_month=row.last_sent_month).update(
                last_sent_month=month):
            continue
        try:
            sent += send_report(row.authority, month)
        except Exception:  # noqa: BLE001 — give the month back so that the next hour retries
            log.exception("monthly report of %s failed", row.authority.slug)
            ReportSettings.objects.filter(pk=row.pk, last_sent_month=month).update(
                last_sent_month=row.last_sent_month)
    return sent
