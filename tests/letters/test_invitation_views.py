"""The invitations pages for every role: who sees what; the upload → preview → fix → send path;
the tracking page, its counts and export; resend and revoke; the invitee's decline and
hand-over pages. Refusals change nothing and queue no email."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from letters import services
from letters.models import Invitation, InvitationImport, Letter
from letters.models.invitations import email_index
from outbox.models import OutboundEmail
from tests.emails import as_sent
from tests.letters.invitation_helpers import (
    HEADER,
    LOCMEM_MAILER,
    deliver_outbox,
    invitation_world,
    page_text,
    secret_in,
    upload,
)
from tests.letters.signing_helpers import emails_of
from tests.letters.test_views import is_login_redirect, login, messages_of

pytestmark = pytest.mark.django_db

St = Invitation.Status
ROLES = ["anonymous", "signer", "other_coordinator", "owner", "editor", "moderator"]


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.MAILERS = LOCMEM_MAILER


def invite(letter, actor, email="pema@tibetaction.example.net", **kwargs):
    kwargs.setdefault("organisation_name", "Tibet Action Institute")
    kwargs.setdefault("contact_name", "Pema Dolma")
    return services.invite(letter=letter, actor=actor, email=email, **kwargs)


def csv_file(text: str, name: str = "contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# --- Who may see which page -----------------------------------------------------------------------

# (url name, extra kwargs, who gets 200 besides the letter's coordinators)
COORDINATOR_PAGES = [
    ("letters:invitations", {}, {"moderator"}),
    ("letters:invitation-progress", {}, {"moderator"}),
    ("letters:invitation-export", {}, {"moderator"}),
    ("letters:invitation-create", {}, set()),
    ("letters:invitation-import", {}, set()),
    ("letters:invitation-import-preview", {"pk": "import"}, set()),
    ("letters:invitation-resend-failed", {}, set()),
    ("letters:invitation-resend", {"pk": "invitation"}, set()),
    ("letters:invitation-revoke", {"pk": "invitation"}, set()),
]


@pytest.fixture
def scene(open_letter, owner):
    invitation = invite(open_letter, owner)
    invitation_import = upload(open_letter, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,\n")
    return {"letter": open_letter, "invitation": invitation, "import": invitation_import}


def page_url(name: str, extra: dict, scene: dict) -> str:
    kwargs = {"slug": scene["letter"].slug}
    for key, value in extra.items():
        kwargs[key] = scene[value].pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "extra", "readers"), COORDINATOR_PAGES)
def test_get_answers_each_role(client, request, scene, role, name, extra, readers):
    login(client, request, role)
    before = invitation_world()

    response = client.get(page_url(name, extra, scene))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in {"owner", "editor"} or role in readers:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
    assert invitation_world() == before


def test_moderators_do_not_read_a_drafts_invitations(client, moderator, draft_letter, owner):
    invite(draft_letter, owner)
    client.force_login(moderator)

    response = client.get(reverse("letters:invitations", args=[draft_letter.slug]))

    assert response.status_code == 404


def test_a_moderator_reads_but_is_offered_no_action(client, moderator, scene):
    client.force_login(moderator)

    response = client.get(reverse("letters:invitations", args=[scene["letter"].slug]))

    content = response.content.decode()
    assert "pema@tibetaction.example.net" in content
    slug = scene["letter"].slug
    for path in (
        "new/",
        "import/",
        f"{scene['invitation'].pk}/resend/",
        f"{scene['invitation'].pk}/revoke/",
    ):
        assert f"/letters/{slug}/invitations/{path}" not in content
    assert 'class="subnav"' not in content


POSTS = [
    (
        "letters:invitation-create",
        {},
        {"organisation_name": "X", "contact_name": "Y", "email": "y@x.example.org"},
    ),
    ("letters:invitation-import-preview", {"pk": "import"}, {"action": "confirm"}),
    ("letters:invitation-resend-failed", {}, {}),
    ("letters:invitation-resend", {"pk": "invitation"}, {}),
    ("letters:invitation-revoke", {"pk": "invitation"}, {}),
]


@pytest.mark.parametrize("role", ["anonymous", "signer", "other_coordinator", "moderator"])
@pytest.mark.parametrize(("name", "extra", "data"), POSTS)
def test_a_post_by_anyone_but_the_coordinators_changes_nothing(
    client, request, scene, role, name, extra, data
):
    Invitation.objects.filter(pk=scene["invitation"].pk).update(status=St.FAILED)
    login(client, request, role)
    before = invitation_world()

    response = client.post(page_url(name, extra, scene), data)

    assert is_login_redirect(response) if role == "anonymous" else response.status_code == 404
    assert invitation_world() == before


def test_a_coordinator_of_another_letter_cannot_reach_its_invitations_through_their_own(
    client, make_letter, owner, other_coordinator
):
    # Given letter B with an invitation and an upload, and the coordinator of letter A
    letter_b = make_letter(Letter.Status.OPEN)
    invitation_b = invite(letter_b, owner)
    import_b = upload(letter_b, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,\n")
    letter_a = Letter.objects.get(coordinators__user=other_coordinator)
    services.open_letter(letter=letter_a, actor=other_coordinator)
    client.force_login(other_coordinator)
    before = invitation_world()

    # When they use B's ids under their own letter A's address
    responses = [
        client.post(reverse("letters:invitation-revoke", args=[letter_a.slug, invitation_b.pk])),
        client.post(reverse("letters:invitation-resend", args=[letter_a.slug, invitation_b.pk])),
        client.get(reverse("letters:invitation-revoke", args=[letter_a.slug, invitation_b.pk])),
        client.post(
            reverse("letters:invitation-import-preview", args=[letter_a.slug, import_b.pk]),
            {"action": "confirm"},
        ),
        client.get(reverse("letters:invitations", args=[letter_b.slug])),
        client.get(reverse("letters:invitation-export", args=[letter_b.slug])),
        client.get(reverse("letters:invitation-progress", args=[letter_b.slug])),
    ]

    # Then every one is "not found", and nothing changed
    assert [r.status_code for r in responses] == [404] * 7
    assert invitation_world() == before
    own_list = client.get(reverse("letters:invitations", args=[letter_a.slug]))
    assert "pema@tibetaction.example.net" not in own_list.content.decode()


# --- Inviting one contact ---------------------------------------------------------------------


def test_inviting_one_contact_from_the_form(client, owner, open_letter):
    client.force_login(owner)

    response = client.post(
        reverse("letters:invitation-create", args=[open_letter.slug]),
        {"organisation_name": "Free Tibet", "contact_name": "Ana", "email": "ana@ft.example.org"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:invitations", args=[open_letter.slug])
    invitation = Invitation.objects.get()
    assert (invitation.organisation_name, invitation.contact_name, invitation.email) == (
        "Free Tibet",
        "Ana",
        "ana@ft.example.org",
    )
    assert [e.to for e in emails_of("invitation")] == ["ana@ft.example.org"]
    assert messages_of(response) == ["Ana at Free Tibet is invited; the email is on its way."]


def test_the_form_refuses_an_address_that_has_a_live_invitation(client, owner, open_letter):
    invite(open_letter, owner)
    client.force_login(owner)
    before = invitation_world()

    response = client.post(
        reverse("letters:invitation-create", args=[open_letter.slug]),
        {"organisation_name": "X", "contact_name": "Y", "email": "PEMA@tibetaction.example.net"},
    )

    assert response.status_code == 200
    assert (
        "PEMA@tibetaction.example.net already has a live invitation to this letter."
        in page_text(response)
    )
    assert invitation_world() == before


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "pema@localhost", "Enter a valid email address."),
        ("email", "=1@x.org", "Enter a valid email address."),
        ("organisation_name", '=HYPERLINK("x")', "Start with the name itself, not “=”."),
        ("contact_name", "", "This field is required."),
    ],
)
def test_the_form_refuses_bad_input(client, owner, open_letter, field, value, error):
    client.force_login(owner)
    data = {"organisation_name": "Free Tibet", "contact_name": "Ana", "email": "ana@ft.example.org"}
    data[field] = value

    response = client.post(reverse("letters:invitation-create", args=[open_letter.slug]), data)

    assert response.status_code == 200
    assert error in page_text(response)
    assert Invitation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_closed_letter_offers_no_invitation_form(client, owner, closed_letter):
    client.force_login(owner)

    response = client.get(reverse("letters:invitation-create", args=[closed_letter.slug]))

    assert "Invitations can only be sent while the letter is a draft or open." in page_text(
        response
    )
    assert "<form" not in response.content.decode().split("<main", 1)[1].split("</main>")[
        0
    ].replace('action="/accounts/logout/"', "")


# --- Upload → preview → fix → send --------------------------------------------------------------

FILE_WITH_BAD_ROWS = HEADER + (
    "Tibet Action Institute,Pema Dolma,pema@tibetaction.example.net,Dharamsala\n"
    "Free Tibet,Ana,ana@ft,\n"
    '"=HYPERLINK(""https://evil.example/"")",Mallory,m@evil.example.org,\n'
    "Hong Kong Democracy Council,,alex@hkdc.example.org,\n"
    "Uyghur Youth Network,Aysha,aysha@udyn.example.org,\n"
)


def test_upload_preview_fix_and_send(client, owner, open_letter, organisation):
    client.force_login(owner)

    # Upload: a preview, nobody invited yet
    response = client.post(
        reverse("letters:invitation-import", args=[open_letter.slug]),
        {"file": csv_file(FILE_WITH_BAD_ROWS)},
    )
    invitation_import = InvitationImport.objects.get()
    preview_url = reverse(
        "letters:invitation-import-preview", args=[open_letter.slug, invitation_import.pk]
    )
    assert response.status_code == 302
    assert response["Location"] == preview_url
    assert Invitation.objects.count() == 0
    page = page_text(client.get(preview_url))
    assert "New: 2" in page
    assert "Invalid: 3" in page
    assert "3 rows have a problem" in page
    assert "“ana@ft” is not a valid email address." in page
    assert "The organisation starts with “=”, like a spreadsheet formula" in page
    assert "The contact name is missing." in page
    assert "Send 2 invitations" not in page

    # Sending now is refused: nothing is half-imported
    refused = client.post(preview_url, {"action": "confirm"}, follow=True)
    assert "3 rows still have a problem." in page_text(refused)
    assert Invitation.objects.count() == 0

    # Fix two rows, drop the third
    response = client.post(
        preview_url,
        {
            "action": "fix",
            "row-3-organisation": "Free Tibet",
            "row-3-contact_name": "Ana",
            "row-3-email": "ana@freetibet.example.org",
            "row-3-based_in": "",
            "row-4-organisation": '=HYPERLINK("https://evil.example/")',
            "row-4-contact_name": "Mallory",
            "row-4-email": "m@evil.example.org",
            "row-4-drop": "on",
            "row-5-organisation": "Hong Kong Democracy Council",
            "row-5-contact_name": "Alex Chan",
            "row-5-email": "alex@hkdc.example.org",
            "row-5-based_in": "Hong Kong",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == preview_url
    assert messages_of(response) == ["Checked again: every row can be invited."]
    page = page_text(client.get(preview_url))
    assert "New: 4" in page
    assert "Invalid: 0" in page
    assert "Existing organisation: Tibet Action Institute." in page

    # Send
    response = client.post(preview_url, {"action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == reverse("letters:invitations", args=[open_letter.slug])
    assert messages_of(response) == ["4 invitations are being sent. The counts below follow them."]
    assert sorted(Invitation.objects.values_list("email", "organisation__name")) == [
        ("alex@hkdc.example.org", "Hong Kong Democracy Council"),
        ("ana@freetibet.example.org", "Free Tibet"),
        ("aysha@udyn.example.org", "Uyghur Youth Network"),
        ("pema@tibetaction.example.net", "Tibet Action Institute"),
    ]
    assert len(emails_of("invitation")) == 4
    # The preview of a sent file is gone
    assert client.get(preview_url)["Location"] == reverse(
        "letters:invitations", args=[open_letter.slug]
    )


def test_dropping_every_bad_row_in_one_click(client, owner, open_letter):
    client.force_login(owner)
    invitation_import = upload(open_letter, owner, FILE_WITH_BAD_ROWS)
    url = reverse(
        "letters:invitation-import-preview", args=[open_letter.slug, invitation_import.pk]
    )

    client.post(url, {"action": "drop-invalid"})

    invitation_import.refresh_from_db()
    assert [row["line"] for row in invitation_import.rows] == [2, 6]


def test_cancelling_an_upload(client, owner, open_letter):
    client.force_login(owner)
    invitation_import = upload(open_letter, owner, FILE_WITH_BAD_ROWS)
    url = reverse(
        "letters:invitation-import-preview", args=[open_letter.slug, invitation_import.pk]
    )

    response = client.post(url, {"action": "cancel"})

    assert messages_of(response) == ["The upload was cancelled; nobody was invited."]
    invitation_import.refresh_from_db()
    assert (invitation_import.status, invitation_import.rows) == ("cancelled", [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"organisation;email\nA;a@b.org\n", "Missing: contact name."),
        (
            "organisation,contact name,email\nSoci\xe9t\xe9,Zo\xeb,z@s.org\n".encode("latin-1"),
            "The file is not UTF-8 text (line 2).",
        ),
    ],
)
def test_a_bad_file_is_refused_on_the_upload_page(client, owner, open_letter, content, message):
    client.force_login(owner)

    response = client.post(
        reverse("letters:invitation-import", args=[open_letter.slug]),
        {"file": SimpleUploadedFile("contacts.csv", content, content_type="text/csv")},
    )

    assert response.status_code == 400
    assert message in page_text(response)
    assert InvitationImport.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_without_being_kept(
    client, owner, open_letter, settings
):
    settings.INVITATION_CSV_MAX_BYTES = 1024 * 1024
    client.force_login(owner)
    big = HEADER + "".join(f"Org {i},Contact {i},c{i}@org.example.org,\n" for i in range(40_000))

    response = client.post(
        reverse("letters:invitation-import", args=[open_letter.slug]), {"file": csv_file(big)}
    )

    assert response.status_code == 413
    assert "The file is larger than 1 MB. Split it into smaller files." in page_text(response)
    assert InvitationImport.objects.count() == 0


def test_the_upload_needs_the_csrf_token(owner, open_letter):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(
        reverse("letters:invitation-import", args=[open_letter.slug]),
        {"file": csv_file(HEADER + "A,B,c@d.example.org,\n")},
    )

    assert response.status_code == 403
    assert InvitationImport.objects.count() == 0


# --- Tracking, counts, export ----------------------------------------------------------------------


def test_the_tracking_page_tells_each_invitations_story(client, owner, open_letter):
    sent = invite(open_letter, owner, "sent@x.example.org", organisation_name="Sent Org")
    declined = invite(open_letter, owner, "declined@x.example.org", organisation_name="No Org")
    forwarded = invite(open_letter, owner, "old@x.example.org", organisation_name="Hand Org")
    deliver_outbox()
    services.decline_invitation(invitation=declined, reason="Not our focus this year.")
    services.forward_invitation(
        invitation=forwarded, contact_name="New Person", email="new@x.example.org"
    )
    client.force_login(owner)

    page = page_text(client.get(reverse("letters:invitations", args=[open_letter.slug])))

    assert "Queued: 1" in page
    assert "Sent: 1" in page
    assert "Declined: 1" in page
    assert "Revoked: 1" in page
    assert "Invited (revoked not counted): 3" in page  # the forwarded one is revoked
    assert "Reason: “Not our focus this year.”" in page
    assert "Passed on by the invitee to New Person <new@x.example.org>" in page
    assert "Passed on by Pema Dolma <old@x.example.org>" in page
    assert sent.email in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=declined", ["declined@x.example.org"]),
        ("?q=ALPHA", ["a@alpha.example.org"]),
        ("?q=b%40beta", ["b@beta.example.org"]),
        ("?status=sent&q=alpha", []),
        (
            "?status=nonsense",
            ["a@alpha.example.org", "b@beta.example.org", "declined@x.example.org"],
        ),
    ],
)
def test_filter_and_search(client, owner, open_letter, query, expected):
    invite(open_letter, owner, "a@alpha.example.org", organisation_name="Alpha")
    invite(open_letter, owner, "b@beta.example.org", organisation_name="Beta")
    services.decline_invitation(invitation=invite(open_letter, owner, "declined@x.example.org"))
    client.force_login(owner)

    response = client.get(reverse("letters:invitations", args=[open_letter.slug]) + query)

    shown = sorted(i.email for i in response.context["page"].object_list)
    assert shown == expected


def test_the_progress_counts(client, owner, open_letter):
    for i in range(3):
        invite(open_letter, owner, f"c{i}@x.example.org")
    Invitation.objects.filter(email_index=email_index("c0@x.example.org")).update(status=St.FAILED)
    client.force_login(owner)

    response = client.get(reverse("letters:invitation-progress", args=[open_letter.slug]))

    assert response.json() == {
        "counts": {
            "queued": 2,
            "sent": 0,
            "accepted": 0,
            "declined": 0,
            "failed": 1,
            "revoked": 0,
            "expired": 0,
        },
        "total": 3,
        "sending": True,
    }
    assert "no-cache" in response["Cache-Control"]


def test_the_page_loads_its_script_from_self_and_works_without_it(client, owner, open_letter):
    invite(open_letter, owner)
    client.force_login(owner)

    response = client.get(reverse("letters:invitations", args=[open_letter.slug]))

    content = response.content.decode()
    assert '<script src="/static/js/invitation-progress.js" defer></script>' in content
    assert "<script>" not in content
    assert f'data-progress-url="/letters/{open_letter.slug}/invitations/progress/"' in content
    assert 'data-sending="true"' in content
    assert f'href="/letters/{open_letter.slug}/invitations/" data-refresh' in content


def test_pagination_keeps_the_filters(client, owner, open_letter):
    for i in range(51):
        invite(open_letter, owner, f"c{i}@alpha.example.org")
    client.force_login(owner)

    response = client.get(
        reverse("letters:invitations", args=[open_letter.slug]) + "?q=alpha&status=queued"
    )

    assert 'href="?q=alpha&amp;status=queued&amp;page=2"' in response.content.decode()


def _export(client, letter) -> list[list[str]]:
    response = client.get(reverse("letters:invitation-export", args=[letter.slug]))
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_the_export_has_every_invitation_and_escapes_formulas(client, owner, open_letter):
    invitation = invite(open_letter, owner)
    deliver_outbox()
    services.decline_invitation(
        invitation=invitation, reason='=HYPERLINK("https://evil.example/","x")'
    )
    client.force_login(owner)

    response = client.get(reverse("letters:invitation-export", args=[open_letter.slug]))
    rows = _export(client, open_letter)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="invitations-{open_letter.pk}-'
    )
    assert rows[0] == [
        "organisation",
        "organisation verified",
        "contact name",
        "email",
        "status",
        "invited at",
        "invited by",
        "sent at",
        "reminded at",
        "reminders",
        "answered at",
        "reason for declining",
        "passed on from",
        "passed on to",
        "last error",
    ]
    [row] = rows[1:]
    assert row[:5] == [
        "Tibet Action Institute",
        "no",
        "Pema Dolma",
        "pema@tibetaction.example.net",
        "declined",
    ]
    assert row[6] == owner.email
    assert row[11] == '\'=HYPERLINK("https://evil.example/","x")'


def test_a_moderator_may_export(client, moderator, owner, open_letter):
    invite(open_letter, owner)
    client.force_login(moderator)

    assert len(_export(client, open_letter)) == 2


def test_the_tracking_page_takes_the_same_queries_for_1_or_30_invitations(
    client, owner, open_letter
):
    def count_queries(n: int) -> int:
        Invitation.objects.all().delete()
        for i in range(n):
            invitation = invite(open_letter, owner, f"c{i}@x.example.org")
            if i % 3 == 0:
                services.forward_invitation(
                    invitation=invitation, contact_name="N", email=f"n{i}@x.example.org"
                )
        client.force_login(owner)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("letters:invitations", args=[open_letter.slug]))
        assert response.status_code == 200
        return len(queries)

    assert count_queries(1) == count_queries(30)


# --- Resend and revoke pages ----------------------------------------------------------------------------


def test_resend_asks_first_then_resends(client, owner, open_letter):
    invitation = invite(open_letter, owner)
    deliver_outbox()
    client.force_login(owner)
    url = reverse("letters:invitation-resend", args=[open_letter.slug, invitation.pk])
    before = invitation_world()

    page = client.get(url)
    assert "Resend the invitation to pema@tibetaction.example.net?" in page_text(page)
    assert invitation_world() == before

    response = client.post(url, {"next_query": "status=sent"})

    assert (
        response["Location"]
        == reverse("letters:invitations", args=[open_letter.slug]) + "?status=sent"
    )
    invitation.refresh_from_db()
    assert invitation.status == St.QUEUED
    assert len(emails_of("invitation")) == 2


def test_revoke_asks_first_then_revokes(client, owner, open_letter):
    invitation = invite(open_letter, owner)
    client.force_login(owner)
    url = reverse("letters:invitation-revoke", args=[open_letter.slug, invitation.pk])
    before = invitation_world()

    assert "Revoke the invitation to" in page_text(client.get(url))
    assert invitation_world() == before

    response = client.post(url)

    assert messages_of(response) == [
        "The invitation to pema@tibetaction.example.net is revoked: its link no longer works."
    ]
    invitation.refresh_from_db()
    assert invitation.status == St.REVOKED


def test_revoking_twice_says_why_and_changes_nothing(client, owner, open_letter):
    invitation = invite(open_letter, owner)
    services.revoke_invitation(invitation=invitation, actor=owner)
    client.force_login(owner)
    before = invitation_world()

    response = client.post(
        reverse("letters:invitation-revoke", args=[open_letter.slug, invitation.pk])
    )

    assert messages_of(response) == ["This invitation was already answered, revoked or expired."]
    assert invitation_world() == before


def test_resend_all_failed(client, owner, open_letter):
    for i in range(2):
        invite(open_letter, owner, f"c{i}@x.example.org")
    Invitation.objects.update(status=St.FAILED)
    client.force_login(owner)
    url = reverse("letters:invitation-resend-failed", args=[open_letter.slug])

    assert "The 2 invitations that could not be delivered are sent again" in page_text(
        client.get(url)
    )
    response = client.post(url)

    assert messages_of(response) == ["2 failed invitations are sent again."]
    assert set(Invitation.objects.values_list("status", flat=True)) == {St.QUEUED}


def test_a_redirect_never_leaves_the_site(client, owner, open_letter):
    invitation = invite(open_letter, owner)
    client.force_login(owner)

    response = client.post(
        reverse("letters:invitation-revoke", args=[open_letter.slug, invitation.pk]),
        {"next_query": "//evil.example/"},
    )

    assert response["Location"] == reverse("letters:invitations", args=[open_letter.slug])


# --- The invitee's pages --------------------------------------------------------------------------------


@pytest.fixture
def link(open_letter, owner):
    invitation = invite(open_letter, owner)
    deliver_outbox()
    return invitation, secret_in(emails_of("invitation")[0])


def test_opening_the_decline_link_changes_nothing(client, link):
    invitation, secret = link
    url = reverse("letters:invitation-decline", args=[secret])
    before = invitation_world()

    page = client.get(url)
    head = client.head(url)

    assert (page.status_code, head.status_code) == (200, 200)
    assert "Tibet Action Institute will not sign “Raise human rights in Beijing”?" in page_text(
        page
    )
    assert invitation_world() == before


def test_declining_with_the_button(client, link):
    invitation, secret = link

    response = client.post(
        reverse("letters:invitation-decline", args=[secret]), {"reason": "No capacity."}
    )

    assert response.status_code == 200
    assert "Thank you for letting us know" in page_text(response)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == (St.DECLINED, "No capacity.")
    again = client.get(reverse("letters:invitation-decline", args=[secret]))
    assert again.status_code == 410
    assert "This invitation was declined." in page_text(again)


def test_opening_the_forward_link_changes_nothing(client, link):
    invitation, secret = link
    before = invitation_world()

    page = client.get(reverse("letters:invitation-forward", args=[secret]))

    assert page.status_code == 200
    assert "Pass the invitation on" in page_text(page)
    assert invitation_world() == before


def test_passing_on_with_the_form(client, link):
    invitation, secret = link

    response = client.post(
        reverse("letters:invitation-forward", args=[secret]),
        {"contact_name": "Tenzin Norbu", "email": "tenzin@tibetaction.example.net"},
    )

    assert response.status_code == 200
    assert "Tenzin Norbu has been sent a personal link to sign." in page_text(response)
    invitation.refresh_from_db()
    assert invitation.status == St.REVOKED
    [successor] = Invitation.objects.filter(forwarded_from=invitation)
    assert successor.email == "tenzin@tibetaction.example.net"
    assert client.get(reverse("letters:sign-invitation", args=[secret])).status_code == 410


def test_a_bad_hand_over_is_shown_on_the_form(client, link):
    invitation, secret = link
    before = invitation_world()

    response = client.post(
        reverse("letters:invitation-forward", args=[secret]),
        {"contact_name": "Me", "email": "pema@tibetaction.example.net"},
    )

    assert response.status_code == 400
    assert "That is the address this invitation was sent to." in page_text(response)
    assert invitation_world() == before


@pytest.mark.parametrize("name", ["letters:invitation-decline", "letters:invitation-forward"])
def test_an_unknown_secret_is_not_valid(client, name):
    for method in (client.get, client.post):
        response = method(reverse(name, args=["no-such-secret"]))
        assert response.status_code == 400
        assert "This link is not valid" in page_text(response)


@pytest.mark.parametrize("name", ["letters:invitation-decline", "letters:invitation-forward"])
def test_a_revoked_invitations_links_no_longer_work(client, link, owner, name):
    invitation, secret = link
    services.revoke_invitation(invitation=invitation, actor=owner)
    before = invitation_world()

    response = client.post(reverse(name, args=[secret]), {"reason": "x"})

    assert response.status_code == 410
    assert "This invitation link no longer works" in page_text(response)
    assert invitation_world() == before


def test_the_invitees_forms_are_rate_limited(client, link, settings, open_letter, owner):
    settings.INVITATION_ANSWER_RATE_PER_CLIENT = 2
    invitation, secret = link
    url = reverse("letters:invitation-forward", args=[secret])
    for _ in range(2):
        client.post(url, {"contact_name": "", "email": ""})
    before = invitation_world()

    response = client.post(url, {"contact_name": "T", "email": "t@tibetaction.example.net"})

    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    assert invitation_world() == before


def test_the_invitation_email_offers_decline_and_forward(link):
    invitation, secret = link
    [email] = emails_of("invitation")

    assert f"/letters/invitations/{secret}/decline/" in as_sent(email).text
    assert f"/letters/invitations/{secret}/forward/" in as_sent(email).text
    assert f"/letters/invitations/{secret}/decline/" in as_sent(email).html
    assert f"/letters/invitations/{secret}/forward/" in as_sent(email).html


# --- The reminder window, per letter ---------------------------------------------------------------


def test_the_reminder_window_is_a_letter_setting(client, owner, open_letter):
    client.force_login(owner)
    url = reverse("letters:settings", args=[open_letter.slug])
    assert 'name="reminder_days_before" value="3"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "recipient": open_letter.recipient,
            "summary": open_letter.summary,
            "sign_on_mode": open_letter.sign_on_mode,
            "moderation_policy": open_letter.moderation_policy,
            "reminder_days_before": "7",
        },
    )

    assert response.status_code == 302
    open_letter.refresh_from_db()
    assert open_letter.reminder_days_before == 7


def test_a_reminder_window_out_of_range_is_refused(client, owner, open_letter):
    client.force_login(owner)

    response = client.post(
        reverse("letters:settings", args=[open_letter.slug]),
        {
            "recipient": open_letter.recipient,
            "sign_on_mode": open_letter.sign_on_mode,
            "moderation_policy": open_letter.moderation_policy,
            "reminder_days_before": "-1",
        },
    )

    assert response.status_code == 200
    open_letter.refresh_from_db()
    assert open_letter.reminder_days_before == 3


def test_the_preview_takes_the_same_queries_for_3_or_300_rows(client, owner, open_letter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)

    def count_queries(rows: int) -> int:
        text = HEADER + "".join(f"Org {i},C {i},c{i}@o{i}.example.org,\n" for i in range(rows))
        invitation_import = upload(open_letter, owner, text + "Bad,,x,\n")
        url = reverse(
            "letters:invitation-import-preview", args=[open_letter.slug, invitation_import.pk]
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_queries(3) == count_queries(300)


def test_the_letter_page_offers_its_coordinators_to_invite(client, owner, signer, open_letter):
    invite_url = reverse("letters:invitation-create", args=[open_letter.slug])
    page_url = reverse("letters:detail", args=[open_letter.slug])

    client.force_login(owner)
    assert f'href="{invite_url}"' in client.get(page_url).content.decode()
    client.force_login(signer)
    assert f'href="{invite_url}"' not in client.get(page_url).content.decode()


def test_inviting_to_a_draft_says_the_email_waits_for_the_opening(client, owner, draft_letter):
    # The form says so before, the message after, and the list beside the invitation
    client.force_login(owner)
    create_url = reverse("letters:invitation-create", args=[draft_letter.slug])
    assert "invitations are held, and their emails are sent when the letter opens" in page_text(
        client.get(create_url)
    )

    response = client.post(
        create_url,
        {"organisation_name": "Free Tibet", "contact_name": "Ana", "email": "ana@ft.example.org"},
    )

    assert messages_of(response) == [
        "Ana at Free Tibet is invited. The letter is a draft: the email will be sent when "
        "the letter opens."
    ]
    assert emails_of("invitation") == []
    listing = page_text(client.get(reverse("letters:invitations", args=[draft_letter.slug])))
    assert "Will be sent when the letter opens" in listing
    assert "One invitation is held: it will be sent when the letter opens." in listing
    assert "Waiting to be sent" not in listing
    raw = client.get(reverse("letters:invitations", args=[draft_letter.slug])).content.decode()
    assert 'data-sending="false"' in raw
    progress = client.get(reverse("letters:invitation-progress", args=[draft_letter.slug]))
    assert progress.json()["sending"] is False  # the page does not poll for a held one

    services.open_letter(letter=draft_letter, actor=owner)

    listing = page_text(client.get(reverse("letters:invitations", args=[draft_letter.slug])))
    assert "Will be sent when the letter opens" not in listing
    assert [e.to for e in emails_of("invitation")] == ["ana@ft.example.org"]


def test_the_dashboard_and_the_letters_pages_count_alike(client, owner, make_letter):
    """Issue 15, item 12: "Invited 8" on the dashboard against "Total 10" on the invitations
    page, "Signed 27" against "Signed by 15" on the letter's page. One figure each now."""
    from tests.letters.signing_helpers import in_state, open_mode_letter, sign

    open_letter = open_mode_letter(make_letter)
    invitations = [invite(open_letter, owner, f"c{i}@x.example.org") for i in range(3)]
    services.revoke_invitation(invitation=invitations[0], actor=owner)
    in_state(
        sign(open_letter, new_name="Approved One", signer_email="a@one.example.org"), "approved"
    )
    in_state(
        sign(open_letter, new_name="Approved Two", signer_email="b@two.example.org"), "approved"
    )
    in_state(
        sign(open_letter, new_name="Waiting", signer_email="c@three.example.org"), "pending_review"
    )
    client.force_login(owner)

    dashboard = client.get(reverse("letters:dashboard"))
    [row] = dashboard.context["page"].object_list
    invitations_page = page_text(
        client.get(reverse("letters:invitations", args=[open_letter.slug]))
    )
    progress = client.get(reverse("letters:invitation-progress", args=[open_letter.slug])).json()
    signatures_page = page_text(
        client.get(reverse("letters:letter-signatures", args=[open_letter.slug]))
    )

    assert row.invited_count == 2
    assert "Invited (revoked not counted): 2" in invitations_page
    assert progress["total"] == 2
    assert row.approved_count == 2
    assert "Approved: 2" in signatures_page  # what the public page will count as signed
    assert "Signed" not in [
        th.strip() for th in re.findall(r"<th[^>]*>([^<]*)</th>", dashboard.content.decode())
    ]
