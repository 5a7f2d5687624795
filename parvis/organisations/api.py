"""API of authorities, and the pieces every router shares: input types, output datetimes, member lookup.

Every route is scoped to one authority (`/authorities/{slug}/...`) and starts with `member()`, which gives
the same answers as the UI: another authority is a 404, a missing permission a 403.
"""

from datetime import UTC, datetime
from typing import Annotated

from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, PlainSerializer

from parvis.domain.roles import ROLE_LABELS_FR, Permission, can

from .models import Authority, Membership
from .queries import authorities_of, membership_for, require

# SQLite and PostgreSQL both store signed 64-bit integers: a bigger id would crash the query.
MAX_ID = 2**63 - 1
MAX_TEXT = 100_000  # far above any network's limit, low enough to keep a request small


def no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refuse it here as bad input rather than crash later.
    if "\x00" in value:
        raise ValueError("Le caractère nul (\\0) n'est pas accepté.")
    return value


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Date hors limites.") from None


# Strings accepted from clients: no NUL, bounded length.
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(no_nul)]
ShortText = Annotated[str, Field(max_length=300), AfterValidator(no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# ISO 8601 with an offset ("Z" or "+02:00"); naive datetimes are refused. Stored and returned in UTC.
AwareDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
# Datetimes sent to clients: always UTC, ISO 8601 with "Z".
UtcDateTime = Annotated[
    datetime,
    PlainSerializer(lambda d: d.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str),
]

ERROR_RESPONSES_DOC = {
    401: "Authentification requise (jeton `Authorization: Bearer pv_...` ou session).",
    403: "Votre rôle ne permet pas cette action.",
    404: "Collectivité ou objet introuvable (ou d'une autre collectivité).",
    422: 'Données invalides : `{"errors": {"champ": ["message", ...]}}`.',
}




def member(request, slug: str, permission: Permission = Permission.VIEW) -> Membership:
    """The caller's membership in `slug`: 404 if they are not a member, 403 if their role lacks `permission`."""
    if "\x00" in slug or len(slug) > 80:
        raise Http404("Collectivité introuvable")
    user = getattr(request, "auth", None)
    if user is None:
        raise HttpError(401, "Authentification requise.")
    membership = membership_for(user, slug)
    if not can(membership.role, permission):
        require(membership, permission)
    return membership


class InputSchema(Schema):
    """Base of request bodies: an unknown field is an error (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    errors: dict[str, list[str]]


class AuthorityOut(Schema):
    slug: str
    name: str
    kind: str
    insee_code: str
    siren: str
    population: int | None
    timezone: str
    role: str = Field(description="Votre rôle dans cette collectivité.")
    role_label: str
    permissions: list[str] = Field(description="Ce que votre rôle permet (voir parvis.domain.roles).")


def _authority_out(authority: Authority, role: str) -> dict:
    return {
        "slug": authority.slug,
        "name": authority.name,
        "kind": authority.kind,
        "insee_code": authority.insee_code,
        "siren": authority.siren,
        "population": authority.population,
        "timezone": authority.timezone,
        "role": role,
        "role_label": ROLE_LABELS_FR.get(role, role),  # StrEnum keys match plain strings
        "permissions": [p.value for p in Permission if can(role, p)],
    }


router = Router(tags=["Collectivités"])

AUTH_ERRORS = {401: ErrorOut, 404: ErrorOut}


@router.get("/authorities", response={200: list[AuthorityOut], 401: ErrorOut}, summary="Mes collectivités")
def list_authorities(request):
    roles = dict(Membership.objects.filter(user=request.auth).values_list("authority_id", "role"))
    return [_authority_out(a, roles[a.id]) for a in authorities_of(request.auth)]


@router.get("/authorities/{slug}", response={200: AuthorityOut, **AUTH_ERRORS}, summary="Une collectivité")
def get_authority(request, slug: str):
    m = member(request, slug)
    return _authority_out(m.authority, m.role)
