from django.urls import path

from . import views

app_name = "organisations"

# "mine", "new" and "invitations" come before the slug patterns, which would otherwise match
# them; they are never given to an organisation as its slug (services.RESERVED_SLUGS).
urlpatterns = [
    path("mine/", views.my_organisations, name="mine"),
    path("new/", views.create, name="create"),
    path("invitations/<str:secret>/", views.invitation_accept, name="invitation-accept"),
    path("<str:slug>/", views.detail, name="detail"),
    path("<str:slug>/edit/", views.edit, name="edit"),
    path("<str:slug>/members/", views.members, name="members"),
    path("<str:slug>/members/<int:pk>/role/", views.member_role, name="member-role"),
    path("<str:slug>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path(
        "<str:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "<str:slug>/requests/<int:pk>/<str:decision>/",
        views.membership_request,
        name="membership-request",
    ),
    path("<str:slug>/domains/", views.domains, name="domains"),
    path("<str:slug>/domains/<int:pk>/remove/", views.domain_remove, name="domain-remove"),
]
