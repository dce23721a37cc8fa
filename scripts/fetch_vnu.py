"""Fetch the Nu HTML Checker (vnu.jar), which the browser tests' accessibility gate runs on every
page it visits, into var/vnu/ (git-ignored): `make install-dev` runs it, so the tests need no
network at test time. It runs on the machine's Java (`java -jar var/vnu/vnu.jar`).

vnu.jar comes from the npm registry (`vnu-jar`, as axe-core and the PDF fonts do:
scripts/fetch_axe.py, scripts/fetch_fonts.py), pinned by version and by the registry's sha512
integrity; the files kept are pinned by their sha256, so a copy already in place is checked
without the network, and a run with everything in place downloads nothing. Standard library
only.

    python scripts/fetch_vnu.py [--dir DIR] [--check]

Download: about 30 MB the first time; on disk: about 36 MB (vnu.jar and its MIT licence).
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_fonts import Package, download, extract, in_place, say  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "vnu"
NAME = "vnu-jar"
VERSION = "26.9.27"
INTEGRITY = "sha512-TkQd5DFfOaWC9ebtvozTsrH2Vaod3jYg+vrOeREzIXxBexLz9+rS2DNtjn7+RPUiZhgli0SghgBX6RJRNea0KA=="
# path in the tarball -> (file name kept, its sha256)
FILES = {
    "package/build/dist/vnu.jar": (
        "vnu.jar",
        "22f15dd39a33bed929d2a5c0cddf5946849a647eca9272bf4d5d00bc7e7a4d47",
    ),
    "package/LICENSE": (
        "LICENSE",
        "898dd2305ffcc6ad9d8fe0a1bc0ea11542e601a3c5706475454cdf9b1896f9d1",
    ),
}
PACKAGE = Package(NAME, VERSION, INTEGRITY, FILES, license_file=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where vnu.jar goes")
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 if a file is missing or altered"
    )
    args = parser.parse_args(argv)
    directory: Path = args.dir
    if in_place(PACKAGE, directory):
        if not args.check:
            say(f"vnu: {NAME}@{VERSION} in place in {directory}")
        return 0
    if args.check:
        say(f"vnu: missing or altered: {NAME}@{VERSION} in {directory}")
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    say(f"vnu: fetching {NAME}@{VERSION}")
    with tempfile.TemporaryDirectory(prefix="vnu-", dir=directory) as scratch:
        extract(PACKAGE, download(PACKAGE, Path(scratch)), directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
