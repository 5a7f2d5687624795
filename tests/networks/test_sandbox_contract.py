import pytest

from parvis.networks.sandbox.connector import SandboxConnector
from parvis.networks.types import Credentials
from tests.networks.contract import ConnectorContract


class TestSandboxContract(ConnectorContract):
    @pytest.fixture
    def connector(self, sandbox):
        return SandboxConnector("mastodon", Credentials("contrat", {"token": "t"}), base_url=sandbox.url)
