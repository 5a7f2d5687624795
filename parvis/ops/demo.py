"""Demo data: a real commune (Arras) with one sandbox channel per network, a team in every role and a
few weeks of past and future publications. Loading twice changes nothing."""

import io
from datetime import datetime, time, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from parvis.channels.crypto import encrypt
from parvis.channels.models import Channel
from parvis.domain.adapt import derive_variant_text
from parvis.domain.roles import Role
from parvis.domain.states import DeliveryState, PublicationStatus
from parvis.networks.registry import get_connector
from parvis.networks.types import Credentials, MediaFile, PostRequest
from parvis.organisations import reference
from parvis.organisations.models import Authority, Membership
from parvis.publishing.models import (
    ApprovalRule,
    Delivery,
    MediaAsset,
    Publication,
    PublicationMedia,
    Variant,
)

DEMO_PASSWORD = "demo-parvis"
DEMO_SLUG = "arras"
DEMO_USERS = [
    ("direction", "Claire", "Lemaire", Role.DIRECTOR),
    ("cm", "Karim", "Benali", Role.COMMUNITY_MANAGER),
    ("stagiaire", "Léa", "Dumont", Role.CONTRIBUTOR),
    ("elu", "Jean", "Vasseur", Role.REVIEWER),
    ("lecture", "Sophie", "Martin", Role.VIEWER),
]

WEEKDAYS = range(5)
CHANNELS = [
    # network, handle, audience, tone, themes, slots (weekday, HH:MM), target per week
    ("facebook", "VilleArras", "Tous publics, seniors, familles", "Chaleureux, pratique",
     ["événements", "travaux", "conseil municipal"], [(d, "12:00") for d in WEEKDAYS] + [(5, "10:00")], 6),
    ("instagram", "villedarras", "25-45 ans, habitants et visiteurs", "Visuel, fier de la ville",
     ["patrimoine", "culture", "sport"], [(1, "18:30"), (3, "18:30"), (5, "11:00")], 3),
    ("x", "VilleArras", "Journalistes, institutions", "Factuel, rapide",
     ["alertes", "presse", "conseil municipal"], [(d, "08:30") for d in WEEKDAYS], 5),
    ("linkedin", "ville-d-arras", "Professionnels, entreprises, candidats", "Professionnel",
     ["emploi", "économie", "projets urbains"], [(1, "09:00"), (3, "09:00")], 2),
    ("tiktok", "villedarras", "Moins de 25 ans", "Tendance, humour, ambassadeurs",
     ["jeunesse", "sport", "coulisses"], [(2, "17:00"), (5, "15:00")], 2),
    ("youtube", "VilleArras", "Tous publics", "Pédagogique", ["conseil municipal", "reportages"],
     [(4, "17:00")], 1),
    ("snapchat", "villearras", "Moins de 25 ans", "Spontané", ["jeunesse", "événements"], [(5, "14:00")], 1),
    ("mastodon", "arras@social.example", "Public attentif aux alternatives", "Sobre, informatif",
     ["services publics", "environnement"], [(d, "10:00") for d in WEEKDAYS], 3),
    ("bluesky", "arras.bsky.social", "Journalistes, public quittant X", "Factuel",
     ["presse", "alertes"], [(d, "08:30") for d in WEEKDAYS], 4),
]

PUBLICATIONS = [
    # days from today, hour, title, body, link, networks
    (-20, "12:00", "Marché de Noël", "Le marché de Noël ouvre ses portes sur la Grand'Place ! 🎄 Chalets, "
     "patinoire et animations jusqu'au 30 décembre. #MarchéDeNoël #Arras", "https://www.arras.fr",
     ["facebook", "instagram", "x", "bluesky", "mastodon"]),
    (-17, "08:30", "Travaux rue Gambetta", "Travaux rue Gambetta du 10 au 21 : circulation alternée. "
     "Merci de votre patience.", "", ["facebook", "x", "bluesky", "mastodon"]),
    (-14, "09:00", "Recrutement animateurs", "La Ville recrute 12 animateurs pour les centres de loisirs. "
     "Candidatures avant le 15.", "https://www.arras.fr/emploi", ["linkedin", "facebook"]),
    (-10, "18:30", "Beffroi illuminé", "Le beffroi illuminé pour les fêtes, vu depuis la place des Héros.",
     "", ["instagram", "facebook"]),
    (-7, "12:00", "Conseil municipal en direct", "Le conseil municipal est à suivre en direct ce soir à "
     "18 h 30.", "https://www.arras.fr/conseil", ["facebook", "youtube", "mastodon"]),
    (-3, "17:00", "Ambassadeurs jeunesse", "Qui seront nos ambassadeurs jeunesse ? Réponse samedi ! "
     "#Jeunesse", "", ["tiktok", "snapchat", "instagram"]),
    (-1, "10:00", "Collecte des sapins", "Collecte des sapins de Noël du 2 au 16 janvier : points de dépôt "
     "dans chaque quartier.", "https://www.arras.fr/sapins", ["facebook", "mastodon", "bluesky"]),
    (2, "12:00", "Vœux du maire", "Cérémonie des vœux du maire à l'hôtel de ville, ouverte à tous.",
     "https://www.arras.fr/voeux", ["facebook", "x", "linkedin", "bluesky", "mastodon"]),
    (4, "18:30", "Patinoire nocturne", "Nocturne à la patinoire vendredi jusqu'à 22 h ⛸️ #Patinoire",
     "", ["instagram", "facebook", "tiktok"]),
    (7, "09:00", "Forum de l'emploi", "Forum de l'emploi le 20 à la Citadelle : 60 employeurs, 400 offres.",
     "https://www.arras.fr/forum-emploi", ["linkedin", "facebook", "x"]),
    (10, "17:00", "Reportage : la Citadelle", "Découvrez la Citadelle Vauban en vidéo.", "",
     ["youtube", "facebook"]),
    (14, "10:00", "Budget participatif", "Budget participatif : déposez vos projets jusqu'au 31 janvier.",
     "https://www.arras.fr/budget-participatif", ["facebook", "mastodon", "bluesky", "x"]),
]


ASSETS = Path(__file__).with_name("demo_assets")
NEEDS_VIDEO = {"tiktok", "youtube", "snapchat"}


def _demo_media(authority: Authority, uploader) -> tuple[MediaAsset, MediaAsset]:
    """A photo made here (4:5, as Instagram prefers) and a short vertical video shipped with Parvis."""
    from parvis.publishing.media import probe_file

    buf = io.BytesIO()
    img = Image.new("RGB", (1080, 1350), (0, 0, 145))
    draw = ImageDraw.Draw(img)
    draw.rectangle((90, 560, 990, 790), fill=(255, 255, 255))
    draw.text((140, 640), "Ville d'Arras", fill=(0, 0, 145), font_size=96)
    img.save(buf, "JPEG", quality=85)
    assets = []
    for name, raw, alt, subtitles in (
        ("grand-place.jpg", buf.getvalue(), "La Grand'Place d'Arras illuminée pour les fêtes, vue depuis le beffroi.",
         False),
        ("beffroi-vertical.mp4", (ASSETS / "beffroi-vertical.mp4").read_bytes(),
         "Le beffroi d'Arras filmé de bas en haut, au coucher du soleil.", True),
    ):
        info = probe_file(io.BytesIO(raw), name)
        asset = MediaAsset(authority=authority, original_name=name, kind=info.kind, mime_type=info.mime_type,
                           size_bytes=info.size_bytes, width=info.width, height=info.height,
                           duration_s=info.duration_s, alt_text=alt, has_subtitles=subtitles, uploaded_by=uploader)
        asset.file.save(name, ContentFile(raw), save=False)
        asset.save()
        assets.append(asset)
    return assets[0], assets[1]


def _authority() -> Authority:
    entry = reference.get("commune", "62041")
    defaults = {
        "name": entry.name if entry else "Arras",
        "kind": Authority.Kind.COMMUNE,
        "insee_code": "62041",
        "siren": (entry.siren if entry else "") or "216200410",
        "population": entry.population if entry else 41_000,
        "timezone": entry.timezone if entry else "Europe/Paris",
    }
    authority, _ = Authority.objects.get_or_create(slug=DEMO_SLUG, defaults=defaults)
    return authority


@transaction.atomic
def load(now: datetime | None = None, *, publish: bool = False) -> Authority:
    """Load the demo; with `publish`, past publications are posted on the running sandbox network."""
    now = now or timezone.now()
    if Authority.objects.filter(slug=DEMO_SLUG).exists():
        return Authority.objects.get(slug=DEMO_SLUG)
    authority = _authority()
    User = get_user_model()
    users = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@arras.example"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(user=user, authority=authority, defaults={"role": role})
        users[role] = user
    admin, created = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True,
                                                                           "email": "admin@arras.example"})
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    channels = {}
    for network, handle, audience, tone, themes, slots, per_week in CHANNELS:
        channels[network], _ = Channel.objects.get_or_create(
            authority=authority, network=network, handle=handle,
            defaults=dict(
                display_name=f"Ville d'Arras ({network})", is_sandbox=True, audience=audience, tone=tone,
                themes=themes, slots=[{"weekday": d, "time": t} for d, t in slots],
                target_posts_per_week=per_week, credentials=encrypt({"token": f"demo-{network}"}),
            ),
        )
    ApprovalRule.objects.get_or_create(
        authority=authority, channel=None,
        defaults={"levels": [{"roles": [Role.DIRECTOR, Role.REVIEWER, Role.COMMUNITY_MANAGER], "users": []}]},
    )
    photo, video = _demo_media(authority, users[Role.COMMUNITY_MANAGER])
    tz = authority.tz
    today = now.astimezone(tz).date()
    for i, (days, hhmm, title, body, link, networks) in enumerate(PUBLICATIONS):
        hour, minute = map(int, hhmm.split(":"))
        local = datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=tz)
        at = local
        past = days < 0
        status = PublicationStatus.PUBLISHED if past else (
            PublicationStatus.APPROVED if i % 3 else PublicationStatus.IN_REVIEW if i % 2 else PublicationStatus.DRAFT
        )
        pub = Publication.objects.create(
            authority=authority, title=title, body=body, link=link, status=status, scheduled_at=at,
            created_by=users[Role.COMMUNITY_MANAGER if i % 4 else Role.CONTRIBUTOR],
            approval_round=0 if status == PublicationStatus.DRAFT else 1,
            approval_level=1 if status in (PublicationStatus.PUBLISHED, PublicationStatus.APPROVED) else 0,
        )
        if NEEDS_VIDEO & set(networks):
            PublicationMedia.objects.create(publication=pub, asset=video, position=0)
        elif "instagram" in networks:
            PublicationMedia.objects.create(publication=pub, asset=photo, position=0)
        media = [video] if NEEDS_VIDEO & set(networks) else [photo] if "instagram" in networks else []
        for network in networks:
            channel = channels[network]
            Variant.objects.create(publication=pub, channel=channel,
                                   text=derive_variant_text(network, body, link))
            if status in (PublicationStatus.PUBLISHED, PublicationStatus.APPROVED):
                d = Delivery.objects.create(
                    publication=pub, channel=channel, authority=authority, due_at=at, run_after=at,
                    state=DeliveryState.PUBLISHED if past else DeliveryState.SCHEDULED,
                    published_at=at if past else None, attempts=1 if past else 0,
                )
                if past and publish:
                    # Really posted on the simulated network, so that "Voir sur le réseau" opens it.
                    posted = get_connector(network, Credentials(channel.handle, {"token": "demo"}), sandbox=True).publish(
                        PostRequest(text=derive_variant_text(network, body, link), marker=str(d.marker), link=link,
                                    media=tuple(MediaFile(a.file.path, a.kind, a.mime_type, a.alt_text) for a in media))
                    )
                    d.remote_id, d.remote_url = posted.remote_id, posted.url
                    d.save(update_fields=["remote_id", "remote_url"])
    return authority
