"""Accessibility checks in the browser tests: axe-core run inside a Playwright page.

axe-core is not fetched at test time: `make install-dev` puts a pinned copy in var/axe/
(scripts/fetch_axe.py). Without it a test that checks a page skips with a reason (fails with
REQUIRE_SERVICES=1, as in CI).

The site's Content-Security-Policy allows only its own scripts and nonce'd ones
(config/settings.py SECURE_CSP), so `page.add_script_tag` — an inline or a file:// script with
no nonce — is refused. axe's source is evaluated instead through Playwright's `page.evaluate`,
which goes over the DevTools protocol and is not a script of the page, so the page's CSP stays
on while it is checked (no `bypass_csp` context, which would hide a CSP violation from the other
assertions of the test).
"""

from functools import cache
from pathlib import Path

from tests.conftest import skip_or_fail

AXE_JS = Path(__file__).resolve().parents[2] / "var" / "axe" / "axe.min.js"
# The default rule set (WCAG 2.x A and AA, and axe's best practices); only violations are
# collected, which spares axe building the list of every check passed.
RUN_OPTIONS = {"resultTypes": ["violations"]}
TARGETS_SHOWN = 3


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """The violations of the given impacts that axe finds in the page's document as it is now,
    each axe's result: id, impact, help, helpUrl, nodes (each with its target selectors)."""
    if not AXE_JS.is_file():
        skip_or_fail(
            f"axe-core is not installed at {AXE_JS} (make install-dev, or "
            "python scripts/fetch_axe.py)"
        )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations", RUN_OPTIONS
    )
    return [violation for violation in violations if violation["impact"] in impacts]


def _selector(target) -> str:
    # A target is a list of selectors, one per frame; one inside a shadow root is a list too.
    return " >> ".join(part if isinstance(part, str) else " >>> ".join(part) for part in target)


def format_violations(violations: list[dict]) -> str:
    """A readable message: one line per rule (id, impact, help, link), then the first few of the
    elements it fails on."""
    if not violations:
        return "no accessibility violations"
    lines = [f"{len(violations)} accessibility rule(s) violated:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        nodes = violation["nodes"]
        lines.extend(f"    {_selector(node['target'])}" for node in nodes[:TARGETS_SHOWN])
        if len(nodes) > TARGETS_SHOWN:
            lines.append(f"    … and {len(nodes) - TARGETS_SHOWN} more")
    return "\n".join(lines)
