"""URLs of invitations, included into the `letters` namespace by letters/urls.py, before the
letter's own `<slug>/` patterns ("invitations" is a reserved letter slug)."""

from django.urls import path

from . import invitation_views as views

urlpatterns = [
    # The invitee, through the link in their email (the secret is the permission).
    path("invitations/<str:secret>/decline/", views.invitation_decline, name="invitation-decline"),
    path("invitations/<str:secret>/forward/", views.invitation_forward, name="invitation-forward"),
    # The letter's coordinators (moderators read the list, its counts and the export).
    path("<str:slug>/invitations/", views.invitation_list, name="invitations"),
    path("<str:slug>/invitations/new/", views.invitation_create, name="invitation-create"),
    path(
        "<str:slug>/invitations/progress/",
        views.invitation_progress,
        name="invitation-progress",
    ),
    path("<str:slug>/invitations/export/", views.invitation_export, name="invitation-export"),
    path(
        "<str:slug>/invitations/resend-failed/",
        views.invitation_resend_failed,
        name="invitation-resend-failed",
    ),
    path("<str:slug>/invitations/import/", views.invitation_import, name="invitation-import"),
    path(
        "<str:slug>/invitations/import/<int:pk>/",
        views.invitation_import_preview,
        name="invitation-import-preview",
    ),
    path(
        "<str:slug>/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "<str:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
]
