"""Export of selected comments for a report to PHAROS (the national platform for illegal content).

CSV and JSON; each row: time (UTC), network, account, link, author handle and id, text, labels. CSV cells
that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a leading
apostrophe. The export is audited (count only).
"""

from __future__ import annotations

import csv
import io
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from parvis.audit.actions import record
from parvis.domain.roles import Permission
from parvis.organisations.queries import require

from .models import Comment

COLUMNS = ("date_utc", "reseau", "compte", "lien", "auteur_pseudo", "auteur_id", "texte", "categories")
MAX_ROWS = 5000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _rows(membership, comment_ids) -> list[dict]:
    require(membership, Permission.SCHEDULE)
    ids = list(dict.fromkeys(int(i) for i in comment_ids))
    if not ids:
        raise ValidationError("Sélectionnez au moins un commentaire à exporter.")
    if len(ids) > MAX_ROWS:
        raise ValidationError(f"Au plus {MAX_ROWS} commentaires par export.")
    comments = (Comment.objects.filter(authority_id=membership.authority_id, pk__in=ids)
                .select_related("channel", "author").order_by("created_at", "id"))
    rows = [{
        "date_utc": c.created_at.isoformat(), "reseau": c.channel.network_label, "compte": c.channel.handle,
        "lien": c.url, "auteur_pseudo": c.author.handle, "auteur_id": c.author.remote_id, "texte": c.text,
        "categories": " ".join(c.labels),
    } for c in comments]
    if len(rows) != len(ids):  # a comment of another authority (or gone): nothing leaves
        raise Http404("Commentaire introuvable")
    with transaction.atomic():
        record(membership.authority, membership.user, "comments.exported", None, object_type="comment",
               object_id=str(len(rows)), after={"count": len(rows), "ids": [int(i) for i in ids][:500]})
    return rows


def export_csv(membership, comment_ids) -> str:
    """CSV text (UTF-8 with BOM for spreadsheets). A comment of another authority makes it a 404."""
    rows = _rows(membership, comment_ids)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return out.getvalue()


def export_json(membership, comment_ids) -> str:
    return json.dumps(_rows(membership, comment_ids), ensure_ascii=False, indent=2)
