"""The README and the guides in docs/ as a user meets them.

Every ```python block of README.md and of docs/*.md is saved as a file in an empty folder and
run with `python file.py`, as a user who copies it would: unchanged, in a fresh process, with
nothing installed by the test. A block that is not meant to run is fenced ```text or ```pycon
instead. Command-line walkthroughs in the guides are marked for the test with HTML comments that
do not render: `<!-- file: NAME -->` before a block saves it as NAME, and `<!-- run -->` before a
```bash block runs it, in the same folder, after the files. The README itself must stay a
user's page: short, and with no development-diary phrasing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
#: Examples that start TensorFlow, a Dask cluster or worker processes: seconds to tens of seconds
#: on two cores, so marked slow.
SLOW = re.compile(r"import keras|DaskExecutor|n_workers=[2-9]|n_jobs=[2-9]")
MAX_README_LINES = 300
TIMEOUT_SECONDS = {"fast": 300, "slow": 900}

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December")
#: Phrases of a lab notebook, not of a user's page.
DIARY = [
    re.compile(r"\bI ran\b"),
    re.compile(r"\bthis session\b", re.IGNORECASE),
    re.compile(r"\bwhere we stand\b", re.IGNORECASE),
    re.compile(r"\bagainst the targets\b", re.IGNORECASE),
    re.compile(rf"\b({_MONTHS}) round\b"),
    re.compile(rf"\b\d{{1,2}} ({_MONTHS})\b"),
    re.compile(rf"\b({_MONTHS}) \d{{1,2}}\b"),
]


@dataclass
class Block:
    """One fenced code block: its language, text, nearest heading and marker comment."""

    path: Path
    language: str
    text: str
    heading: str
    line: int
    marker: str | None = None  # "run", or "file: NAME"


@dataclass
class Walkthrough:
    """The marked blocks of one document: files to write, then bash blocks to run."""

    path: Path
    files: dict[str, str] = field(default_factory=dict)
    scripts: list[Block] = field(default_factory=list)


_FENCE = re.compile(r"^```(\S*)\s*$")
_MARKER = re.compile(r"^<!--\s*(run|file:\s*\S+)\s*-->\s*$")


def code_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a markdown file, in order."""
    blocks: list[Block] = []
    heading, marker = path.name, None
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif m := _MARKER.match(line):
            marker = re.sub(r"\s+", " ", m.group(1))
        elif m := _FENCE.match(line):
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append(Block(path, m.group(1), "\n".join(body) + "\n", heading, start, marker))
            marker = None
        elif line.strip():
            marker = None  # a marker applies to the block right after it
        i += 1
    return blocks


def _ids(blocks: list[Block]) -> list[str]:
    """pytest ids: document and nearest heading, numbered when a heading holds several blocks."""
    seen: dict[str, int] = {}
    out = []
    for b in blocks:
        base = f"{b.path.stem}:{b.heading}"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def python_blocks() -> list[Block]:
    return [b for p in (README, *DOCS) for b in code_blocks(p) if b.language == "python"]


def walkthroughs() -> list[Walkthrough]:
    out = []
    for path in (README, *DOCS):
        w = Walkthrough(path)
        for b in code_blocks(path):
            if b.marker and b.marker.startswith("file:"):
                w.files[b.marker.split(":", 1)[1].strip()] = b.text
            elif b.marker == "run":
                assert b.language == "bash", f"{path.name}:{b.line}: <!-- run --> marks a bash block"
                w.scripts.append(b)
        if w.scripts:
            out.append(w)
    return out


def _user_env() -> dict[str, str]:
    """The environment of a user's shell: this interpreter's scripts first on PATH (so `hpcore`
    is the one installed with it), no plotting window, TensorFlow's start-up chatter off."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.pop("PYTHONPATH", None)
    return env


def _failure(what: str, proc: subprocess.CompletedProcess) -> str:
    return (f"{what} exited with {proc.returncode}\n--- stdout (end) ---\n{proc.stdout[-3000:]}"
            f"\n--- stderr (end) ---\n{proc.stderr[-6000:]}")


def _is_slow(block: Block) -> bool:
    return SLOW.search(block.text) is not None


def _param(block: Block, block_id: str):
    return pytest.param(block, id=block_id, marks=[pytest.mark.slow] if _is_slow(block) else [])


_PY = python_blocks()


@pytest.mark.parametrize("block", [_param(b, i) for b, i in zip(_PY, _ids(_PY))])
def test_python_example_runs_as_a_plain_script(block: Block, tmp_path: Path):
    script = tmp_path / "example.py"
    script.write_text(block.text, encoding="utf-8")
    timeout = TIMEOUT_SECONDS["slow" if _is_slow(block) else "fast"]
    proc = subprocess.run([sys.executable, script.name], cwd=tmp_path, env=_user_env(), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, _failure(f"{block.path.name} line {block.line} ({block.heading})", proc)


_WALKS = walkthroughs()


@pytest.mark.slow  # runs the installed console script several times, and a benchmark on two processes
@pytest.mark.parametrize("walk", _WALKS, ids=[w.path.stem for w in _WALKS])
def test_command_line_walkthrough_runs(walk: Walkthrough, tmp_path: Path):
    for name, text in walk.files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for block in walk.scripts:
        proc = subprocess.run(["bash", "-e", "-c", block.text], cwd=tmp_path, env=_user_env(), capture_output=True,
                              text=True, timeout=TIMEOUT_SECONDS["fast"], stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, _failure(f"{walk.path.name} line {block.line} ({block.heading})", proc)


def _commands(block: Block) -> list[str]:
    """The command lines of a bash block, comments and blank lines left out."""
    lines = (re.split(r"\s+#", line, maxsplit=1)[0].strip() for line in block.text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_readme_command_line_examples_are_those_the_cli_guide_runs():
    readme_cli = [b for b in code_blocks(README) if b.heading == "Command line" and b.language == "bash"]
    assert readme_cli, "README.md has no bash block under 'Command line'"
    tested = {cmd for w in _WALKS if w.path.name == "cli.md" for b in w.scripts for cmd in _commands(b)}
    untested = [cmd for b in readme_cli for cmd in _commands(b) if cmd not in tested]
    assert not untested, f"README commands not run by docs/cli.md's walkthrough: {untested}"


def test_there_are_examples_to_run():
    readme = [b for b in _PY if b.path == README]
    assert len(readme) >= 9, "the README's tour lost its examples"


def test_readme_is_a_short_users_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines (at most {MAX_README_LINES})"


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_no_development_diary_phrasing(path: Path):
    found = [f"line {n}: {m.group(0)!r}"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for pattern in DIARY for m in pattern.finditer(line)]
    assert not found, f"{path.name} reads like a lab notebook: {found}"


def test_every_performance_figure_in_the_readme_names_the_command_that_measures_it():
    """Each row of the README's Performance table ends with its command, one that
    docs/benchmarks.md runs (with its options, the machine and the whole table)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Performance"):text.index("\n## ", text.index("## Performance") + 1)]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ")]
    assert rows and rows[0][-1] == "command", "the Performance table has no command column"
    benchmarks_md = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for row in rows[1:]:
        command = re.match(r"`([^`]+)`", row[-1])
        assert command, f"README Performance row without its command: {row}"
        program = " ".join(command.group(1).split()[:3])  # `hpcore bench synthetic`, `python -m hpcore.benchmarks.X`
        assert program in benchmarks_md, f"docs/benchmarks.md never runs {program!r} ({row[0]})"


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_anchor(line.lstrip("#")) for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")}


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_links_between_the_pages_lead_somewhere(path: Path):
    """Every relative link names a file that exists and, with #anchor, a heading in it."""
    broken = []
    for target in _LINK.findall(path.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(target)
    assert not broken, f"{path.name}: links to nothing: {broken}"


def _requirement_names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings, lower case ("dask[distributed]>=1" -> "dask", "distributed")."""
    names = set()
    for req in requirements:
        head = re.split(r"[\s<>=!~;(]", req.strip(), maxsplit=1)[0].lower()
        base, _, extras = head.partition("[")
        names.add(base)
        names.update(e.strip() for e in extras.rstrip("]").split(",") if e.strip())
    return names


def test_the_install_section_names_every_dependency_and_extra():
    """What pyproject.toml installs is what the README says: the core's dependencies in its
    opening, and each extra's packages in that extra's row of the Install table."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = README.read_text(encoding="utf-8")
    opening = text[:text.index("## Quickstart")].lower()
    missing = sorted(n for n in _requirement_names(project["dependencies"]) if n not in opening)
    assert not missing, f"core dependencies the README does not name before its Quickstart: {missing}"
    for extra, requirements in project["optional-dependencies"].items():
        own = [r for r in requirements if not r.startswith("hpcore[")]
        if not own:
            continue  # "all": the others together
        row = next((line.lower() for line in text.splitlines() if line.startswith(f"| `{extra}` |")), None)
        assert row is not None, f"the README's Install table has no row for the {extra!r} extra"
        missing = sorted(n for n in _requirement_names(own) if n not in row)
        assert not missing, f"the README's row for [{extra}] does not name {missing}"


def test_code_block_parser_finds_headings_markers_and_languages(tmp_path: Path):
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n## One\n\n```python\nprint(1)\n```\n\n<!-- file: a.json -->\n```json\n{}\n```\n\n"
                   "<!-- run -->\n```bash\necho hi  # greet\n```\n\n```text\nf(x)\n```\n", encoding="utf-8")
    blocks = code_blocks(doc)
    assert [(b.language, b.heading, b.marker) for b in blocks] == [
        ("python", "One", None), ("json", "One", "file: a.json"), ("bash", "One", "run"), ("text", "One", None)]
    assert blocks[0].text == "print(1)\n"
    assert _commands(blocks[2]) == ["echo hi"]
