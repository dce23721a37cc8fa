"""Issue 17, item 4: the coordinators' list of signatories in OSDI's shape (Action Network's
format), so it moves into the CRMs NGOs use: the same signatures and details as the
confidential CSV, for the same people, and nobody else."""

import csv
import io
import json

import pytest
from django.urls import reverse

from letters import exports

pytestmark = pytest.mark.django_db


def _osdi(client, letter) -> dict:
    response = client.get(reverse("letters:osdi-coordinator", args=[letter.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/hal+json; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{letter.slug}-signatories-confidential-osdi.json"'
    )
    return json.loads(response.content)


def test_the_letter_is_a_petition_and_each_signature_on_the_record_a_signature(
    client,
    owner,
    published_with_list,
):
    letter, signatures = published_with_list
    client.force_login(owner)

    document = _osdi(client, letter)

    assert document["origin_system"] == "Undersigned"
    assert document["identifiers"] == [f"undersigned:letter-{letter.slug}"]
    assert document["title"] == letter.title
    assert document["target"] == [{"name": letter.recipient}]
    assert document["browser_url"].endswith(letter.get_absolute_url())
    records = document["_embedded"]["osdi:signatures"]
    assert document["total_signatures"] == len(records) == 7  # as the confidential CSV
    by_id = {record["identifiers"][0]: record for record in records}
    public = by_id[f"undersigned:signature-{signatures['public'].pk}"]
    assert public["_embedded"]["osdi:person"] == {
        "given_name": "Pema Dolma",
        "employer": "Tibet Watch",
        "email_addresses": [{"address": "pema.secret@tibetwatch.example.net", "primary": True}],
        "custom_fields": {"job_title": "Director"},
        "postal_addresses": [{"locality": "Tibet"}],
    }
    assert public["custom_fields"]["visibility"] == "public"
    assert public["custom_fields"]["signer_name_shown_publicly"] is True
    assert public["custom_fields"]["version_signed"] == 1
    assert public["custom_fields"]["version_sha256"] == signatures["public"].version_hash
    assert public["custom_fields"]["status"] == "approved"
    assert public["action_date"].startswith(signatures["public"].confirmed_at.date().isoformat())
    # The coordinators' record: the withheld organisations too, with their contacts.
    counted = by_id[f"undersigned:signature-{signatures['counted_only'].pk}"]
    assert counted["custom_fields"]["visibility"] == "counted_only"
    assert counted["_embedded"]["osdi:person"]["email_addresses"][0]["address"] == (
        "co.contact@underground.example.net"
    )


def test_it_holds_exactly_the_confidential_csv_s_signatures(owner, published_with_list):
    letter, _signatures = published_with_list
    rows = list(csv.reader(io.StringIO("".join(exports.coordinator_csv(letter)).lstrip("\ufeff"))))
    records = exports.osdi_signatures(letter)["_embedded"]["osdi:signatures"]

    assert [
        [
            record["custom_fields"]["organisation"],
            record["_embedded"]["osdi:person"]["email_addresses"][0]["address"],
        ]
        for record in records
    ] == [[row[0], row[5]] for row in rows[1:]]


def test_names_in_every_script_are_kept_whole(client, owner, published_with_list):
    letter, _signatures = published_with_list
    client.force_login(owner)

    raw = client.get(reverse("letters:osdi-coordinator", args=[letter.slug])).content.decode()

    # Written as UTF-8, not escaped: readable in any editor the coordinators open it with.
    for name in {r["employer"] for r in _people(json.loads(raw))}:
        assert name in raw


def _people(document: dict) -> list[dict]:
    return [r["_embedded"]["osdi:person"] for r in document["_embedded"]["osdi:signatures"]]


def test_only_the_letter_s_coordinators_and_moderators_get_it(
    client,
    published_with_list,
    other_coordinator,
    moderator,
    signer,
):
    letter, _signatures = published_with_list
    url = reverse("letters:osdi-coordinator", args=[letter.slug])

    assert client.get(url).status_code == 302  # to the login page
    for user, expected in ((signer, 404), (other_coordinator, 404), (moderator, 200)):
        client.force_login(user)
        assert client.get(url).status_code == expected, user
    assert client.post(url).status_code == 405


def test_the_publication_page_offers_it(client, owner, published_with_list):
    letter, _signatures = published_with_list
    client.force_login(owner)

    page = client.get(reverse("letters:publication", args=[letter.slug])).content.decode()

    assert reverse("letters:osdi-coordinator", args=[letter.slug]) in page


def test_a_withdrawal_after_delivery_is_a_code_in_every_language(
    client, owner, published_with_list
):
    from letters import services

    letter, signatures = published_with_list
    services.withdraw_signature(signature=signatures["public"])
    client.force_login(owner)

    response = client.get(
        reverse("letters:osdi-coordinator", args=[letter.slug]), {"lang": "zh-hans"}
    )

    records = {
        r["identifiers"][0]: r for r in json.loads(response.content)["_embedded"]["osdi:signatures"]
    }
    withdrawn = records[f"undersigned:signature-{signatures['public'].pk}"]
    assert withdrawn["custom_fields"]["status"] == "withdrawn_after_delivery"
    assert {r["custom_fields"]["status"] for r in records.values()} == {
        "approved",
        "withdrawn_after_delivery",
    }
