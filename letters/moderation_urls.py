"""URLs of delegated moderation, included into the `letters` namespace by letters/urls.py."""

from django.urls import path

from . import moderation_views as views

urlpatterns = [
    path("<str:slug>/signatures/approve/", views.signatures_approve, name="signatures-approve"),
    path("<str:slug>/signatures/reject/", views.signatures_reject, name="signatures-reject"),
]
