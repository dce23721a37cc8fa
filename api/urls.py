from django.urls import path

from .views import public, records, schema, tokens

app_name = "api"

urlpatterns = [
    path("v1/openapi.json", schema.Schema.as_view(), name="schema"),
    path("v1/letters/", public.LetterList.as_view(), name="letters"),
    path("v1/letters/<str:slug>/", public.LetterDetail.as_view(), name="letter"),
    path(
        "v1/letters/<str:slug>/signatories/",
        public.Signatories.as_view(),
        name="signatories",
    ),
    path(
        "v1/letters/<str:slug>/signatures/",
        records.SignatureRecords.as_view(),
        name="signatures",
    ),
    path(
        "v1/letters/<str:slug>/invitations/",
        records.InvitationRecords.as_view(),
        name="invitations",
    ),
    path("v1/my/letters/", records.CoordinatedLetters.as_view(), name="my-letters"),
]

# The account pages where a user creates and revokes tokens (config/urls.py, under accounts/).
account_urlpatterns = [
    path("accounts/api-tokens/", tokens.token_list, name="api-tokens"),
    path("accounts/api-tokens/<int:pk>/revoke/", tokens.token_revoke, name="api-token-revoke"),
]
