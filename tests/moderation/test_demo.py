"""The demo moderator's queue: a dozen signatures awaiting review, among them a likely
duplicate that already signed under another name and an unverified newcomer; loading the demo
again (even after the moderator worked the queue) adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from letters import services
from letters.demo import SEED_LETTER_TITLE
from letters.models import Letter, Signature
from organisations.models import EmailDomain, Organisation

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:letters_pendingsignature_changelist")


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())
    return User.objects.get(email="moderator@demo.undersigned.test")


def test_the_demo_moderator_has_a_queue_of_a_dozen_with_the_cases_to_look_at(client, demo):
    client.force_login(demo)

    response = client.get(QUEUE)

    assert response.status_code == 200
    queue = {s.organisation.name: s for s in response.context["cl"].result_list}
    assert len(queue) == 12
    assert set(queue) >= {"Human-Rights Watch Intl", "Tibetan Youth Collective Zürich"}
    duplicate = queue["Human-Rights Watch Intl"].review
    assert [o.name for o in duplicate.duplicates] == ["Human Rights Watch"]
    assert [s.organisation.name for s in duplicate.signed_as] == ["Human Rights Watch"]
    assert duplicate.domain_owner.name == "Human Rights Watch"
    newcomer = queue["Tibetan Youth Collective Zürich"].review
    assert newcomer.is_new is True
    assert newcomer.duplicates == []
    # A domain to verify
    assert queue["Students for Hong Kong"].review.domain_match == "listed"
    assert EmailDomain.objects.get(domain="studentsforhk.org").is_verified is False


def test_loading_again_after_the_queue_was_worked_adds_nothing(demo, settings):
    # Given the moderator merged the duplicate and decided the rest
    seed = Letter.objects.get(title=SEED_LETTER_TITLE)
    duplicate = Organisation.objects.get(name="Human-Rights Watch Intl")
    hrw = Organisation.objects.get(name="Human Rights Watch")
    kept = Signature.objects.on_letter_of(letter_id=seed.pk, organisation=hrw).get()
    services.merge_organisations(
        source=duplicate, target=hrw, moderator=demo, resolutions={seed.pk: kept.pk}
    )
    pending = list(Signature.objects.filter(status="pending_review").values_list("pk", flat=True))
    services.decide_signatures(signature_ids=pending, moderator=demo, approve=True)
    before = (Signature.objects.count(), Organisation.objects.count())

    # When the demo is loaded again
    call_command("load_demo", stdout=StringIO())

    # Then nothing was added
    assert (Signature.objects.count(), Organisation.objects.count()) == before
    assert not Signature.objects.filter(status="pending_review").exists()
