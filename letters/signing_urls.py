"""URLs of the signing workflow, included into the `letters` namespace by letters/urls.py.

They come before the letter's own `<slug>/` patterns; the fixed first segments used here are
reserved and never given to a letter as its slug (letters.services.lifecycle.RESERVED_SLUGS).
"""

from django.urls import path

from . import signing_views as views

urlpatterns = [
    path("my-signatures/", views.my_signatures, name="my-signatures"),
    path("invitations/<str:secret>/", views.sign_invitation, name="sign-invitation"),
    path("signatures/confirm/<str:token>/", views.signature_confirm, name="signature-confirm"),
    path("signatures/manage/<str:token>/", views.signature_manage, name="signature-manage"),
    path(
        "signatures/reconfirm/<str:token>/", views.signature_reconfirm, name="signature-reconfirm"
    ),
    path("signatures/<int:pk>/withdraw/", views.signature_withdraw, name="signature-withdraw"),
    path("<str:slug>/sign/", views.sign, name="sign"),
    path("<str:slug>/sign/sent/", views.sign_sent, name="sign-sent"),
    path("<str:slug>/signatures/", views.letter_signatures, name="letter-signatures"),
]
