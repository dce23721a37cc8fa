"""Fetch the fonts the PDFs are laid out in, into var/fonts/ (git-ignored): `make install` and
`make install-dev` run it, so `make run` and `make test` work on a machine that has no font
package at all.

Why these files: a signatory list mixes Latin, Simplified and Traditional Chinese, Tibetan and
Uyghur (Arabic script), and WeasyPrint draws an empty box for a character no font covers. The
fonts come from the npm registry (one of the registries every machine of the project reaches),
in the @expo-google-fonts packages: Google Fonts' static TTF files, Regular and Bold. Not the
@fontsource packages: their Chinese fonts are Google's web slices, which leave out about a third
of the Han characters (2,953 of Big5's 13,063), so a rarer character in a Hong Kong name would
be a box.

Each package is pinned by version and by the registry's sha512 integrity; each file kept is
pinned by its sha256, so a file already in place is checked without the network, and a run with
everything in place downloads nothing. Only the files listed are taken out of a tarball, under
names chosen here (never a path from the archive). Standard library only.

    python scripts/fetch_fonts.py [--dir DIR] [--check]

Download: about 111 MB the first time (the Chinese packages hold nine weights each; two are
kept); on disk: about 39 MB.
"""

import argparse
import base64
import hashlib
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "fonts"
REGISTRY = "https://registry.npmjs.org"
TIMEOUT_SECONDS = 60
CHUNK = 1 << 20


@dataclass(frozen=True)
class Package:
    name: str  # npm name, e.g. @expo-google-fonts/noto-sans
    version: str
    integrity: str  # the registry's dist.integrity (sha512, base64)
    files: dict[str, tuple[str, str]]  # path in the tarball -> (file name kept, its sha256)
    # The licence kept beside the files, unpinned; None when `files` pins it (scripts/fetch_axe)
    license_file: str | None = "package/LICENSE_FONT"

    @property
    def license_name(self) -> str:
        """The font's SIL Open Font License with its copyright line, kept beside the fonts."""
        return f"{self.name.rsplit('/', 1)[-1]}.OFL.txt"

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


PACKAGES = (
    Package(
        "@expo-google-fonts/noto-sans",
        "0.4.2",
        "sha512-zYD8G2ijWLxqmquoQgghNh/x9p0yxWwArD0oxO1oXY1qx5vOd4t0Kbhnu/Cx8RTy08OgA8RtxuULZFaXwVPnPw==",
        {
            "package/400Regular/NotoSans_400Regular.ttf": (
                "NotoSans-Regular.ttf",
                "fe8c022f48d8dd29f17b744d16f9346f4357e16f7d4f7be58b000ae7c291b614",
            ),
            "package/400Regular_Italic/NotoSans_400Regular_Italic.ttf": (
                "NotoSans-Italic.ttf",
                "feb3e57888ce3acb604f270c278cfb304c674306518771619ddbdefca42a066b",
            ),
            "package/700Bold/NotoSans_700Bold.ttf": (
                "NotoSans-Bold.ttf",
                "13a813c49624ae3ba3c5c6e72c5ebffc4b9e1e6ea32f421c04069b037c6ad431",
            ),
        },
    ),
    Package(
        "@expo-google-fonts/noto-sans-mono",
        "0.4.2",
        "sha512-Am5TeZeLlqPiDbWH71OprS/LZTuWwvpZ0cEObA9I3/FO2uhZEHgbp+fm/3aDPbEiMNr7xN8YpUAnuyBGuEeHoQ==",
        {
            "package/400Regular/NotoSansMono_400Regular.ttf": (
                "NotoSansMono-Regular.ttf",
                "11b5d661e57865bce89d3f103a654cfa4faf9347abebac252e30742be1e657b2",
            )
        },
    ),
    Package(
        "@expo-google-fonts/noto-sans-sc",
        "0.4.3",
        "sha512-9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6DkAEQmfNHDncQ==",
        {
            "package/400Regular/NotoSansSC_400Regular.ttf": (
                "NotoSansSC-Regular.ttf",
                "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16",
            ),
            "package/700Bold/NotoSansSC_700Bold.ttf": (
                "NotoSansSC-Bold.ttf",
                "9a38ae0ab28cd5a256f9ea8e00dedc688aac17f7915fcb000572990afa956b96",
            ),
        },
    ),
    Package(
        "@expo-google-fonts/noto-sans-tc",
        "0.4.3",
        "sha512-69XAOTLPz0WlAxL6qJEKlDMxHsBd4J1M39HjV0gPF2o1xWVALOsVWvDgistnecVockA9wbU/tH5C/gyS2PdnHg==",
        {
            "package/400Regular/NotoSansTC_400Regular.ttf": (
                "NotoSansTC-Regular.ttf",
                "add35d53f70727657b4509531677c4e3712b67df3d54661efdee5d3a0c16d954",
            ),
            "package/700Bold/NotoSansTC_700Bold.ttf": (
                "NotoSansTC-Bold.ttf",
                "ed4ae6ed781e34d0beee896e9be5d835a938ac7adabbcc1b6b6904290006f372",
            ),
        },
    ),
    Package(
        "@expo-google-fonts/noto-serif-tibetan",
        "0.4.2",
        "sha512-e3PdLzPldwsirxE0xUN3IQ69XG6QOTQT1jxm2AnB3RrYPHLC+043AM4VZCkYXfepr1oPqK4caEKkuXyehF6y5Q==",
        {
            "package/400Regular/NotoSerifTibetan_400Regular.ttf": (
                "NotoSerifTibetan-Regular.ttf",
                "33bd11da711ad8fbf55e5df25f29e6ebdfce53424fb41d61c7c6b83c2ba948cf",
            ),
            "package/700Bold/NotoSerifTibetan_700Bold.ttf": (
                "NotoSerifTibetan-Bold.ttf",
                "b42678aaaac6e0bbd267dcf5bf7042f982fd92a36868a237d09ce6c338f63480",
            ),
        },
    ),
    # Uyghur: not Noto Naskh Arabic, whose shared dotless base glyphs make the PDF's text read
    # back wrong (letters/pdf_fonts.py says why).
    Package(
        "@expo-google-fonts/vazirmatn",
        "0.4.1",
        "sha512-sznMvxt99C4bsEcWCebs3XWb/av8z9a/Y4OQo8F7VPFT0xzzn7Whkkw6dqxcAyLYEiNNpTpa3/vp8t1/koK6Jw==",
        {
            "package/400Regular/Vazirmatn_400Regular.ttf": (
                "Vazirmatn-Regular.ttf",
                "443e920a022a89a93d4764a06e853342b9008fba880eb827d814160f1e459c05",
            ),
            "package/700Bold/Vazirmatn_700Bold.ttf": (
                "Vazirmatn-Bold.ttf",
                "214a28e6c3a8283e30c60cd17d31470709e2f85da6fb547dc29c56e524ea1046",
            ),
        },
    ),
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def in_place(package: Package, directory: Path) -> bool:
    """Every file of the package is there with its pinned hash."""
    return (package.license_file is None or (directory / package.license_name).is_file()) and all(
        (directory / name).is_file() and sha256_of(directory / name) == sha256
        for name, sha256 in package.files.values()
    )


def download(package: Package, into: Path) -> Path:
    """The package's tarball, checked against the registry's sha512 integrity."""
    algorithm, _, expected = package.integrity.partition("-")
    digest = hashlib.new(algorithm)
    target = into / "package.tgz"
    url = package.tarball_url  # https, built from the constants above
    request = urllib.request.Request(url, headers={"User-Agent": "undersigned"})  # noqa: S310
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
            f"{package.name}@{package.version}: integrity mismatch "
            f"(expected {algorithm}-{expected}, got {algorithm}-{actual})"
        )
    return target


def extract(package: Package, tarball: Path, directory: Path) -> None:
    """Take the listed files out of the tarball, check each one's sha256, then move them in."""
    with tarfile.open(tarball, "r:gz") as archive:
        staged: list[tuple[Path, Path]] = []
        wanted: dict[str, tuple[str, str | None]] = dict(package.files)
        if package.license_file is not None:
            wanted[package.license_file] = (package.license_name, None)
        for member_name, (name, sha256) in wanted.items():  # sha256 None: the licence text
            member = archive.getmember(member_name)
            source = archive.extractfile(member) if member.isfile() else None
            if source is None:
                raise SystemExit(f"{package.name}: {member_name} is not a file")
            temporary = directory / f".{name}.part"
            with source, temporary.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            actual = sha256_of(temporary)
            if sha256 is not None and actual != sha256:
                temporary.unlink()
                raise SystemExit(f"{package.name}: {name} has sha256 {actual}, expected {sha256}")
            staged.append((temporary, directory / name))
    for temporary, final in staged:
        temporary.replace(final)


def say(message: str) -> None:
    """Progress and problems on stderr: this is a command-line tool run by make."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def fetch_package_main(
    package: Package, *, label: str, what: str, default_dir: Path, description: str, argv
) -> int:
    """The command line of a script that fetches one package (scripts/fetch_axe.py,
    scripts/fetch_vnu.py): `--dir DIR` and `--check`; nothing downloaded when it is in place."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dir", type=Path, default=default_dir, help=f"where {what} goes")
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 if a file is missing or altered"
    )
    args = parser.parse_args(argv)
    directory: Path = args.dir
    if in_place(package, directory):
        if not args.check:
            say(f"{label}: {package.name}@{package.version} in place in {directory}")
        return 0
    if args.check:
        say(f"{label}: missing or altered: {package.name}@{package.version} in {directory}")
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    say(f"{label}: fetching {package.name}@{package.version}")
    with tempfile.TemporaryDirectory(prefix=f"{label}-", dir=directory) as scratch:
        extract(package, download(package, Path(scratch)), directory)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the fonts go")
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 if a font is missing or altered"
    )
    args = parser.parse_args(argv)
    directory: Path = args.dir
    missing = [package for package in PACKAGES if not in_place(package, directory)]
    if args.check:
        for package in missing:
            say(f"fonts: missing or altered: {package.name}@{package.version}")
        return 1 if missing else 0
    if not missing:
        say(f"fonts: all {sum(len(p.files) for p in PACKAGES)} files in place in {directory}")
        return 0
    directory.mkdir(parents=True, exist_ok=True)
    for package in missing:
        say(f"fonts: fetching {package.name}@{package.version}")
        with tempfile.TemporaryDirectory(prefix="fonts-", dir=directory) as scratch:
            extract(package, download(package, Path(scratch)), directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
