"""The REST API under /api/v1/ (django-ninja): routers live in each app's api.py.

Authentication: a personal token (`Authorization: Bearer pv_...`, see `parvis token create`) or the
browser's Django session (then unsafe methods need the CSRF token, as in the UI).
Errors have two shapes: `{"detail": "..."}` (401, 403, 404, 409) and
`{"errors": {"field": ["message", ...]}}` (422, bad input).
"""

import json
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from parvis.channels.api import router as channels_router
from parvis.domain.states import InvalidTransition
from parvis.organisations.api import router as organisations_router
from parvis.organisations.models import ApiToken
from parvis.publishing.api import router as publishing_router

LAST_USED_PRECISION = timedelta(minutes=1)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pv_...`: the token's SHA-256 is looked up; the token itself is never stored."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        if not token or not token.startswith("pv_") or len(token) > 200:
            return None
        found = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        # One write a minute at most: the API may be polled.
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user


class SessionAuth(APIKeyCookie):
    """The browser's session; CSRF is checked on unsafe methods, only once the session is known."""

    param_name = settings.SESSION_COOKIE_NAME  # for the schema; the middleware has resolved request.user

    def _get_key(self, request):
        return None

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method in UNSAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise HttpError(403, "Jeton CSRF absent ou invalide : rechargez la page.")
        return user


class JsonParser(Parser):
    """JSON bodies must be objects; anything else is a 422 on `body`, never a 400 or a 500."""

    def parse_body(self, request):
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:  # ValueError includes UnicodeDecodeError
            raise NinjaValidationError(
                [{"loc": ("body",), "type": "json_invalid", "msg": f"JSON illisible ({exc})."}]
            ) from exc
        if not isinstance(data, dict):
            # ninja would read attributes off a list or a string and see an empty object.
            raise NinjaValidationError([{"loc": ("body",), "type": "dict_type", "msg": "object expected"}])
        return data


api = NinjaAPI(
    title="Parvis API",
    version="1",
    description=__doc__,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    parser=JsonParser(),
)


# --- Errors -----------------------------------------------------------------------------------------

# Pydantic error types → French messages; `ctx` fills the placeholders.
_FRENCH = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Une chaîne de caractères est attendue.",
    "string_too_long": "Texte trop long : {max_length} caractères au plus.",
    "string_too_short": "Texte trop court : {min_length} caractère(s) au moins.",
    "int_type": "Un nombre entier est attendu.",
    "int_parsing": "Un nombre entier est attendu.",
    "int_from_float": "Un nombre entier est attendu.",
    "greater_than_equal": "La valeur doit être supérieure ou égale à {ge}.",
    "less_than_equal": "La valeur doit être inférieure ou égale à {le}.",
    "bool_type": "Un booléen (true ou false) est attendu.",
    "bool_parsing": "Un booléen (true ou false) est attendu.",
    "list_type": "Une liste est attendue.",
    "dict_type": "Un objet JSON est attendu.",
    "model_type": "Un objet JSON est attendu.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "literal_error": "Valeur non permise : {expected}.",
    "enum": "Valeur non permise : {expected}.",
    "datetime_type": "Une date ISO 8601 avec fuseau est attendue (ex. 2026-05-04T09:30:00+02:00).",
    "datetime_parsing": "Date illisible : ISO 8601 avec fuseau attendu (ex. 2026-05-04T09:30:00+02:00).",
    "datetime_from_date_parsing": "Date illisible : ISO 8601 avec fuseau attendu (ex. 2026-05-04T09:30:00+02:00).",
    "timezone_aware": "La date doit préciser son fuseau horaire (ex. +02:00 ou Z).",
    "url_parsing": "Adresse web invalide.",
    "url_type": "Adresse web invalide.",
    "extra_forbidden": "Champ inconnu.",
    "json_invalid": "JSON illisible.",
    "too_long": "Trop d'éléments : {max_length} au plus.",
}
_BODY_PARAM_NAMES = frozenset({"payload", "filters"})
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p != "[key]"]  # a bad dict key: name the key itself
    where = parts[0] if parts and parts[0] in _LOCATIONS else ""
    if where:
        parts = parts[1:]
    if parts and parts[0] in _BODY_PARAM_NAMES:
        parts = parts[1:]
    return ".".join(parts) or where or NON_FIELD_ERRORS


def _french(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "json_invalid":
        return str(error.get("msg", "JSON illisible."))
    if kind == "value_error":  # our own validators: the message is already French
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _FRENCH.get(kind)
    if template is None:
        return str(error.get("msg", "Valeur invalide."))
    ctx = dict(error.get("ctx") or {})
    if "expected" in ctx:
        ctx["expected"] = str(ctx["expected"]).replace(" or ", " ou ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return str(error.get("msg", "Valeur invalide."))


def _errors(request, mapping: dict[str, list[str]]):
    return api.create_response(request, {"errors": mapping}, status=422)


@api.exception_handler(NinjaValidationError)
def _ninja_validation(request, exc):
    out: dict[str, list[str]] = {}
    for error in exc.errors:
        out.setdefault(_field_name(error.get("loc", ())), []).append(_french(error))
    return _errors(request, out)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    # ninja wraps any parser failure in a 400; malformed JSON is bad input like any other: 422.
    if isinstance(exc.__cause__, NinjaValidationError):
        return _ninja_validation(request, exc.__cause__)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc):
    if hasattr(exc, "error_dict"):
        return _errors(request, {field: list(messages) for field, messages in exc.message_dict.items()})
    return _errors(request, {NON_FIELD_ERRORS: list(exc.messages)})


@api.exception_handler(InvalidTransition)
def _invalid_transition(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Action non autorisée."}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Introuvable."}, status=404)


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return api.create_response(request, {"detail": "Introuvable."}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = api.create_response(
        request,
        {"detail": "Authentification requise : jeton « Authorization: Bearer pv_... » valide ou session."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="parvis"'
    return response


api.add_router("", organisations_router)
api.add_router("", channels_router)
api.add_router("", publishing_router)
