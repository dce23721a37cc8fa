from django.urls import path

from . import views

app_name = "organisations"

# "mine" and "new" come before the slug patterns, which would otherwise match them.
urlpatterns = [
    path("mine/", views.my_organisations, name="mine"),
    path("new/", views.create, name="create"),
    path("<str:slug>/", views.detail, name="detail"),
    path("<str:slug>/edit/", views.edit, name="edit"),
    path("<str:slug>/members/", views.members, name="members"),
    path("<str:slug>/members/<int:pk>/role/", views.member_role, name="member-role"),
    path("<str:slug>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("<str:slug>/domains/", views.domains, name="domains"),
    path("<str:slug>/domains/<int:pk>/remove/", views.domain_remove, name="domain-remove"),
]
