"""The English interface: French by default, English through the language switcher, and a complete catalogue."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from parvis.domain.roles import Role
from parvis.publishing.models import Publication
from tests.web.helpers import page, publication

pytestmark = pytest.mark.django_db

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\{.*?\}\}")


@pytest.fixture(autouse=True)
def _french_afterwards():
    # LocaleMiddleware leaves the last request's language active in this thread: give French back.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english(client):
    """A client that chose English with the switcher of the page footer (POST /i18n/setlang/)."""
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/connexion/"})
    assert r.status_code == 302 and r["Location"] == "/connexion/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


def assert_words(html: str, *, present: list[str], absent: list[str]):
    missing = [w for w in present if w not in html]
    leftover = [w for w in absent if w in html]
    assert not missing and not leftover, f"missing: {missing}, still there: {leftover}"


# --- French stays the default -------------------------------------------------------------------


def test_french_is_the_default_without_cookie_or_header(client, members, channels):
    html = page(client.get("/connexion/"))
    assert '<html lang="fr">' in html
    assert_words(html, present=["Connexion", "Mot de passe", "Se connecter"], absent=["Log in", "Password"])
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = page(client.get("/a/arras/calendrier/"))
    assert_words(html, present=["Calendrier éditorial", "Nouvelle publication", "Lundi"],
                 absent=["Editorial calendar", "New publication", "Monday"])


def test_switching_back_to_french(english):
    english.post("/i18n/setlang/", {"language": "fr", "next": "/connexion/"})
    assert_words(page(english.get("/connexion/")), present=["Mot de passe"], absent=["Password"])


# --- English pages --------------------------------------------------------------------------------


def test_login_page_in_english(english):
    html = page(english.get("/connexion/"))
    assert '<html lang="en">' in html
    assert_words(html, present=["Log in", "Username", "Password", "Skip to content", "Language"],
                 absent=["Connexion", "Mot de passe", "Se connecter", "Aller au contenu"])
    # The switcher now shows English as the chosen language.
    assert re.search(r'<option value="en"\s+selected>English</option>', html)


def test_an_english_browser_still_gets_french_until_the_person_chooses(client):
    # French first: a town hall PC set up in English must not switch Parvis to English by itself.
    html = page(client.get("/connexion/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"))
    assert_words(html, present=["Mot de passe"], absent=["Password"])


def test_calendar_in_english(english, members, channels, authority):
    english.force_login(members[Role.COMMUNITY_MANAGER].user)
    month = page(english.get("/a/arras/calendrier/?date=2026-03-15"))
    assert_words(month, present=["Calendar", "Editorial calendar", "New publication", "Accounts", "Media library",
                                 "Monday", "Sunday", "March 2026", "Previous month", "All statuses", "Draft",
                                 "Times are shown in the local authority's time zone: Europe/Paris."],
                 absent=["Calendrier", "Nouvelle publication", "Lundi", "Mars 2026", "Mois précédent", "Brouillon",
                         "Se déconnecter"])
    week = page(english.get("/a/arras/calendrier/?vue=semaine&date=2026-03-18"))
    assert_words(week, present=["Week of 16/03/2026 to 22/03/2026", "Previous week", "Wednesday 18/03"],
                 absent=["Semaine du", "mercredi"])


def test_calendar_query_errors_in_english(english, members, channels):
    english.force_login(members[Role.VIEWER].user)
    r = english.get("/a/arras/calendrier/?date=hier")
    assert r.status_code == 400
    assert_words(page(r), present=["Invalid date: “hier”. Expected format: YYYY-MM-DD"], absent=["Date invalide"])


def test_composer_in_english(english, members, channels):
    english.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = page(english.get("/a/arras/publications/nouvelle/"))
    assert_words(html, present=["New publication", "Internal title", "Main text", "Link (optional)", "Scheduling",
                                "Next free slot of each account", "As soon as approved", "Save", "Simulation"],
                 absent=["Nouvelle publication", "Texte principal", "Enregistrer", "Programmation"])


def test_saving_a_draft_in_english_says_so_in_english(english, members, channels):
    english.force_login(members[Role.COMMUNITY_MANAGER].user)
    r = english.post("/a/arras/publications/nouvelle/", {
        "title": "Summer festival", "body": "Concert on the main square", "channels": [channels[0].pk],
        "schedule_mode": "next_slot",
    }, follow=True)
    html = page(r)
    assert r.status_code == 200
    assert Publication.objects.filter(title="Summer festival").exists()
    assert_words(html, present=["Publication saved as a draft.", "Draft", "Send for approval", "Next free slot"],
                 absent=["Publication enregistrée en brouillon.", "Brouillon", "Envoyer en validation"])


def test_publication_page_in_english(english, members, channels, authority):
    pub = publication(authority, channels[:2], status="in_review")
    english.force_login(members[Role.DIRECTOR].user)
    html = page(english.get(f"/a/arras/publications/{pub.pk}/"))
    assert_words(html, present=["In review", "Actions", "Approve", "Reject", "Comment", "(required to reject)",
                                "Generate an approval link for an elected official", "Texts by account",
                                "Deliveries", "Approval history", "No decisions yet.", "characters"],
                 absent=["En validation", "Approuver", "Refuser", "Historique de validation", "caractères"])


def test_rejecting_without_a_comment_is_explained_in_english(english, members, channels, authority):
    pub = publication(authority, channels[:1], status="in_review")
    english.force_login(members[Role.DIRECTOR].user)
    r = english.post(f"/a/arras/publications/{pub.pk}/decision/", {"decision": "reject", "comment": ""})
    assert r.status_code == 400
    assert_words(page(r), present=["Explain why you are rejecting it in the comment: it is required."],
                 absent=["Expliquez la raison du refus"])


def test_network_previews_speak_english(english, members, channels, authority):
    facebook = channels[2]
    pub = publication(authority, [facebook])
    english.force_login(members[Role.VIEWER].user)
    html = page(english.get(f"/a/arras/publications/{pub.pk}/"))
    assert_words(html, present=["Just now", "Like", "Share"], absent=["À l'instant", "J'aime", "Partager"])


# --- The catalogue ----------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    body = line[line.index('"') + 1:line.rindex('"')]
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file as {"msgctxt", "msgid", "msgid_plural", "msgstr", "msgstr[0]", ..., "flags"}."""
    entries, entry, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line[2:]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += _unquote(line)
        else:
            key = line.split(" ", 1)[0]
            entry[key] = _unquote(line)
    return entries


def translations(path: Path) -> list[dict]:
    return [e for e in read_po(path) if e["msgid"]]  # the empty msgid is the header


def _msgstrs(entry: dict) -> list[str]:
    return [v for k, v in entry.items() if k.startswith("msgstr")]


def test_the_catalogue_is_complete():
    entries = translations(LC_MESSAGES / "django.po")
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in _msgstrs(e))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy
    plurals = [e for e in entries if "msgid_plural" in e]
    assert plurals and all({"msgstr[0]", "msgstr[1]"} <= e.keys() for e in plurals)


def test_translations_keep_their_placeholders():
    wrong = []
    for e in translations(LC_MESSAGES / "django.po"):
        sources = [e["msgid"], e.get("msgid_plural", e["msgid"])]
        for i, target in enumerate(_msgstrs(e)):
            if sorted(PLACEHOLDER.findall(target)) != sorted(PLACEHOLDER.findall(sources[min(i, 1)])):
                wrong.append((e["msgid"], target))
    assert not wrong, wrong


def test_the_compiled_catalogue_matches_the_po_file():
    # The .mo is committed (no gettext needed at run time): it must be compiled from the current .po.
    with open(LC_MESSAGES / "django.mo", "rb") as f:
        mo = gettext.GNUTranslations(f)
    stale = []
    for e in translations(LC_MESSAGES / "django.po"):
        ctx = e.get("msgctxt")
        if "msgid_plural" in e:
            got = [mo.npgettext(ctx, e["msgid"], e["msgid_plural"], n) if ctx else
                   mo.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
            want = [e["msgstr[0]"], e["msgstr[1]"]]
        else:
            got = [mo.pgettext(ctx, e["msgid"]) if ctx else mo.gettext(e["msgid"])]
            want = [e["msgstr"]]
        if got != want:
            stale.append(e["msgid"])
    assert not stale, f"run compilemessages: {stale}"


def test_po_reader_sees_missing_and_fuzzy_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
                  '#, fuzzy, python-format\nmsgid "Bonjour %(nom)s"\nmsgstr "Hello %(nom)s"\n\n'
                  'msgid "Un "\n"deux"\nmsgstr ""\n', encoding="utf-8")
    entries = translations(po)
    assert [e["msgid"] for e in entries] == ["Bonjour %(nom)s", "Un deux"]
    assert "fuzzy" in entries[0]["flags"] and entries[1]["msgstr"] == ""
