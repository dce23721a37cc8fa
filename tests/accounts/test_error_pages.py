"""The error pages render in the site's layout with the right status; the 500 page needs
neither the database nor a request context."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config.views import server_error


def template_names(response) -> list[str]:
    return [t.name for t in response.templates]


@pytest.mark.django_db
def test_an_unknown_address_renders_the_site_404(client):
    # When a visitor opens an address that does not exist
    response = client.get("/no-such-page/")

    # Then the site's own 404 page answers, in the site layout
    assert response.status_code == 404
    assert template_names(response)[:2] == ["errors/404.html", "base.html"]
    assert b"We cannot find this page" in response.content
    assert b'class="site-header"' in response.content


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.error_urls")
def test_permission_denied_renders_the_site_403(client):
    # When a view refuses with PermissionDenied
    response = client.get("/test-errors/forbidden/")

    # Then the site's 403 page answers, offering a login to an anonymous visitor
    assert response.status_code == 403
    assert template_names(response)[:2] == ["errors/403.html", "base.html"]
    assert b"You are not allowed to do this" in response.content
    assert b'href="/accounts/login/?next=/test-errors/forbidden/"' in response.content


@pytest.mark.urls("tests.accounts.error_urls")
def test_an_unhandled_error_renders_the_500_page_without_the_database():
    # Given no database access at all (this test has no django_db mark: any query fails)
    client = Client(raise_request_exception=False)

    # When a view crashes
    response = client.get("/test-errors/broken/")

    # Then the plain 500 page answers
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"/static/css/site.css" in response.content


def test_the_500_handler_renders_with_an_empty_context():
    # When the handler is called directly, without database, user or context processors
    response = server_error(RequestFactory().get("/"))

    # Then it renders
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


@pytest.mark.django_db
def test_a_csrf_failure_shows_the_friendly_page():
    # Given a browser that posts a form without its CSRF token (expired, cookies blocked)
    client = Client(enforce_csrf_checks=True)

    # When it posts the login form
    response = client.post(reverse("account_login"), {"login": "a@example.org", "password": "x"})

    # Then the friendly "form expired" page answers, and nobody is logged in
    assert response.status_code == 403
    assert template_names(response)[:2] == ["errors/403_csrf.html", "base.html"]
    assert b"This form has expired" in response.content
    assert "_auth_user_id" not in client.session


def test_a_request_for_an_unknown_host_gets_the_400_page_not_a_500(client, settings):
    settings.ALLOWED_HOSTS = ["good.example"]
    settings.DEBUG = False

    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert b"We could not understand that request" in response.content
