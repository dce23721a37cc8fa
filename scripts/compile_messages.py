"""Compile the translation catalogs (locale/ and locale-extra/, *.po) into the .mo files Django
reads, with polib: `make install` and `make install-dev` run it, so no machine needs GNU
gettext's msgfmt (Django's compilemessages does). The .mo files are git-ignored; a catalog
whose .mo is newer than its .po is left alone.

    python scripts/compile_messages.py [--check]

--check: exit 1 if any .mo is missing or older than its .po (nothing written).
Translators edit the .po files (README, "Translating"); `make messages` re-extracts them.
"""

import argparse
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIRS = (ROOT / "locale", ROOT / "locale-extra")


def catalogs() -> list[Path]:
    return sorted(p for d in CATALOG_DIRS if d.is_dir() for p in d.glob("*/LC_MESSAGES/*.po"))


def stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    todo = [po for po in catalogs() if stale(po)]
    if args.check:
        for po in todo:
            sys.stderr.write(f"messages: {po.relative_to(ROOT)} is not compiled\n")
        return 1 if todo else 0
    for po in todo:
        catalog = polib.pofile(str(po))
        catalog.save_as_mofile(str(po.with_suffix(".mo")))
        sys.stderr.write(
            f"messages: compiled {po.relative_to(ROOT)} ({catalog.percent_translated()}%)\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
