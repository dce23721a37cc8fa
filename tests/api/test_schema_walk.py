"""The OpenAPI schema is valid, and every endpoint it lists answers every role as expected:
walked from the schema itself, so a new endpoint without an expectation fails here."""

import json

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from .conftest import ROLES, auth

pytestmark = pytest.mark.django_db

OK, UNAUTHENTICATED, NOT_FOUND = 200, 401, 404


def _row(anonymous, coordinator, other, moderator, signer, revoked, expired, garbage):
    return dict(
        zip(
            ROLES,
            (anonymous, coordinator, other, moderator, signer, revoked, expired, garbage),
            strict=True,
        )
    )


# Public: the same for everyone; a bad token is refused, never read as anonymous.
PUBLIC = _row(OK, OK, OK, OK, OK, 401, 401, 401)
# A letter's records: its coordinators and moderators; another coordinator's token, or a
# signer's, gets the 404 of a letter that does not exist.
RECORDS = _row(401, OK, NOT_FOUND, OK, NOT_FOUND, 401, 401, 401)
TOKEN = _row(401, OK, OK, OK, OK, 401, 401, 401)

EXPECTED = {
    "/api/v1/letters/": PUBLIC,
    "/api/v1/letters/{slug}/": PUBLIC,
    "/api/v1/letters/{slug}/signatories/": PUBLIC,
    "/api/v1/letters/{slug}/signatures/": RECORDS,
    "/api/v1/letters/{slug}/invitations/": RECORDS,
    "/api/v1/my/letters/": TOKEN,
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def test_the_schema_is_valid_openapi(schema):
    validate(schema)  # raises on an invalid document

    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["personalToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token, created under Account → API tokens.",
    }


def test_the_schema_is_served_at_its_stable_address(client):
    assert reverse("api:schema") == "/api/v1/openapi.json"
    # A bad token does not hide the description of the API
    response = client.get("/api/v1/openapi.json", **auth("und_garbage"))
    assert response.status_code == 200


def test_every_path_of_the_schema_has_an_expectation(schema):
    assert sorted(schema["paths"]) == sorted(EXPECTED)


def test_every_endpoint_answers_every_role_as_expected(client, schema, secrets_by_role, letters):
    # Given a published letter of the coordinator's (signed, delivered, invited to)
    answers, expected = {}, {}
    for path, operations in schema["paths"].items():
        assert list(operations) == ["get"], f"{path}: the API is read-only"
        url = path.replace("{slug}", letters.published.slug)
        for role in ROLES:
            # When each role asks
            response = client.get(url, **auth(secrets_by_role[role]))
            answers[path, role] = response.status_code
            expected[path, role] = EXPECTED[path][role]
            # Then every answer is JSON; a refusal of a token says how to authenticate
            assert response["Content-Type"] == "application/json", (path, role)
            if response.status_code == 401:
                assert response["WWW-Authenticate"] == 'Bearer realm="api"'
            if response.status_code == 200:
                body = json.loads(response.content)
                assert body, (path, role)

    assert answers == expected


def test_records_of_a_draft_only_for_its_coordinators(client, secrets_by_role, letters):
    """Moderators read records of letters, not drafts; another coordinator's draft does not
    exist for the owner's token either (404, like a made-up address)."""
    for name in ("api:signatures", "api:invitations"):
        own = reverse(name, args=[letters.draft.slug])
        theirs = reverse(name, args=[letters.others_draft.slug])
        nowhere = reverse(name, args=["no-such-letter"])
        assert client.get(own, **auth(secrets_by_role["coordinator"])).status_code == 200
        assert client.get(own, **auth(secrets_by_role["moderator"])).status_code == 404
        assert client.get(theirs, **auth(secrets_by_role["coordinator"])).status_code == 404
        refused = client.get(theirs, **auth(secrets_by_role["coordinator"]))
        missing = client.get(nowhere, **auth(secrets_by_role["coordinator"]))
        assert refused.content == missing.content


def test_a_draft_is_not_public_even_to_its_coordinators_token(client, secrets_by_role, letters):
    for name in ("api:letter", "api:signatories"):
        url = reverse(name, args=[letters.draft.slug])
        for role in ("anonymous", "coordinator", "moderator"):
            assert client.get(url, **auth(secrets_by_role[role])).status_code == 404, (name, role)
