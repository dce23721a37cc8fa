"""Hands PDF renderings to the worker: the only module of letters that enqueues a task on
request of a page or a service.

exports.request_pdf sends `pdf_render_requested` (exports and services sit below the tasks
and must not import them); this receiver, connected in LettersConfig.ready, enqueues
letters.render_letter_pdf.
"""

import logging
from functools import partial

from django.conf import settings

from core import embedded
from core.broker import publish

from .tasks import render_letter_pdf

logger = logging.getLogger(__name__)


def enqueue_pdf_render(
    sender, *, letter_id: int, edition: str, language: str, countdown: int | None, **kwargs
) -> None:
    """Never raises: with the broker down the page still answers ("being prepared") and the
    business change that asked still commits; the pending mark expires and the next request
    asks again. With tasks run in-process (the embedded default) this is where the PDF is
    rendered, and a rendering that fails is logged here rather than failing the request."""
    args = (letter_id, edition, language)
    if not render_letter_pdf.app.conf.task_always_eager:
        publish(render_letter_pdf, args, countdown=countdown)
        return
    if settings.EMBEDDED_SCHEDULER:
        # `make run`: the embedded scheduler's thread renders it, not the request.
        embedded.submit(partial(_render_logged, args))
        return
    _render_logged(args)


def _render_logged(args: tuple[int, str, str]) -> None:
    try:
        render_letter_pdf.apply(args, throw=True)
    except Exception:
        logger.exception("Could not render the PDF of letter %s (%s, %s)", *args)
