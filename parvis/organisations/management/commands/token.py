"""`parvis token create|list|revoke`: personal API tokens. A token is printed once; only its SHA-256 is kept."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from parvis.organisations.models import ApiToken


class Command(BaseCommand):
    help = "Jetons d'accès personnels à l'API (/api/v1/)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="crée un jeton et l'affiche une seule fois")
        create.add_argument("--user", required=True, help="identifiant de connexion de la personne")
        create.add_argument("--name", required=True, help="à quoi sert ce jeton (ex. « script d'export »)")
        listing = sub.add_parser("list", help="liste les jetons (sans leur valeur)")
        listing.add_argument("--user", help="seulement les jetons de cette personne")
        revoke = sub.add_parser("revoke", help="révoque un jeton")
        revoke.add_argument("--id", dest="token_id", type=int, required=True, help="numéro du jeton (voir « list »)")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _user(self, username):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"Utilisateur inconnu : {username}") from None

    def _create(self, *, user, name, **_):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("Le nom du jeton doit faire entre 1 et 100 caractères.")
        record, token = ApiToken.issue(self._user(user), name)
        self.stderr.write(f"Jeton n° {record.pk} créé pour {user} ({name}). Copiez-le maintenant : "
                          "il ne sera plus jamais affiché.")
        self.stdout.write(token)

    def _list(self, *, user=None, **_):
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at")
        if user:
            tokens = tokens.filter(user=self._user(user))
        for t in tokens:
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "jamais utilisé"
            self.stdout.write(f"{t.pk}\t{t.user.get_username()}\t{t.prefix}…\t{t.name}\t{used}")

    def _revoke(self, *, token_id, **_):
        deleted, _ = ApiToken.objects.filter(pk=token_id).delete()
        if not deleted:
            raise CommandError(f"Aucun jeton n° {token_id}.")
        self.stdout.write(f"Jeton n° {token_id} révoqué.")
