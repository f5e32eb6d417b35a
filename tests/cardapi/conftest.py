import pytest

from tests.cardapi.helpers import create_facility, create_terminal, issue_card, issue_device_card
from tests.helpers import staff


@pytest.fixture
def admin(app, client):
    return staff(app, client, "admin")


@pytest.fixture
def facility(client, admin):
    return create_facility(client, admin)


@pytest.fixture
def terminal(client, admin, facility):
    return create_terminal(client, admin, facility["id"])


@pytest.fixture
def card(client):
    return issue_card(client)


@pytest.fixture
def device_card(client):
    return issue_device_card(client)
