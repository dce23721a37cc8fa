"""Fetch axe-core, the accessibility rules the browser tests run, into var/axe/ (git-ignored):
`make install` and `make install-dev` run it, so the browser tests need no network at test time.

axe-core comes from the npm registry (as the PDF fonts do: scripts/fetch_fonts.py), pinned by
version and by the registry's sha512 integrity; the files kept are pinned by their sha256, so a
copy already in place is checked without the network, and a run with everything in place
downloads nothing. Only the files listed are taken out of the tarball, under names chosen here
(never a path from the archive). Standard library only.

    python scripts/fetch_axe.py [--dir DIR] [--check]

Download: about 0.8 MB the first time; on disk: about 0.7 MB (axe.min.js and its licences,
MPL-2.0 for axe, and the notices of the code it bundles).
"""

import sys
from pathlib import Path

# The npm fetching is scripts/fetch_fonts.py's: pinned tarball, integrity, per-file sha256.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_fonts import Package, fetch_package_main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "axe"
NAME = "axe-core"
VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
# path in the tarball -> (file name kept, its sha256)
FILES = {
    "package/axe.min.js": (
        "axe.min.js",
        "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
    ),
    "package/LICENSE": (
        "LICENSE",
        "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e",
    ),
    "package/LICENSE-3RD-PARTY.txt": (
        "LICENSE-3RD-PARTY.txt",
        "4f8563870d0fca38bbc3e00b6f670cb7fa9f380ba9f26a7f7d1184a6b18b1653",
    ),
}
PACKAGE = Package(NAME, VERSION, INTEGRITY, FILES, license_file=None)


def main(argv: list[str] | None = None) -> int:
    return fetch_package_main(
        PACKAGE,
        label="axe",
        what="axe-core",
        default_dir=DEFAULT_DIR,
        description=__doc__.split("\n\n")[0],
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
