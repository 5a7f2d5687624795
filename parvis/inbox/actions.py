"""The inbox's writers: permission check, transaction, audit event; network calls outside transactions.

Every action takes the acting `membership` (parvis.organisations.models.Membership) and an object id; an
object of another authority is a 404 (Http404), a missing permission a 403 (PermissionDenied), a refused
request a ValidationError with a French message naming the problem.

Permissions (existing roles table, parvis.domain.roles):
    VIEW        read the inbox (queries.py)
    DRAFT       assign, mark done, reopen, write a reply, mark a label wrong — a reply written without
                APPROVE waits for approval (the summer intern's answers are read before they leave)
    APPROVE     send a reply at once, approve or reject a waiting reply
    SCHEDULE    hide, unhide, delete on the network; saved answers; export for PHAROS
    MANAGE_RULES  moderation settings (charter map, allow/deny lists, retention, alerts), erase an author,
                purge
Parvis never blocks an account: there is no such action.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from parvis.audit.actions import record
from parvis.audit.models import AuditEvent
from parvis.domain.moderation import LABELS, classify
from parvis.domain.roles import Permission, can
from parvis.networks import errors as net_errors
from parvis.organisations.models import Authority, Membership
from parvis.organisations.queries import require

from .ingest import channel_capabilities, connector_for
from .models import Comment, CommentAuthor, CommentReply, LabelCorrection, ModerationSettings, SavedAnswer

log = logging.getLogger("parvis.inbox")

ALERT_LABELS = ("hate", "threat")
VARIABLES = ("prenom", "nom", "pseudo", "commune", "reseau")
CAPABILITY_WORDS = {
    "reply": "de répondre à un commentaire",
    "hide_comment": "de masquer un commentaire",
    "delete_comment": "de supprimer un commentaire",
}


# --- helpers ----------------------------------------------------------------------------------------------------


def _comment(membership: Membership, comment_id: int, permission: Permission) -> Comment:
    require(membership, permission)
    try:
        return Comment.objects.select_related("channel", "author").get(pk=comment_id,
                                                                       authority_id=membership.authority_id)
    except (Comment.DoesNotExist, ValueError, TypeError):
        raise Http404("Commentaire introuvable") from None


def _network_label(comment: Comment) -> str:
    return comment.channel.network_label


def _require_capability(comment: Comment, capability: str) -> None:
    if capability not in channel_capabilities(comment.channel):
        raise ValidationError(f"{_network_label(comment)} ne permet pas {CAPABILITY_WORDS[capability]} depuis "
                              "Parvis : faites-le directement sur le réseau.")


def _charter_reason(reason: str) -> str:
    if reason not in LABELS:
        raise ValidationError({"reason": f"Motif « {reason} » inconnu : choisissez une catégorie de la charte "
                                         f"({', '.join(LABELS)})."})
    return reason


def _network_error(comment: Comment, exc: Exception) -> ValidationError:
    network = _network_label(comment)
    if isinstance(exc, net_errors.RateLimited):
        wait = getattr(exc, "retry_after_s", None)
        later = f" dans {int(wait)} s" if wait else " plus tard"
        return ValidationError(f"{network} limite les requêtes : réessayez{later}.")
    if isinstance(exc, net_errors.AuthExpired):
        return ValidationError(f"La connexion à {network} a expiré : reconnectez le compte « "
                               f"{comment.channel.handle} ».")
    if isinstance(exc, net_errors.Transient):
        return ValidationError(f"{network} ne répond pas pour le moment : réessayez dans quelques minutes.")
    if isinstance(exc, NotImplementedError):
        return ValidationError(str(exc))
    return ValidationError(f"{network} a refusé : {exc}")


def _set_status(comment: Comment, status: str, now: datetime, **extra) -> dict:
    before = {"status": comment.status, **{k: getattr(comment, k) for k in extra}}
    comment.status = status
    for k, v in extra.items():
        setattr(comment, k, v)
    fields = ["status", *extra]
    if comment.handled_at is None and status in (Comment.Status.DONE, Comment.Status.HIDDEN, Comment.Status.DELETED):
        comment.handled_at = now
        fields.append("handled_at")
    comment.save(update_fields=fields)
    return before


# --- triage -----------------------------------------------------------------------------------------------------


def assign(membership: Membership, comment_id: int, assignee_id: int | None) -> Comment:
    """Give the comment to a member of the authority (None: nobody)."""
    comment = _comment(membership, comment_id, Permission.DRAFT)
    if assignee_id is not None and not Membership.objects.filter(authority_id=membership.authority_id,
                                                                 user_id=assignee_id).exists():
        raise ValidationError({"assignee": "Cette personne ne fait pas partie de l'équipe de la collectivité."})
    with transaction.atomic():
        status = comment.status
        if status in (Comment.Status.NEW, Comment.Status.ASSIGNED):
            status = Comment.Status.ASSIGNED if assignee_id else Comment.Status.NEW
        before = {"assignee": comment.assignee_id, "status": comment.status}
        comment.assignee_id = assignee_id
        comment.status = status
        comment.save(update_fields=["assignee", "status"])
        record(membership.authority, membership.user, "comment.assigned", comment, before=before,
               after={"assignee": assignee_id, "status": status})
    return comment


def mark_done(membership: Membership, comment_id: int) -> Comment:
    comment = _comment(membership, comment_id, Permission.DRAFT)
    if comment.status == Comment.Status.DELETED:
        raise ValidationError("Ce commentaire a été supprimé du réseau.")
    with transaction.atomic():
        before = _set_status(comment, Comment.Status.DONE, timezone.now())
        record(membership.authority, membership.user, "comment.done", comment, before=before,
               after={"status": comment.status})
    return comment


def reopen(membership: Membership, comment_id: int) -> Comment:
    """Back to the queue (new, or assigned when someone holds it)."""
    comment = _comment(membership, comment_id, Permission.DRAFT)
    if comment.status != Comment.Status.DONE:
        raise ValidationError("Seul un commentaire traité peut être rouvert.")
    with transaction.atomic():
        before = _set_status(comment, Comment.Status.ASSIGNED if comment.assignee_id else Comment.Status.NEW,
                             timezone.now())
        record(membership.authority, membership.user, "comment.reopened", comment, before=before,
               after={"status": comment.status})
    return comment


# --- replies ----------------------------------------------------------------------------------------------------


def render_answer(template: str, comment: Comment) -> str:
    """Fill {prenom}, {nom}, {pseudo}, {commune}, {reseau}; other braces stay as written."""
    name = (comment.author.name or "").split()
    values = {
        "prenom": name[0] if name else "",
        "nom": " ".join(name[1:]) if len(name) > 1 else "",
        "pseudo": comment.author.handle,
        "commune": comment.channel.authority.name if hasattr(comment.channel, "authority") else "",
        "reseau": _network_label(comment),
    }
    text = re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), template)
    return re.sub(r"[ \t]+([,.!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


def _check_length(comment: Comment, text: str) -> None:
    try:
        from parvis.domain.limits import get_limits
        from parvis.domain.text import count_length
    except ImportError:  # pragma: no cover — the domain rules ship with Parvis
        return
    length, limit = count_length(comment.channel.network, text), get_limits(comment.channel.network).max_chars
    if length > limit:
        raise ValidationError({"text": f"Réponse trop longue pour {_network_label(comment)} : {length} caractères "
                                       f"pour {limit} au plus."})


def reply(membership: Membership, comment_id: int, *, text: str = "", saved_answer_id: int | None = None) -> CommentReply:
    """Answer a comment with free text or a saved answer (variables filled in).

    With APPROVE the answer leaves at once; without it (a contributor), it waits for approval.
    """
    comment = _comment(membership, comment_id, Permission.DRAFT)
    _require_capability(comment, "reply")
    if comment.status == Comment.Status.DELETED:
        raise ValidationError("Ce commentaire a été supprimé du réseau : impossible d'y répondre.")
    saved = None
    if saved_answer_id is not None:
        saved = SavedAnswer.objects.filter(pk=saved_answer_id, authority_id=membership.authority_id).first()
        if saved is None:
            raise Http404("Réponse type introuvable")
        text = text or saved.text
    text = render_answer(text or "", Comment.objects.select_related("channel__authority", "author").get(pk=comment.pk))
    if not text:
        raise ValidationError({"text": "La réponse est vide : écrivez un texte ou choisissez une réponse type."})
    _check_length(comment, text)
    with transaction.atomic():
        answer = CommentReply.objects.create(authority_id=membership.authority_id, comment=comment, text=text,
                                             saved_answer=saved, written_by=membership.user)
        record(membership.authority, membership.user, "comment.reply_written", answer,
               after={"comment": comment.pk, "saved_answer": saved_answer_id, "pending":
                      not can(membership.role, Permission.APPROVE)})
    if can(membership.role, Permission.APPROVE):
        return _send_reply(membership, answer, comment)
    return answer


def approve_reply(membership: Membership, reply_id: int) -> CommentReply:
    """Approve a waiting reply (or retry a failed one): it leaves now."""
    require(membership, Permission.APPROVE)
    answer = CommentReply.objects.filter(pk=reply_id, authority_id=membership.authority_id).first()
    if answer is None:
        raise Http404("Réponse introuvable")
    if answer.status not in (CommentReply.Status.PENDING, CommentReply.Status.FAILED):
        raise ValidationError("Cette réponse n'attend plus de validation.")
    comment = Comment.objects.select_related("channel", "author").get(pk=answer.comment_id)
    _require_capability(comment, "reply")
    with transaction.atomic():
        CommentReply.objects.filter(pk=answer.pk).update(approved_by=membership.user)
        record(membership.authority, membership.user, "comment.reply_approved", answer)
    answer.approved_by = membership.user
    return _send_reply(membership, answer, comment)


def reject_reply(membership: Membership, reply_id: int, *, reason: str = "") -> CommentReply:
    require(membership, Permission.APPROVE)
    answer = CommentReply.objects.filter(pk=reply_id, authority_id=membership.authority_id).first()
    if answer is None:
        raise Http404("Réponse introuvable")
    if answer.status != CommentReply.Status.PENDING:
        raise ValidationError("Cette réponse n'attend plus de validation.")
    with transaction.atomic():
        answer.status, answer.error = CommentReply.Status.REJECTED, reason[:1000]
        answer.save(update_fields=["status", "error"])
        record(membership.authority, membership.user, "comment.reply_rejected", answer, after={"reason": reason})
    return answer


def _send_reply(membership: Membership, answer: CommentReply, comment: Comment) -> CommentReply:
    """Claim, call the network outside any transaction, record the outcome. The marker makes a retry safe."""
    claimed = CommentReply.objects.filter(
        pk=answer.pk, status__in=(CommentReply.Status.PENDING, CommentReply.Status.FAILED)
    ).update(status=CommentReply.Status.SENDING)
    if not claimed:
        raise ValidationError("Cette réponse est déjà en cours d'envoi.")
    now = timezone.now()
    try:
        posted = connector_for(comment.channel).reply(comment.remote_id, answer.text, marker=str(answer.marker))
        remote_id, url, error = posted.remote_id, posted.url, None
    except net_errors.Duplicate as exc:  # sent before (a retry after a lost answer): it is there
        remote_id, url, error = getattr(exc, "remote_id", ""), getattr(exc, "url", ""), None
    except Exception as exc:  # noqa: BLE001 — every outcome is recorded
        remote_id, url, error = "", "", exc
    with transaction.atomic():
        if error is None:
            answer.status, answer.remote_id, answer.remote_url, answer.sent_at = (
                CommentReply.Status.SENT, remote_id or "", url or "", now)
            answer.error = ""
            answer.save(update_fields=["status", "remote_id", "remote_url", "sent_at", "error"])
            Comment.objects.filter(pk=comment.pk, answered_at__isnull=True).update(answered_at=now)
            Comment.objects.filter(pk=comment.pk, handled_at__isnull=True).update(handled_at=now)
            Comment.objects.filter(pk=comment.pk, status__in=(Comment.Status.NEW, Comment.Status.ASSIGNED)).update(
                status=Comment.Status.DONE)
            record(membership.authority, membership.user, "comment.replied", answer,
                   after={"comment": comment.pk, "remote_id": answer.remote_id})
        else:
            message = _network_error(comment, error).messages[0]
            if isinstance(error, net_errors.OutcomeUnknown):
                message = (f"{_network_label(comment)} n'a pas confirmé l'envoi : relancez, la réponse ne sera pas "
                           "publiée deux fois.")
            answer.status, answer.error = CommentReply.Status.FAILED, message
            answer.save(update_fields=["status", "error"])
            record(membership.authority, membership.user, "comment.reply_failed", answer,
                   after={"error": message})
    return answer


# --- moderation on the network ----------------------------------------------------------------------------------


def hide(membership: Membership, comment_id: int, *, reason: str) -> Comment:
    """Hide the comment on the network; `reason` is a charter category (a label)."""
    return _moderate(membership, comment_id, "hide_comment", hidden=True, reason=_charter_reason(reason))


def unhide(membership: Membership, comment_id: int) -> Comment:
    return _moderate(membership, comment_id, "hide_comment", hidden=False, reason="")


def delete(membership: Membership, comment_id: int, *, reason: str) -> Comment:
    """Delete the comment on the network; `reason` is a charter category (a label)."""
    return _moderate(membership, comment_id, "delete_comment", hidden=None, reason=_charter_reason(reason))


def _moderate(membership, comment_id, capability: str, *, hidden: bool | None, reason: str) -> Comment:
    comment = _comment(membership, comment_id, Permission.SCHEDULE)
    _require_capability(comment, capability)
    if comment.status == Comment.Status.DELETED:
        raise ValidationError("Ce commentaire a déjà été supprimé du réseau.")
    try:
        connector = connector_for(comment.channel)
        if capability == "delete_comment":
            connector.delete_comment(comment.remote_id)
        else:
            connector.hide_comment(comment.remote_id, hidden=hidden, post_remote_id=comment.post_remote_id)
    except (net_errors.NetworkError, NotImplementedError) as exc:
        raise _network_error(comment, exc) from exc
    now = timezone.now()
    with transaction.atomic():
        if capability == "delete_comment":
            before = _set_status(comment, Comment.Status.DELETED, now)
            verb = "comment.deleted"
        elif hidden:
            before = _set_status(comment, Comment.Status.HIDDEN, now, hidden_on_network=True)
            verb = "comment.hidden"
        else:
            status = Comment.Status.ASSIGNED if comment.assignee_id else Comment.Status.DONE
            before = _set_status(comment, status, now, hidden_on_network=False)
            verb = "comment.unhidden"
        record(membership.authority, membership.user, verb, comment, before=before,
               after={"status": comment.status, "reason": reason, "labels": comment.labels})
    return comment


def mark_label(membership: Membership, comment_id: int, label: str, *, wrong: bool = True,
               note: str = "") -> LabelCorrection:
    """Say a label is wrong (wrong=True) or missing (wrong=False). The comment keeps what the rules said;
    the correction is kept beside it as evidence for tuning."""
    comment = _comment(membership, comment_id, Permission.DRAFT)
    if label not in LABELS:
        raise ValidationError({"label": f"Catégorie « {label} » inconnue (attendu : {', '.join(LABELS)})."})
    if wrong and label not in comment.labels:
        raise ValidationError({"label": f"Ce commentaire n'a pas la catégorie « {label} »."})
    if not wrong and label in comment.labels:
        raise ValidationError({"label": f"Ce commentaire a déjà la catégorie « {label} »."})
    with transaction.atomic():
        correction = LabelCorrection.objects.create(authority_id=membership.authority_id, comment=comment,
                                                    label=label, wrong=wrong, note=note[:500], by=membership.user)
        record(membership.authority, membership.user, "comment.label_corrected", comment,
               after={"label": label, "wrong": wrong, "labels": comment.labels, "reasons": comment.reasons})
    return correction


# --- settings and saved answers ---------------------------------------------------------------------------------


def update_settings(membership: Membership, **fields) -> ModerationSettings:
    """Fields: actions (label → hide|review|answer|none), allow, deny (lists of words/patterns),
    retention_days, alert_delay_minutes, on_duty_email."""
    require(membership, Permission.MANAGE_RULES)
    allowed = {"actions", "allow", "deny", "retention_days", "alert_delay_minutes", "on_duty_email"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({f: "Champ inconnu." for f in sorted(unknown)})
    for name in ("allow", "deny"):
        if name in fields and (not isinstance(fields[name], list)
                               or not all(isinstance(w, str) and w.strip() for w in fields[name])):
            raise ValidationError({name: "Une liste de mots ou d'expressions non vides est attendue."})
    if "actions" in fields and not isinstance(fields["actions"], dict):
        raise ValidationError({"actions": "Une correspondance catégorie → action est attendue."})
    try:  # the classifier is the judge of a valid map and valid patterns
        classify("", actions=fields.get("actions"), allow=fields.get("allow", ()), deny=fields.get("deny", ()))
    except (ValueError, TypeError) as exc:
        raise ValidationError({"actions": str(exc)}) from exc
    if "retention_days" in fields and not (isinstance(fields["retention_days"], int)
                                           and 1 <= fields["retention_days"] <= 3650):
        raise ValidationError({"retention_days": "La durée de conservation va de 1 à 3 650 jours."})
    if "alert_delay_minutes" in fields and not (isinstance(fields["alert_delay_minutes"], int)
                                                and 1 <= fields["alert_delay_minutes"] <= 10080):
        raise ValidationError({"alert_delay_minutes": "Le délai d'alerte va de 1 minute à 7 jours."})
    with transaction.atomic():
        row, _ = ModerationSettings.objects.select_for_update().get_or_create(authority_id=membership.authority_id)
        before = {k: getattr(row, k) for k in fields}
        for k, v in fields.items():
            setattr(row, k, v)
        row.full_clean(exclude=["authority"])
        row.save()
        record(membership.authority, membership.user, "moderation.settings", row, before=before, after=fields)
    return row


def save_answer(membership: Membership, *, title: str, text: str, answer_id: int | None = None) -> SavedAnswer:
    require(membership, Permission.SCHEDULE)
    if not title.strip() or not text.strip():
        raise ValidationError({"title" if not title.strip() else "text": "Le titre et le texte sont obligatoires."})
    unknown = sorted(set(re.findall(r"\{(\w+)\}", text)) - set(VARIABLES))
    if unknown:
        raise ValidationError({"text": f"Variable inconnue : {{{unknown[0]}}} (possibles : "
                                       f"{', '.join('{' + v + '}' for v in VARIABLES)})."})
    with transaction.atomic():
        if answer_id is None:
            answer = SavedAnswer.objects.create(authority_id=membership.authority_id, title=title.strip(), text=text)
        else:
            answer = SavedAnswer.objects.filter(pk=answer_id, authority_id=membership.authority_id).first()
            if answer is None:
                raise Http404("Réponse type introuvable")
            answer.title, answer.text = title.strip(), text
            answer.save(update_fields=["title", "text"])
        record(membership.authority, membership.user, "saved_answer.saved", answer, after={"title": answer.title})
    return answer


def delete_answer(membership: Membership, answer_id: int) -> None:
    require(membership, Permission.SCHEDULE)
    answer = SavedAnswer.objects.filter(pk=answer_id, authority_id=membership.authority_id).first()
    if answer is None:
        raise Http404("Réponse type introuvable")
    with transaction.atomic():
        record(membership.authority, membership.user, "saved_answer.deleted", answer, after={"title": answer.title})
        answer.delete()


# --- data protection --------------------------------------------------------------------------------------------


def erase_author(membership: Membership | None, *, authority: Authority, handle: str = "",
                 author_ids: list[int] | None = None, actor_label: str = "") -> dict:
    """Erase everything about one person in one authority: their comments (with replies and label
    corrections attached) and their author rows, on every channel where they appear under `handle`
    (or the given author rows). The audit event keeps counts only — never the person's data."""
    if membership is not None:
        require(membership, Permission.MANAGE_RULES)
        if membership.authority_id != authority.pk:
            raise Http404
    qs = CommentAuthor.objects.filter(authority=authority)
    if author_ids:
        qs = qs.filter(pk__in=author_ids)
    elif handle.strip():
        qs = qs.filter(handle__iexact=handle.strip().lstrip("@"))
    else:
        raise ValidationError({"author": "Indiquez le pseudo de la personne ou ses fiches auteur."})
    with transaction.atomic():
        ids = list(qs.values_list("id", flat=True))
        comments = Comment.objects.filter(author_id__in=ids).count()
        Comment.objects.filter(author_id__in=ids).delete()
        authors = CommentAuthor.objects.filter(pk__in=ids).delete()[0]
        record(authority, membership.user if membership else None, "inbox.author_erased", None,
               object_type="commentauthor", object_id=",".join(map(str, ids))[:64],
               actor_label=actor_label, after={"comments": comments, "authors": authors})
    return {"comments": comments, "authors": authors}


def purge_expired(now: datetime | None = None) -> dict:
    """Delete comments older than each authority's retention, then authors left without comments."""
    now = now or timezone.now()
    retention = dict(ModerationSettings.objects.values_list("authority_id", "retention_days"))
    default_days = ModerationSettings._meta.get_field("retention_days").default
    totals = {"comments": 0, "authors": 0}
    authority_ids = set(Comment.objects.values_list("authority_id", flat=True).distinct())
    for authority_id in sorted(authority_ids):
        cutoff = now - timedelta(days=retention.get(authority_id, default_days))
        with transaction.atomic():
            comments = Comment.objects.filter(authority_id=authority_id, created_at__lt=cutoff).delete()[1].get(
                "inbox.Comment", 0)
            orphans = CommentAuthor.objects.filter(authority_id=authority_id).annotate(n=Count("comments")).filter(
                n=0)
            authors = CommentAuthor.objects.filter(pk__in=list(orphans.values_list("id", flat=True))).delete()[0]
            if comments or authors:
                AuditEvent.objects.create(authority_id=authority_id, actor=None, actor_label="système (conservation)",
                                          verb="inbox.purged", object_type="comment", object_id="",
                                          after={"comments": comments, "authors": authors,
                                                 "before": cutoff.isoformat()})
        totals["comments"] += comments
        totals["authors"] += authors
    return totals


# --- alerts -----------------------------------------------------------------------------------------------------


def _clean(text: str, limit: int = 1000) -> str:
    """Untrusted text for a plain-text mail: no control characters, bounded."""
    text = "".join(ch if ch == "\n" or ch >= " " else " " for ch in text or "")
    return text[:limit] + ("…" if len(text) > limit else "")


def send_alerts(now: datetime | None = None) -> int:
    """One e-mail per hateful or threatening comment still unhandled after the authority's delay.

    The comment is claimed (alerted_at) with a conditional UPDATE before the mail leaves: once, even with two
    clocks. The network's text is escaped in the HTML part and stripped of control characters in the text part;
    the subject carries no text from the network.
    """
    now = now or timezone.now()
    sent = 0
    for row in ModerationSettings.objects.exclude(on_duty_email="").select_related("authority"):
        cutoff = now - timedelta(minutes=row.alert_delay_minutes)
        label_filter = None
        for label in ALERT_LABELS:
            q = Comment.objects.filter(labels_text__contains=f" {label} ")
            label_filter = q if label_filter is None else label_filter | q
        due = label_filter.filter(authority_id=row.authority_id, handled_at__isnull=True, alerted_at__isnull=True,
                                  status__in=(Comment.Status.NEW, Comment.Status.ASSIGNED),
                                  created_at__lte=cutoff).select_related("channel", "author")[:50]
        for comment in due:
            if not Comment.objects.filter(pk=comment.pk, alerted_at__isnull=True).update(alerted_at=now):
                continue
            labels = ", ".join(lb for lb in comment.labels if lb in ALERT_LABELS)
            waited = int((now - comment.created_at).total_seconds() // 60)
            lines = [
                f"Un commentaire classé « {labels} » attend depuis {waited} minutes sur "
                f"{comment.channel.network_label} ({comment.channel.handle}).",
                "",
                f"Auteur : {_clean(comment.author.handle, 200)}",
                f"Lien : {_clean(comment.url, 2000)}",
                "Texte :",
                _clean(comment.text),
                "",
                "Masquez-le ou traitez-le dans la messagerie Parvis.",
            ]
            body = "\n".join(lines)
            mail = EmailMultiAlternatives(
                subject=f"[Parvis] Commentaire {labels} à traiter — {row.authority.name}",
                body=body, to=[row.on_duty_email],
            )
            mail.attach_alternative("<pre>" + html.escape(body) + "</pre>", "text/html")
            try:
                mail.send()
            except Exception:  # noqa: BLE001 — the claim is released so that the next round tries again
                log.exception("moderation alert for comment %s", comment.pk)
                Comment.objects.filter(pk=comment.pk).update(alerted_at=None)
                continue
            AuditEvent.objects.create(authority_id=row.authority_id, actor=None, actor_label="système (alerte)",
                                      verb="comment.alert_sent", object_type="comment", object_id=str(comment.pk),
                                      after={"labels": comment.labels, "to": row.on_duty_email})
            sent += 1
    return sent
