"""Included from config/urls.py under /bench/ only when settings.BENCH_VIEWS is on."""

from django.urls import path

from . import views

app_name = "bench"

urlpatterns = [
    path("text/", views.bare_text, name="text"),
    path("insert/", views.bare_insert, name="insert"),
]
