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

import argparse
import base64
import hashlib
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "axe"
NAME = "axe-core"
VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
TARBALL_URL = f"https://registry.npmjs.org/{NAME}/-/{NAME}-{VERSION}.tgz"
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
TIMEOUT_SECONDS = 60
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def in_place(directory: Path) -> bool:
    """Every file kept is there with its pinned hash."""
    return all(
        (directory / name).is_file() and sha256_of(directory / name) == sha256
        for name, sha256 in FILES.values()
    )


def download(into: Path) -> Path:
    """The package's tarball, checked against the registry's sha512 integrity."""
    algorithm, _, expected = INTEGRITY.partition("-")
    digest = hashlib.new(algorithm)
    target = into / "package.tgz"
    request = urllib.request.Request(TARBALL_URL, headers={"User-Agent": "undersigned"})  # noqa: S310
    with (
        urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response,  # noqa: S310
        target.open("wb") as out,
    ):
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    actual = base64.b64encode(digest.digest()).decode()
    if actual != expected:
        raise SystemExit(
            f"{NAME}@{VERSION}: integrity mismatch "
            f"(expected {algorithm}-{expected}, got {algorithm}-{actual})"
        )
    return target


def extract(tarball: Path, directory: Path) -> None:
    """Take the listed files out of the tarball, check each one's sha256, then move them in."""
    staged: list[tuple[Path, Path]] = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member_name, (name, sha256) in FILES.items():
            member = archive.getmember(member_name)
            source = archive.extractfile(member) if member.isfile() else None
            if source is None:
                raise SystemExit(f"{NAME}: {member_name} is not a file")
            temporary = directory / f".{name}.part"
            with source, temporary.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            actual = sha256_of(temporary)
            if actual != sha256:
                temporary.unlink()
                raise SystemExit(f"{NAME}: {name} has sha256 {actual}, expected {sha256}")
            staged.append((temporary, directory / name))
    for temporary, final in staged:
        temporary.replace(final)


def say(message: str) -> None:
    """Progress and problems on stderr: this is a command-line tool run by make."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where axe-core goes")
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 if a file is missing or altered"
    )
    args = parser.parse_args(argv)
    directory: Path = args.dir
    if in_place(directory):
        if not args.check:
            say(f"axe: {NAME}@{VERSION} in place in {directory}")
        return 0
    if args.check:
        say(f"axe: missing or altered: {NAME}@{VERSION} in {directory}")
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    say(f"axe: fetching {NAME}@{VERSION}")
    with tempfile.TemporaryDirectory(prefix="axe-", dir=directory) as scratch:
        extract(download(Path(scratch)), directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
