"""One contract every connector passes (the django-allauth way: one shared mixin, one subclass per network).

A subclass provides `connector` (a fixture-built instance) and may override `make_text`. Capabilities the
connector does not declare are checked to raise NotImplementedError; declared ones are exercised.
"""

import uuid

import pytest

from parvis.networks.base import CAPABILITIES
from parvis.networks.types import CommentPage, MetricSet, PostRequest, PostResult


class ConnectorContract:
    """Mix into a test class that defines a `connector` fixture."""

    def make_text(self) -> str:
        return f"Test Parvis {uuid.uuid4().hex[:8]} — marché de Noël"

    def test_declares_only_known_capabilities(self, connector):
        assert connector.capabilities <= CAPABILITIES
        assert {"publish", "lookup"} <= connector.capabilities

    def test_publish_then_find_by_marker_then_delete(self, connector):
        marker = str(uuid.uuid4())
        posted = connector.publish(PostRequest(text=self.make_text(), marker=marker))
        assert isinstance(posted, PostResult) and posted.remote_id
        found = connector.find_by_marker(marker)
        assert found is not None and found.remote_id == posted.remote_id
        if connector.supports("delete"):
            connector.delete(posted.remote_id)
            assert connector.find_by_marker(marker) is None

    def test_unknown_marker_is_not_found(self, connector):
        assert connector.find_by_marker(str(uuid.uuid4())) is None

    def test_undeclared_capabilities_raise(self, connector):
        calls = {
            "comments": lambda: connector.fetch_comments(),
            "hide_comment": lambda: connector.hide_comment("1"),
            "delete_comment": lambda: connector.delete_comment("1"),
            "account_metrics": lambda: connector.account_metrics(),
            "post_metrics": lambda: connector.post_metrics("1"),
            "refresh": lambda: connector.refresh_credentials(),
        }
        for capability, call in calls.items():
            if not connector.supports(capability):
                with pytest.raises(NotImplementedError):
                    call()

    def test_comments_page_shape(self, connector):
        if not connector.supports("comments"):
            pytest.skip("pas de lecture des commentaires sur ce réseau")
        page = connector.fetch_comments()
        assert isinstance(page, CommentPage)
        for comment in page.comments:
            assert comment.remote_id and comment.created_at.tzinfo is not None

    def test_account_metrics_shape(self, connector):
        if not connector.supports("account_metrics"):
            pytest.skip("pas de mesures de compte sur ce réseau")
        metrics = connector.account_metrics()
        assert isinstance(metrics, MetricSet)
        assert all(isinstance(v, int | float) for v in metrics.values.values())
