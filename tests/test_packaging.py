"""What `pip install` gives a new user: declared dependencies and the installed layout.

These guard the fresh-install failures that a machine set up by hand hides: a module the
library imports that no extra declares (TensorBoard was imported by the Keras adapter but only
present because someone had installed it), and a wheel that puts packages other than `hpcore`
into site-packages (a top-level `benchmarks` package collides with users' own folders).
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
#: Folders whose code is installed as part of the library (benchmarks/ imports peers on purpose:
#: they are installed by the user, as the README says, and every import of one is guarded).
LIBRARY_DIRS = ("hpcore", "adapters")
OUR_PACKAGES = {"hpcore", "adapters", "benchmarks", "tests"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[(]", req.strip(), maxsplit=1)[0])


def _declared() -> dict[str, set[str]]:
    """Distribution names per extra ("" for the core dependencies), from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = {"": {_requirement_name(r) for r in project["dependencies"]}}
    for extra, reqs in project["optional-dependencies"].items():
        out[extra] = {_requirement_name(r) for r in reqs if not r.startswith("hpcore[")}
    return out


def _runtime_nodes(tree: ast.AST):
    """Every node of `tree` except those under `if TYPE_CHECKING:` (never imported at run time)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _imported_modules(folder: Path) -> dict[str, str]:
    """Top-level module name -> first file importing it, for every import in `folder` (nested and
    lazy imports included: a lazy import still needs its distribution installed)."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_module_the_library_imports_comes_from_a_declared_distribution():
    declared = set().union(*_declared().values())
    providers = md.packages_distributions()
    missing = []
    for folder in LIBRARY_DIRS:
        for module, where in _imported_modules(ROOT / folder).items():
            if module in sys.stdlib_module_names or module in OUR_PACKAGES or module == "__future__":
                continue
            dists = {_normalise(d) for d in providers.get(module, [])}
            if not dists & declared:
                missing.append(f"{module} (imported in {where}; provided by {sorted(dists) or 'nothing installed'})")
    assert not missing, "imported but declared by no dependency or extra in pyproject.toml:\n  " + "\n  ".join(missing)


def test_every_package_folder_is_listed_for_setuptools():
    """setuptools installs only the packages listed in pyproject.toml: a sub-package left out is
    there in an editable checkout and missing from a wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    mapping = {"hpcore": "hpcore", "adapters": "hpcore.adapters", "benchmarks": "hpcore.benchmarks"}
    found = set()
    for folder, package in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *parts)))
    assert found - listed == set(), f"packages missing from [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_test_environment_has_every_declared_distribution():
    """The test command installs `.[all,dev]`; a declared distribution that is absent means the
    suite would skip what it should test (Keras tests skip without TensorFlow)."""
    installed = {_normalise(d.metadata["Name"]) for d in md.distributions()}
    declared = _declared()
    extras = set(declared[""]).union(*(declared[e] for e in ("keras", "dask", "plot", "sklearn", "dev")))
    # Platform markers: tensorflow-cpu on Linux, tensorflow elsewhere.
    extras.discard("tensorflow" if sys.platform.startswith("linux") else "tensorflow-cpu")
    absent = sorted(extras - installed)
    assert not absent, f"not installed: {absent}; run: pip install -e \".[all,dev]\""


@pytest.mark.slow
def test_the_wheel_installs_only_the_hpcore_package(tmp_path):
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources it builds.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("hpcore", "adapters", "benchmarks"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("hpcore-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"hpcore"}, tops
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("hpcore/adapters/keras/__init__.py", "hpcore/adapters/keras/engine/tuner.py",
                   "hpcore/benchmarks/functions.py",
                   "hpcore/benchmarks/micro/__init__.py"):
        assert module in names
