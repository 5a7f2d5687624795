import pytest
from django.db import DatabaseError, connection, transaction

from parvis.audit.actions import record
from parvis.audit.models import AuditEvent
from tests.factories import AuthorityFactory

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_nor_deleted_through_the_model():
    event = record(AuthorityFactory(), None, "test.done")
    event.verb = "test.rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.parametrize("sql", ["UPDATE audit_auditevent SET verb = 'x'", "DELETE FROM audit_auditevent"])
def test_the_database_refuses_rewriting_history(sql):
    if "DELETE" in sql and connection.vendor == "sqlite":
        pytest.skip("SQLite: deletion is refused by the model (a trigger would block test flushes)")
    record(AuthorityFactory(), None, "test.done")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.filter(verb="test.done").count() == 1


def test_bulk_queryset_writes_are_refused_too():
    record(AuthorityFactory(), None, "test.done")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(verb="x")
