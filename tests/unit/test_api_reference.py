"""docs/api.md, the API reference, keeps up with the app: every route it serves is named, and
the repository points at it rather than at a contract outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from api.app import create_app
from api.bodies import MAX_BODY_BYTES
from api.openapi import build_document
from core.settings import Settings
from tests.support.routes import served_operations
from tests.support.settings_names import known_names

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "api.md"
#: Spelled in two parts so that this file does not name them itself; a clone has none of
#: them, so a pointer at one (or at a section of it) leads nowhere.
OUTSIDE_NAMES = ("../sh" + "ared", "SPEC" + ".md", "SPEC" + " section")


def reference() -> str:
    return REFERENCE.read_text()


def described_operations(text: str) -> set[tuple[str, str]]:
    """Each `METHOD /path` that has a section of its own (a heading) or a table row of its
    own in the reference; a mention in passing does not count."""
    found = re.findall(r"^(?:### |\| )`(GET|POST|PATCH|PUT|DELETE|HEAD) (/[^`\s?]*)`",
                       text, flags=re.MULTILINE)
    return {(_as_served(path), method.lower()) for method, path in found}


def _as_served(path: str) -> str:
    """The path with every parameter written ``{id}``, as served_operations writes it."""
    return re.sub(r"\{\w+\}", "{id}", path)


def named_operations(text: str) -> set[tuple[str, str]]:
    """Each `METHOD /path` written anywhere in the reference."""
    return {(_as_served(path), method.lower()) for method, path in
            re.findall(r"`(GET|POST|PATCH|PUT|DELETE|HEAD) (/[^`\s?]*)`", text)}


def table_names(text: str) -> set[str]:
    """The `NAMES` in the first cell of every table row."""
    cells = re.findall(r"^\| ([^|]+) \|", text, flags=re.MULTILINE)
    return {name for cell in cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def test_every_served_route_is_in_the_reference():
    served = served_operations(create_app(Settings()))
    missing = served - described_operations(reference())
    assert not missing, f"docs/api.md does not describe {sorted(missing)}"


def test_the_reference_names_no_route_the_app_lacks():
    extra = named_operations(reference()) - served_operations(create_app(Settings()))
    assert not extra, f"docs/api.md names routes the app does not serve: {sorted(extra)}"


def test_the_reference_lists_every_documented_status():
    text = reference()
    for path, item in build_document()["paths"].items():
        for method, operation in item.items():
            for status in operation["responses"]:
                assert f"| {status} |" in text or f"`{status}" in text, \
                    f"{method.upper()} {path} answers {status}; docs/api.md never lists it"


def test_the_reference_states_the_body_limit():
    assert f"{MAX_BODY_BYTES:,} bytes" in reference()


def test_every_setting_is_in_the_reference():
    missing = known_names() - table_names(reference())
    assert not missing, f"docs/api.md does not describe {sorted(missing)}"


def test_the_readme_points_at_the_reference():
    readme = (ROOT / "README.md").read_text()
    assert "docs/api.md" in readme and "/openapi.json" in readme


def test_nothing_names_a_contract_outside_the_repository():
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{name}: {outside}" for outside in OUTSIDE_NAMES if outside in text]
    assert not found
