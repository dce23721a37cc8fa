from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("mine/", views.my_organisations, name="mine"),
]
