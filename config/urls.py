from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from accounts import views as account_views
from api.urls import account_urlpatterns as api_account_urlpatterns
from letters.views import account_data

from . import views

# The admin logs in through allauth: its rate limits and 2FA apply (DESIGN.md §7).
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Undersigned"
admin.site.site_title = _("Undersigned admin")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/", views.set_language, name="set_language"),
    # The account's data: download, deletion (letters.views.account_data; before allauth's).
    path("accounts/data/", account_data.account_data, name="account-data"),
    path(
        "accounts/data/download/",
        account_data.account_data_download,
        name="account-data-download",
    ),
    path("accounts/data/delete/", account_data.account_delete, name="account-delete"),
    path("accounts/name/", account_views.account_name, name="account-name"),
    # Personal API tokens (api.views.tokens; before allauth's).
    *api_account_urlpatterns,
    path("accounts/", include("allauth.urls")),
    path("organisations/", include("organisations.urls")),
    path("letters/", include("letters.urls")),
    # The read API and its OpenAPI schema (api/; README "Read API").
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # Uploaded logos in development; production serves MEDIA_ROOT from the web server.
    urlpatterns += [
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}, name="media"),
    ]

if settings.BENCH_VIEWS:
    # The bare baseline views the benchmarks compare against (bench/README.md).
    urlpatterns += [path("bench/", include("bench.urls"))]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
