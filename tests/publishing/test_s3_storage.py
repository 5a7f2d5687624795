"""Media on S3-compatible object storage (PARVIS_S3_BUCKET): stored in the bucket, served through signed
URLs, handed to the connectors as a URL. Against a real S3 API: moto's server on loopback."""

import io
import socket
import urllib.request
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from parvis.domain.roles import Role
from parvis.publishing import actions, dispatch
from parvis.publishing.models import Delivery, MediaAsset
from tests.factories import ChannelFactory, team

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] is not installed: no S3-compatible server to test the media storage against"
)
boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (it comes with django-storages[s3])")
S3Storage = pytest.importorskip("storages.backends.s3", reason="django-storages is not installed").S3Storage

pytestmark = pytest.mark.django_db

REGION = "eu-west-3"
KEYS = {"access_key": "parvis-test", "secret_key": "parvis-test-secret"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh bucket, and the default storage switched to it as PARVIS_S3_BUCKET would."""
    name = f"parvis-media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION,
                          aws_access_key_id=KEYS["access_key"], aws_secret_access_key=KEYS["secret_key"])
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    # The same options as parvis.config.settings when PARVIS_S3_BUCKET is set.
    settings.STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": name, "endpoint_url": s3_endpoint, "region_name": REGION, **KEYS,
            "querystring_auth": True, "file_overwrite": False,
        }},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # FileField keeps default_storage, a lazy object that Django resets when STORAGES changes: check
    # that the model really writes to the bucket (isinstance sees through the lazy object).
    assert isinstance(MediaAsset._meta.get_field("file").storage, S3Storage)
    yield client, name


def png(size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buf, "PNG")
    return buf.getvalue()


def _upload(members, data: bytes, name="affiche.png"):
    return actions.upload_media(members[Role.COMMUNITY_MANAGER], SimpleUploadedFile(name, data),
                                alt_text="Affiche de la fête de la musique")


def test_upload_stores_the_bytes_in_the_bucket(bucket):
    client, name = bucket
    members = team()
    data = png()
    asset = _upload(members, data)
    asset.refresh_from_db()
    assert asset.kind == "image" and (asset.width, asset.height) == (64, 48) and asset.size_bytes == len(data)
    assert asset.file.name.startswith("media/") and asset.file.name.endswith(".png")
    stored = client.get_object(Bucket=name, Key=asset.file.name)
    assert stored["Body"].read() == data
    assert [o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]] == [asset.file.name]


def test_a_second_file_with_the_same_name_does_not_overwrite_the_first(bucket):
    client, name = bucket
    members = team()
    first, second = _upload(members, png((10, 10))), _upload(members, png((20, 20)))
    assert first.file.name != second.file.name
    assert client.get_object(Bucket=name, Key=first.file.name)["Body"].read() == png((10, 10))


def test_file_url_is_a_signed_url_of_the_endpoint_that_serves_the_bytes(bucket, s3_endpoint):
    _, name = bucket
    members = team()
    data = png()
    asset = _upload(members, data)
    url = asset.file.url
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == s3_endpoint
    assert name in url and asset.file.name.split("/")[-1] in parts.path
    query = parse_qs(parts.query)
    assert "X-Amz-Signature" in query and "X-Amz-Expires" in query  # signed, and only for a while
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
        assert response.read() == data


def test_the_dispatcher_hands_connectors_a_url_not_a_path(bucket, s3_endpoint):
    members = team()
    asset = _upload(members, png())
    media = dispatch._media_file(asset)
    assert media.path.startswith(f"{s3_endpoint}/") and "X-Amz-Signature" in media.path
    assert (media.kind, media.mime_type, media.alt_text) == ("image", "image/png", asset.alt_text)
    with pytest.raises(NotImplementedError):
        asset.file.path  # noqa: B018 — remote storage has no local path

    # The same through the whole job building, as the worker does it.
    cm = members[Role.COMMUNITY_MANAGER]
    channel = ChannelFactory(authority=cm.authority)
    pub = actions.create_publication(cm, title="Fête de la musique", body="Concert place des Héros.",
                                     channel_ids=[channel.id], media_ids=[asset.id],
                                     scheduled_at=timezone.now() + timedelta(seconds=1))
    actions.submit(cm, pub)
    Delivery.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    jobs, broken = dispatch.build_jobs(dispatch.claim_due(now=timezone.now(), owner="w", limit=10))
    assert broken == [] and len(jobs) == 1
    assert [m.path.split("?")[0] for m in jobs[0].post.media] == [media.path.split("?")[0]]


def test_media_page_serves_the_file_from_the_bucket_to_members_only(bucket, client):
    members = team()
    other = team()
    data = png()
    asset = _upload(members, data)
    client.force_login(members[Role.VIEWER].user)
    response = client.get(f"/a/{asset.authority.slug}/medias/{asset.pk}/fichier/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    client.force_login(other[Role.DIRECTOR].user)
    assert client.get(f"/a/{asset.authority.slug}/medias/{asset.pk}/fichier/").status_code == 404
