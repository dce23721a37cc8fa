"""The README's verification snippet is what receivers copy: it must accept what the site
sends and refuse a changed body, another secret and an old timestamp."""

import re
import time
from pathlib import Path

from webhooks import signing

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet_verify():
    section = README.read_text().split("### Headers and verifying a delivery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify"]


def test_the_readme_snippet_verifies_what_the_site_signs():
    verify = _snippet_verify()
    secret, body = signing.new_secret(), b'{"id":"e1","type":"ping"}'
    now = int(time.time())

    assert verify(secret, signing.header(secret=secret, timestamp=now, body=body), body)
    assert not verify(secret, signing.header(secret=secret, timestamp=now, body=body), body + b" ")
    assert not verify(
        signing.new_secret(), signing.header(secret=secret, timestamp=now, body=body), body
    )
    assert not verify(secret, signing.header(secret=secret, timestamp=now - 301, body=body), body)
    assert not verify(secret, "garbage", body)
