"""The admin in the site's look, with the site's icon (issue 15, item 16): a stylesheet of
Django's admin variables and a link, no script, the Content-Security-Policy unchanged."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_admin_links_the_sites_icon_and_theme_and_runs_no_new_script(client, moderator):
    client.force_login(moderator)

    response = client.get(reverse("admin:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    assert 'href="/static/css/admin-theme.css"' in page
    assert "<style" not in page
    assert finders.find("img/favicon.svg")
    assert finders.find("css/admin-theme.css")
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    with open(finders.find("css/admin-theme.css"), encoding="utf-8") as stylesheet:
        theme = stylesheet.read()
    assert "--header-bg: #1d3557;" in theme
    assert "text-transform: none;" in theme


def test_the_audit_trail_shows_dates_as_the_site_writes_them(client, moderator, pending):
    client.force_login(moderator)

    page = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()

    today = timezone.localtime().strftime("%-d %B %Y")
    assert today in page
    assert "a.m." not in page
    assert "p.m." not in page
