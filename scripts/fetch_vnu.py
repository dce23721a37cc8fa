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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_fonts import Package, fetch_package_main  # noqa: E402

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
    return fetch_package_main(
        PACKAGE,
        label="vnu",
        what="vnu.jar",
        default_dir=DEFAULT_DIR,
        description=__doc__.split("\n\n")[0],
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
