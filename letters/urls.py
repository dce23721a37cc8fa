from django.urls import path

from . import invitation_urls, moderation_urls, publication_urls, signing_urls, views

app_name = "letters"

urlpatterns = [
    path("", views.letter_index, name="index"),
    # Fixed paths before the slug pattern, which would otherwise take them. Slugs are
    # Unicode (services._unique_slug), hence <str:slug> rather than <slug:slug>.
    path("dashboard/", views.dashboard, name="dashboard"),
    path("new/", views.letter_create, name="create"),
    *signing_urls.urlpatterns,
    *invitation_urls.urlpatterns,
    *moderation_urls.urlpatterns,
    path("<str:slug>/", views.letter_detail, name="detail"),
    path("<str:slug>/edit/", views.letter_edit, name="edit"),
    path("<str:slug>/settings/", views.letter_settings, name="settings"),
    path("<str:slug>/coordinators/", views.letter_coordinators, name="coordinators"),
    path(
        "<str:slug>/coordinators/<int:pk>/role/",
        views.coordinator_role,
        name="coordinator-role",
    ),
    path(
        "<str:slug>/coordinators/<int:pk>/remove/",
        views.coordinator_remove,
        name="coordinator-remove",
    ),
    path("<str:slug>/open/", views.letter_open, name="open"),
    path("<str:slug>/close/", views.letter_close, name="close"),
    path("<str:slug>/reopen/", views.letter_reopen, name="reopen"),
    path("<str:slug>/publish/", views.letter_publish, name="publish"),
    path("<str:slug>/versions/", views.letter_versions, name="versions"),
    path("<str:slug>/versions/<int:number>/", views.letter_version, name="version"),
    *publication_urls.urlpatterns,
]
