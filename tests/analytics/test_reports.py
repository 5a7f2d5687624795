"""The monthly report: its numbers are the database's, the PDF says them, the mail leaves on the 2nd."""

import io
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from parvis.analytics import reports
from parvis.analytics.charts import fmt_number
from parvis.analytics.models import ReportSettings
from parvis.publishing.models import MediaAsset, PublicationMedia
from tests.analytics.conftest import daily, published
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

FEB, MARCH = date(2026, 2, 1), date(2026, 3, 1)


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def n(value) -> str:
    return fmt_number(value).replace("\u202f", " ")


@pytest.fixture
def history(authority, channels):
    """February and March 2026 on Facebook; Mastodon gives followers only."""
    fb, masto = channels["facebook"], channels["mastodon"]
    daily(fb, "followers", FEB, [10_000 + 10 * i for i in range(59)])  # 1 Feb → 31 Mar
    daily(fb, "impressions", FEB, [1_000.0] * 28 + [1_500.0] * 31)
    daily(masto, "followers", FEB, [2_000 + i for i in range(59)])
    pubs = []
    for i, (inter, imp) in enumerate([(120, 2_000), (80, 1_000), (300, 4_000)]):
        pubs.append(published(fb, datetime(2026, 3, 5 + i, 9, 0, tzinfo=UTC), title=f"Marché de Pâques {i}",
                              stats={"interactions": inter, "impressions": imp, "followers": 10_300}))
    published(fb, datetime(2026, 2, 10, 9, 0, tzinfo=UTC), title="Vœux février",
              stats={"interactions": 50, "impressions": 800, "followers": 10_100})
    published(masto, datetime(2026, 3, 20, 18, 0, tzinfo=UTC), title="Travaux rue Gambetta",
              stats={"interactions": 7, "followers": 2_040})
    return pubs


def test_report_figures_come_from_the_history(authority, history):
    r = reports.build_monthly(authority, "2026-03")
    t = r.totals
    assert t["followers"].current == 10_580 + 2_058  # last day of March, both channels
    assert t["followers"].previous.reference == 10_270 + 2_027  # last day of February
    assert t["posts"].current == 4 and t["posts"].previous.reference == 1
    assert t["interactions"].current == 120 + 80 + 300 + 7
    fb = next(c for c in r.channels if c.channel.network == "facebook")
    assert fb.figures["impressions"].current == 31 * 1_500
    assert fb.figures["per_impression"].current == pytest.approx(500 / 7_000)
    masto = next(c for c in r.channels if c.channel.network == "mastodon")
    assert masto.figures["per_impression"].current is None  # Mastodon gives no impressions
    assert [p.title for p in r.top][:2] == ["Marché de Pâques 2", "Marché de Pâques 0"]
    assert any("Marché de Pâques 2" in h for h in r.highlights)


def test_the_pdf_says_the_database_numbers(authority, history):
    r = reports.build_monthly(authority, "2026-03")
    data = reports.render_pdf(r)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Rapport mensuel — Arras" in text and "Mars 2026" in text
    for value in (12_638, 12_297, 507, 46_500, 300):  # followers end / start, interactions, impressions, best post
        assert n(value) in text, value
    assert "Marché de Pâques 2" in text and "Travaux rue Gambetta" not in text.split("Publications les plus")[0]
    assert "comparé à février 2026" in text
    assert "+341 (+2,8 %)" in text  # followers: a real difference, with its relative change


def test_the_pdf_shows_thumbnails_when_media_exist(authority, history, settings, tmp_path):
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "media" / "marche.png"
    path.parent.mkdir(parents=True)
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path)
    asset = MediaAsset.objects.create(authority=authority, file="media/marche.png", original_name="marche.png",
                                      kind="image", mime_type="image/png", size_bytes=path.stat().st_size)
    PublicationMedia.objects.create(publication=history[2].publication, asset=asset)
    r = reports.build_monthly(authority, "2026-03")
    assert r.top[0].thumbnail == str(path)
    reader = PdfReader(io.BytesIO(reports.render_pdf(r)))
    assert sum(len(page.images) for page in reader.pages) == 1


def test_every_table_exports_as_csv(authority, history):
    tabs = reports.tables(reports.build_monthly(authority, "2026-03"))
    assert {"synthese", "reseaux", "publications", "moderation"} <= set(tabs)
    title, headers, rows = tabs["publications"]
    text = reports.table_csv(title, headers, rows)
    assert text.splitlines()[0].startswith("Publication;Réseau;Date;Interactions")
    assert "Marché de Pâques 2;Facebook;05/03/2026" not in text  # ordered by interactions: index 2 is 7 March
    assert text.splitlines()[1].startswith("Marché de Pâques 2;Facebook;07/03/2026 10:00;300")


def test_a_formula_in_a_title_stays_text_in_csv():
    assert reports._csv_safe("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert reports._csv_safe("-12") == "-12"


def test_moderation_figures_from_the_inbox(authority, channels, history):
    from parvis.inbox.models import Comment, CommentAuthor

    fb = channels["facebook"]
    author = CommentAuthor.objects.create(authority=authority, channel=fb, remote_id="u1", name="Camille")
    t = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    for i, (status, labels, answered) in enumerate([("done", "question", t + timedelta(hours=2)),
                                                    ("done", "question", t + timedelta(hours=6)),
                                                    ("new", "question", None), ("hidden", "insult", None),
                                                    ("new", "", None)]):
        Comment.objects.create(authority=authority, channel=fb, remote_id=f"c{i}", author=author, text="…",
                               created_at=t, fetched_at=t, status=status, labels_text=labels, answered_at=answered)
    m = reports.build_monthly(authority, "2026-03").moderation
    assert (m.comments, m.hidden, m.questions, m.questions_answered) == (5, 1, 3, 2)
    assert m.hidden_share == pytest.approx(0.2) and m.median_response_hours == pytest.approx(4)


def test_without_inbox_the_section_is_left_out(authority, history, monkeypatch):
    monkeypatch.setattr(reports.apps, "is_installed", lambda name: name != "parvis.inbox")
    r = reports.build_monthly(authority, "2026-03")
    assert r.moderation is None and "moderation" not in reports.tables(r)
    assert "Conversation et modération" not in pdf_text(reports.render_pdf(r))


def test_an_empty_month_still_makes_a_report(authority, channels):
    r = reports.build_monthly(authority, "2025-06")
    assert r.totals["followers"].current is None
    assert "Aucune publication mesurée" in pdf_text(reports.render_pdf(r))


@pytest.mark.parametrize("text", ["2026-13", "mars", "", "2026-3-1"])
def test_a_bad_month_is_refused_in_french(text):
    with pytest.raises(ValueError, match="AAAA-MM"):
        reports.parse_month(text)


def test_the_command_writes_the_pdf(authority, history, tmp_path):
    out = tmp_path / "rapport.pdf"
    call_command("report", "monthly", "--authority", "arras", "--month", "2026-03", "--out", str(out))
    assert n(12_638) in pdf_text(out.read_bytes())
    with pytest.raises(CommandError, match="introuvable"):
        call_command("report", "monthly", "--authority", "nulle-part", "--month", "2026-03", "--out", str(out))


# --- e-mail through a real SMTP server on loopback -------------------------------------------------------


def test_the_report_is_mailed_on_the_2nd_once(authority, history, smtp):
    ReportSettings.objects.create(authority=authority, recipients=["maire@arras.fr", "dircom@arras.fr"])
    assert reports.send_due_reports(datetime(2026, 4, 1, 12, 0, tzinfo=UTC)) == 0  # the 1st: not yet
    assert reports.send_due_reports(datetime(2026, 4, 1, 22, 30, tzinfo=UTC)) == 2  # 00:30 on the 2nd in Paris
    assert reports.send_due_reports(datetime(2026, 4, 2, 9, 0, tzinfo=UTC)) == 0  # once per month
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["dircom@arras.fr", "maire@arras.fr"]
    mail = message_from_bytes(envelope.original_content, policy=policy.default)
    assert mail["Subject"] == "[Parvis] Rapport mensuel Arras — mars 2026"
    body = mail.get_body(("plain",)).get_content()
    assert "Marché de Pâques 2" in body
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "parvis-rapport-arras-2026-03.pdf"
    assert n(12_638) in pdf_text(attachment.get_content())
    assert ReportSettings.objects.get(authority=authority).last_sent_month == "2026-03"


def test_a_failed_mail_is_retried_the_next_hour(authority, history, settings):
    ReportSettings.objects.create(authority=authority, recipients=["maire@arras.fr"])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody there
    assert reports.send_due_reports(datetime(2026, 4, 2, 9, 0, tzinfo=UTC)) == 0
    assert ReportSettings.objects.get(authority=authority).last_sent_month == ""


def test_no_recipients_no_mail(authority, history, smtp):
    ReportSettings.objects.create(authority=authority, recipients=[])
    assert reports.send_due_reports(datetime(2026, 4, 2, 9, 0, tzinfo=UTC)) == 0
    assert smtp.envelopes == []
