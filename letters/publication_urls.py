"""URLs of the public record, included into the `letters` namespace by letters/urls.py."""

from django.urls import path

from . import publication_views as views

urlpatterns = [
    path("<str:slug>/letter.pdf", views.letter_pdf, name="pdf"),
    path(
        "<str:slug>/letter-recipient-edition.pdf",
        views.letter_pdf_recipient,
        name="pdf-recipient",
    ),
    path("<str:slug>/signatories.csv", views.signatories_csv, name="csv"),
    path(
        "<str:slug>/signatories-contacts.csv",
        views.signatories_csv_coordinator,
        name="csv-coordinator",
    ),
    path("<str:slug>/publication/", views.publication, name="publication"),
    path("<str:slug>/embed/", views.embed, name="embed"),
]
