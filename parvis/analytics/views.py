"""Pages of the measures. Every page starts with membership_for() (another authority is a 404)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.audit.actions import record
from parvis.domain import kpi
from parvis.domain.roles import Permission, can
from parvis.organisations.queries import authorities_of, membership_for, require

from . import charts, queries, reports
from .models import ReportSettings

PERIOD_CHOICES = (7, 30, 90, 365)
RATE_KEYS = ("per_impression", "per_reach", "per_follower")


def _page(request, template, membership, context):
    ctx = {"membership": membership, "authority": membership.authority,
           "perms_": {p.value: can(membership.role, p) for p in Permission},
           "nav_authorities": authorities_of(request.user)}
    ctx.update(context)
    return render(request, template, ctx)


def _today(authority) -> date:
    return timezone.now().astimezone(authority.tz).date()


def period_from(params, today: date) -> tuple[kpi.Period, str]:
    """?mois=AAAA-MM, ?du=…&au=…, or ?jours=7|30|90|365 (full days ending yesterday; 30 by default)."""
    if params.get("mois"):
        try:
            return reports.parse_month(params["mois"]), f"mois={params['mois']}"
        except ValueError:
            raise Http404("Mois invalide") from None
    if params.get("du") and params.get("au"):
        try:
            p = kpi.Period(date.fromisoformat(params["du"]), date.fromisoformat(params["au"]))
        except ValueError:
            raise Http404("Période invalide") from None
        if p.days > 3 * 366:
            raise Http404("Période trop longue")
        return p, f"du={p.start}&au={p.end}"
    try:
        days = int(params.get("jours", 30))
    except ValueError:
        days = 30
    days = days if days in PERIOD_CHOICES else 30
    end = today - timedelta(days=1)
    return kpi.Period(end - timedelta(days=days - 1), end), f"jours={days}"


def _chart_period(period: kpi.Period) -> tuple[date, date]:
    """Charts show at least 90 days, so that a week is seen in its context."""
    return min(period.start, period.end - timedelta(days=89)), period.end


def _context(authority, period: kpi.Period, query: str):
    return {"period": period, "previous": kpi.previous_period(period),
            "last_year": kpi.same_period_last_year(period), "query": query, "choices": PERIOD_CHOICES,
            "formulas": kpi.FORMULAS,
            "selected_days": int(query.split("=")[1]) if query.startswith("jours=") else None}


@login_required
def dashboard(request, slug):
    m = membership_for(request.user, slug)
    authority = m.authority
    period, query = period_from(request.GET, _today(authority))
    channels = queries.channels_of(authority)
    figures = queries.channel_figures(authority, channels, period)
    start, end = _chart_period(period)
    series = queries.daily_series([c.id for c in channels], "followers", start, end)
    total_followers = queries.summed_series(series)
    top = list(queries.ranked_publications(authority, period, by="interactions", limit=10))
    ctx = _context(authority, period, query) | {
        "figures": figures, "totals": queries.totals(figures), "top": top,
        "followers_points": total_followers,
        "followers_chart": charts.line_chart([charts.Series(_("Abonnés (tous comptes)"), total_followers)],
                                             title=_("Abonnés, tous comptes confondus"), chart_id="followers"),
        "interactions_chart": charts.bar_chart(
            [(f"{f.channel.network_label} · {f.channel.handle}", f.value("interactions"),
              f.figures["interactions"].previous.reference) for f in figures],
            title=_("Interactions par compte"), labels=(_("cette période"), _("période précédente")),
            chart_id="interactions"),
    }
    return _page(request, "analytics/dashboard.html", m, ctx)


@login_required
def channel_dashboard(request, slug, pk):
    m = membership_for(request.user, slug)
    authority = m.authority
    channel = queries.channel_of(authority, pk)
    period, query = period_from(request.GET, _today(authority))
    figures = queries.channel_figures(authority, [channel], period)[0]
    by = request.GET.get("tri", "interactions")
    ranked = list(queries.ranked_publications(authority, period, by=by, channel=channel, limit=20))
    start, end = _chart_period(period)
    followers = queries.daily_series([channel.id], "followers", start, end)[channel.id]
    impressions = queries.daily_series([channel.id], "impressions", start, end)[channel.id]
    own, peers = queries.heat_map(channel, timezone.now())
    shown = peers if own.too_thin and peers is not None and not peers.too_thin else own
    ctx = _context(authority, period, query) | {
        "channel": channel, "f": figures, "rankings": queries.RANKINGS, "by": by, "ranked": ranked,
        "rate_keys": RATE_KEYS,
        "followers_points": followers, "impressions_points": impressions,
        "followers_chart": charts.line_chart([charts.Series(_("Abonnés"), followers)], title=_("Abonnés"),
                                             chart_id="followers"),
        "impressions_chart": charts.line_chart([charts.Series(_("Impressions (vues) par jour"), impressions)],
                                               title=_("Impressions (vues) par jour"), chart_id="impressions"),
        "own_map": own, "peer_map": peers, "map": shown, "map_is_peers": shown is peers,
        "weekdays": [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"),
                     _("dimanche")],
        "hours": [f"{h:02d}" for h in range(24)],
    }
    return _page(request, "analytics/channel.html", m, ctx)


@login_required
def publication_metrics(request, slug, pk):
    m = membership_for(request.user, slug)
    stats = queries.publication_stats(m.authority, pk)
    milestones, curve = queries.figures_over_time(stats, stats.channel.network)
    points = [(t.astimezone(m.authority.tz).date(), v) for t, v in curve]
    ctx = {"stats": stats, "milestones": milestones, "curve": curve,
           "per_follower": kpi.engagement_per_follower(stats.interactions, stats.followers),
           "per_impression": kpi.engagement_per_impression(stats.interactions, stats.impressions),
           "per_reach": kpi.engagement_per_reach(stats.interactions, stats.reach),
           "formulas": kpi.FORMULAS,
           "chart": charts.line_chart([charts.Series(_("Interactions"), points)],
                                      title=_("Interactions depuis la publication"), chart_id="curve")}
    return _page(request, "analytics/publication.html", m, ctx)


def _csv_response(name: str, text: str) -> HttpResponse:
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
def export_csv(request, slug, table):
    """The dashboard's tables as CSV: accounts (figures per channel) or publications (ranked)."""
    m = membership_for(request.user, slug)
    authority = m.authority
    period, _query = period_from(request.GET, _today(authority))
    if table == "comptes":
        figures = queries.channel_figures(authority, queries.channels_of(authority), period)
        keys = ("followers", "follower_growth", "posts", "posts_per_day", "impressions", "reach", "interactions",
                "per_impression", "per_reach", "per_follower", "followers_per_1000")
        headers = ["reseau", "compte", *keys, "score"]
        rows = [[f.channel.network, f.channel.handle, *[_raw(f.value(k)) for k in keys],
                 _raw(f.score.total if f.score else None)] for f in figures]
    elif table == "publications":
        channel = queries.channel_of(authority, int(request.GET["compte"])) if request.GET.get(
            "compte", "").isdigit() else None
        ranked = queries.ranked_publications(authority, period, by=request.GET.get("tri", "interactions"),
                                             channel=channel, limit=None)
        headers = ["publication", "reseau", "compte", "publiee_le", "interactions", "impressions", "portee",
                   "jaime", "commentaires", "partages", "vues_video", "abonnes", "mesure"]
        rows = [[s.delivery.publication.title, s.channel.network, s.channel.handle,
                 s.published_at.astimezone(authority.tz).isoformat(), *[_raw(getattr(s, k)) for k in (
                     "interactions", "impressions", "reach", "likes", "comments", "shares", "video_views",
                     "followers", "measure")]] for s in ranked.iterator()]
    else:
        raise Http404("Tableau inconnu")
    return _csv_response(f"parvis-{authority.slug}-{table}-{period.start}-{period.end}",
                         reports.table_csv(table, headers, rows))


def _raw(value) -> str:
    return "" if value is None else f"{value:.6g}"


# --- monthly report -------------------------------------------------------------------------------------


def _months(authority, today: date, n: int = 12) -> list[tuple[str, str]]:
    out = []
    first = today.replace(day=1)
    for _i in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
        p = kpi.month_period(first.year, first.month)
        out.append((f"{first:%Y-%m}", reports.month_label(p)))
    return out


@login_required
def report_index(request, slug):
    m = membership_for(request.user, slug)
    settings_row = ReportSettings.objects.filter(authority=m.authority).first()
    return _page(request, "analytics/reports.html", m, {
        "months": _months(m.authority, _today(m.authority)), "settings_row": settings_row,
        "recipients_text": "\n".join(settings_row.recipients) if settings_row else "",
        "can_edit": can(m.role, Permission.MANAGE_MEMBERS)})


@login_required
@require_POST
def report_settings(request, slug):
    m = membership_for(request.user, slug)
    require(m, Permission.MANAGE_MEMBERS)
    raw = request.POST.get("recipients", "")
    addresses, bad = [], []
    for part in raw.replace(",", "\n").replace(";", "\n").splitlines():
        part = part.strip()
        if not part:
            continue
        try:
            validate_email(part)
            if part not in addresses:
                addresses.append(part)
        except ValidationError:
            bad.append(part)
    if bad:
        messages.error(request, _("Adresses e-mail invalides : %(list)s. Rien n'a été enregistré.")
                       % {"list": ", ".join(bad)})
        return redirect("analytics_reports", slug=slug)
    row, _created = ReportSettings.objects.get_or_create(authority=m.authority)
    before = {"recipients": row.recipients, "enabled": row.enabled}
    row.recipients, row.enabled = addresses, request.POST.get("enabled") == "on"
    row.save(update_fields=["recipients", "enabled"])
    record(m.authority, request.user, "report_settings.update", row, before=before,
           after={"recipients": row.recipients, "enabled": row.enabled})
    messages.success(request, _("Destinataires du rapport mensuel enregistrés."))
    return redirect("analytics_reports", slug=slug)


def _report(m, month: str):
    try:
        return reports.build_monthly(m.authority, month)
    except ValueError:
        raise Http404("Mois invalide") from None


@login_required
def report_month(request, slug, month):
    m = membership_for(request.user, slug)
    report = _report(m, month)
    ctx = {"report": report, "month": month, "tables": reports.tables(report),
           "followers_chart": charts.line_chart(
               [charts.Series(_("Abonnés"), report.followers_series)],
               title=_("Abonnés, tous comptes confondus"), chart_id="followers"),
           "interactions_chart": charts.bar_chart(
               [(f"{c.channel.network_label} · {c.channel.handle}", c.figures["interactions"].current,
                 c.figures["interactions"].previous.reference) for c in report.channels],
               title=_("Interactions par compte"), labels=(report.label, report.previous_label),
               chart_id="interactions")}
    return _page(request, "analytics/report.html", m, ctx)


@login_required
def report_pdf(request, slug, month):
    m = membership_for(request.user, slug)
    report = _report(m, month)
    response = HttpResponse(reports.render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="parvis-rapport-{m.authority.slug}-{month}.pdf"'
    return response


@login_required
def report_csv(request, slug, month, table):
    m = membership_for(request.user, slug)
    tabs = reports.tables(_report(m, month))
    if table not in tabs:
        raise Http404("Tableau inconnu")
    title, headers, rows = tabs[table]
    return _csv_response(f"parvis-rapport-{m.authority.slug}-{month}-{table}",
                         reports.table_csv(title, headers, rows))
