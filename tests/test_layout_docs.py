"""README's map of the code is the tree: every package and module named, none that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_map() -> dict[str, str]:
    """The "How it is built" block: path -> what its line says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## How it is built", 1)[1].split("```", 2)[1]
    entries = {}
    for line in block.splitlines():
        if match := re.match(r"^(\S+)\s+(.*)$", line):
            entries[match[1]] = match[2]
    return entries


def test_layout001_every_mapped_path_exists() -> None:
    missing = [path for path in readme_map() if not (ROOT / path).exists()]
    assert not missing


def test_layout002_every_package_and_top_module_is_mapped() -> None:
    mapped = set(readme_map())
    packages = {
        f"dashapp/{p.name}/" for p in (ROOT / "dashapp").iterdir() if (p / "__init__.py").exists()
    }
    modules = {
        f"dashapp/{p.name}" for p in (ROOT / "dashapp").glob("*.py") if p.name != "__init__.py"
    }
    assert packages | modules <= mapped, (packages | modules) - mapped


def test_layout003_every_module_of_a_layer_is_named_on_its_line() -> None:
    """A module added to a layer without a word in the map fails here (cli is one command)."""
    unnamed = {}
    for path, says in readme_map().items():
        folder = ROOT / path
        if not path.startswith("dashapp/") or not folder.is_dir() or path == "dashapp/cli/":
            continue
        stems = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        if missing := {stem for stem in stems if not re.search(rf"\b{stem}\b", says)}:
            unnamed[path] = sorted(missing)
    assert not unnamed
