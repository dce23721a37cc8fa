"""scripts/fetch_axe.py without the network: the copy `make install-dev` fetched is the pinned
one, and `--check` notices a missing or altered file (and changes nothing)."""

import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.e2e.axe import AXE_JS


@pytest.fixture(scope="module")
def fetch_axe():
    path = Path(__file__).resolve().parents[1] / "scripts" / "fetch_axe.py"
    spec = importlib.util.spec_from_file_location("fetch_axe", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def installed(fetch_axe) -> Path:
    if not AXE_JS.is_file():
        skip_or_fail(f"axe-core is not installed at {AXE_JS} (make install-dev)")
    return AXE_JS.parent


def test_the_installed_copy_is_the_pinned_one_and_the_helper_reads_it(fetch_axe, installed):
    assert installed == fetch_axe.DEFAULT_DIR
    assert fetch_axe.main(["--check", "--dir", str(installed)]) == 0
    assert AXE_JS.read_text(encoding="utf-8").startswith(f"/*! axe v{fetch_axe.VERSION}\n")


def test_check_fails_on_an_empty_folder_and_creates_nothing(fetch_axe, tmp_path):
    directory = tmp_path / "axe"

    assert fetch_axe.main(["--check", "--dir", str(directory)]) == 1

    assert not directory.exists()


def test_check_fails_on_an_altered_file(fetch_axe, installed, tmp_path):
    copy = tmp_path / "axe"
    shutil.copytree(installed, copy)
    with (copy / "axe.min.js").open("a", encoding="utf-8") as script:
        script.write("\nwindow.altered = true;\n")

    assert fetch_axe.main(["--check", "--dir", str(copy)]) == 1

    assert fetch_axe.main(["--check", "--dir", str(installed)]) == 0
