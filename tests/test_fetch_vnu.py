"""scripts/fetch_vnu.py without the network: the copy `make install-dev` fetched is the pinned
one and runs on this machine's Java, and `--check` notices a missing or altered file (and
changes nothing)."""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.e2e.test_crawl_e2e import VNU_JAR


@pytest.fixture(scope="module")
def fetch_vnu():
    path = Path(__file__).resolve().parents[1] / "scripts" / "fetch_vnu.py"
    spec = importlib.util.spec_from_file_location("fetch_vnu", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def installed(fetch_vnu) -> Path:
    if not VNU_JAR.is_file():
        skip_or_fail(f"vnu.jar is not installed at {VNU_JAR} (make install-dev)")
    return VNU_JAR.parent


def test_the_installed_copy_is_the_pinned_one_and_runs(fetch_vnu, installed):
    java = shutil.which("java")
    if java is None:
        skip_or_fail("Java is not installed (apt-get install -y default-jre-headless)")

    version = subprocess.run(  # noqa: S603 - the pinned jar, this machine's Java
        [java, "-jar", str(installed / "vnu.jar"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert installed == fetch_vnu.DEFAULT_DIR
    assert fetch_vnu.main(["--check", "--dir", str(installed)]) == 0
    assert version.stdout.startswith(fetch_vnu.VERSION)


def test_check_fails_on_an_empty_folder_and_creates_nothing(fetch_vnu, tmp_path):
    directory = tmp_path / "vnu"

    assert fetch_vnu.main(["--check", "--dir", str(directory)]) == 1

    assert not directory.exists()


def test_check_fails_on_an_altered_file(fetch_vnu, installed, tmp_path):
    copy = tmp_path / "vnu"
    copy.mkdir()
    shutil.copy(installed / "LICENSE", copy / "LICENSE")
    (copy / "vnu.jar").write_bytes(b"not the checker")

    assert fetch_vnu.main(["--check", "--dir", str(copy)]) == 1
    assert fetch_vnu.main(["--check", "--dir", str(installed)]) == 0
