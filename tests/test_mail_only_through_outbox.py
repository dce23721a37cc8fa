"""No code outside outbox/ sends mail: every email is an outbox row, sent by the worker after
commit (DESIGN.md §6). allauth's emails come in through accounts.adapters, Django's error
reports through outbox.error_reports; nothing else may reach Django's mail API."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_APPLICATION_CODE = {".venv", ".git", "tests", "node_modules"}


def _application_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not NOT_APPLICATION_CODE & set(path.relative_to(ROOT).parts)
        and path.relative_to(ROOT).parts[0] != "outbox"
    )


def _mail_uses(source: str) -> list[tuple[int, str]]:
    """Imports of django.core.mail (in any form, at any depth) and calls of `email_user`
    (Django's User.email_user sends at once)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {alias.name}")
                for alias in node.names
                if alias.name == "django.core.mail" or alias.name.startswith("django.core.mail.")
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if (
                node.module == "django.core.mail"
                or node.module.startswith("django.core.mail.")
                or (node.module == "django.core" and "mail" in names)
            ):
                found.append((node.lineno, f"from {node.module} import {', '.join(sorted(names))}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "email_user"
        ):
            found.append((node.lineno, "….email_user(…)"))
    return found


def test_the_check_finds_every_way_in():
    source = "\n".join(
        [
            "from django.core import mail",
            "from django.core.mail import send_mail",
            "import django.core.mail",
            "from django.core.mail.backends.console import EmailBackend",
            "def f(user):",
            "    from django.core.mail import mail_admins",
            "    user.email_user('subject', 'body')",
            "from django.core import signing",  # not mail
        ]
    )

    assert [line for line, _ in _mail_uses(source)] == [1, 2, 3, 4, 6, 7]


def test_no_application_code_outside_outbox_reaches_djangos_mail_api():
    modules = _application_modules()
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in modules
        for line, what in _mail_uses(path.read_text())
    ]

    assert {path.relative_to(ROOT).parts[0] for path in modules} >= {
        "accounts", "audit", "bench", "config", "core", "letters", "organisations", "manage.py",
    }  # fmt: skip
    assert offenders == []
