import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_renders_for_anonymous(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert b"Joint letters, co-signed by organisations" in response.content
