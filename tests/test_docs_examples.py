"""The Python examples of README.md and of the Markdown pages under docs/ run as copied.

Each file's ```python blocks run in order in one namespace (as a reader pastes them into
one session), in a temporary working folder, with scikit-learn's ``ConvergenceWarning`` an
error: an example that trains a collapsed network fails. An HTML comment, invisible once
rendered, controls the blocks (docs/development.md documents it):

- ``<!-- docs-test: skip -->`` (a reason may follow ``skip``) on the line before a block:
  the block is not run (tests/test_docs_examples.py runs the distributed search as a script).

The parser also reads ``<!-- docs-test: setup`` ... ``-->`` (Python lines run before the
next block), but no page may use it: a reader cannot see, so cannot paste, that setup.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SKIPPED_DIRS = {"_build", "generated", "auto_examples", "examples"}
_MARKER = re.compile(r"^<!-- docs-test: (\w+)")


def _markdown_files() -> list[Path]:
    pages = [
        page for page in sorted((ROOT / "docs").rglob("*.md"))
        if not _SKIPPED_DIRS.intersection(page.relative_to(ROOT / "docs").parts)
    ]
    return [ROOT / "README.md", *pages]


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    code: str
    setup: str = ""
    skip: bool = False


def extract_blocks(text: str) -> list[Block]:
    """The ```python blocks of a Markdown text, with their docs-test markers applied."""
    lines = text.splitlines()
    blocks: list[Block] = []
    setup: list[str] = []
    skip = False
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        marker = _MARKER.match(stripped)
        if marker:
            kind = marker.group(1)
            if kind == "skip":
                skip = True
            elif kind == "setup":
                end = next(j for j in range(i, len(lines)) if lines[j].strip() == "-->")
                setup += lines[i + 1 : end]
                i = end
            else:
                raise ValueError(f"line {i + 1}: unknown docs-test marker {kind!r}")
        elif stripped == "```python":
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            code = textwrap.dedent("\n".join(lines[i + 1 : end]))
            blocks.append(Block(i + 1, code, textwrap.dedent("\n".join(setup)), skip))
            setup, skip, i = [], False, end
        elif stripped and (skip or setup) and not stripped.startswith("<!--"):
            raise ValueError(f"line {i + 1}: a docs-test marker must come just before a block")
        i += 1
    return blocks


def test_extract_blocks_applies_markers():
    text = "\n".join([
        "Intro.", "```python", "a = 1", "```",
        "<!-- docs-test: skip (needs the network) -->", "```python", "download()", "```",
        "<!-- docs-test: setup", "b = 2", "-->", "  ```python", "  c = a + b", "  ```",
        "```bash", "not python", "```",
    ])
    blocks = extract_blocks(text)
    assert [(b.line, b.code, b.setup, b.skip) for b in blocks] == [
        (2, "a = 1", "", False),
        (6, "download()", "", True),
        (12, "c = a + b", "b = 2", False),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("<!-- docs-test: skipp -->\n```python\nx\n```", "unknown docs-test marker 'skipp'"),
        ("<!-- docs-test: skip -->\nSome prose.\n```python\nx\n```", "just before a block"),
    ],
)
def test_extract_blocks_refuses_misplaced_or_unknown_markers(text, message):
    with pytest.raises(ValueError, match=message):
        extract_blocks(text)


def test_the_readme_and_the_guide_have_examples():
    counts = {path.name: len(extract_blocks(path.read_text("utf-8")))
              for path in _markdown_files()}
    assert counts["README.md"] >= 3
    assert counts["outlier_detection.md"] >= 3
    assert sum(counts.values()) >= 20


def test_the_api_reference_lists_every_public_name():
    import skae
    import skae.datasets
    import skae.plotting

    listed = set(re.findall(r"^   (\w+)$", (ROOT / "docs" / "api.rst").read_text("utf-8"), re.M))
    public = {
        name for module in (skae, skae.datasets, skae.plotting)
        for name in module.__all__ if not name.startswith("_")
    }
    assert sorted(public - listed) == []
    assert {"ReconstructionOutlierDetector", "load_ecg5000", "ErrorHistogramDisplay"} <= listed


def _page_param(path: Path):
    return pytest.param(path, id=path.relative_to(ROOT).as_posix())


@pytest.mark.parametrize("path", [_page_param(p) for p in _markdown_files()])
def test_no_example_hides_its_setup(path):
    hidden = [block.line for block in extract_blocks(path.read_text("utf-8")) if block.setup]
    assert hidden == [], f"blocks at lines {hidden} run setup the reader cannot see"


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "path", _markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_markdown_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (caches, saved models)
    blocks = [block for block in extract_blocks(path.read_text("utf-8")) if not block.skip]
    if not blocks:
        pytest.skip(f"{path.name} has no Python example to run")
    namespace = {"__name__": "__docs_example__"}
    for block in blocks:
        where = f"{path.relative_to(ROOT)}, block at line {block.line}"
        if block.setup:
            exec(compile(block.setup, f"{where} (setup)", "exec"), namespace)
        exec(compile(block.code, where, "exec"), namespace)


@pytest.mark.slow
def test_the_distributed_search_runs_as_a_script(tmp_path):
    # worker processes import the script again: without its __main__ guard each would
    # start a cluster of its own ("Nanny failed to start")
    page = (ROOT / "docs" / "scaling_out.md").read_text("utf-8")
    [block] = [b for b in extract_blocks(page) if "LocalCluster(" in b.code]
    script = tmp_path / "search.py"
    script.write_text(block.code, "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'learning_rate':" in done.stdout and "'n_components':" in done.stdout


def test_figures_agree_between_pages():
    import skae
    import skae._thresholds

    texts = {
        "README.md": (ROOT / "README.md").read_text("utf-8"),
        "ReconstructionOutlierDetector": skae.ReconstructionOutlierDetector.__doc__,
        "skae._thresholds": skae._thresholds.__doc__,
    }
    for name, text in texts.items():
        flat = " ".join(text.split())
        assert "33 ADBench" in flat and "1.9 % to 8.7 %" in flat, name
        assert "39 tables" not in flat, name


def test_the_readme_puts_no_scaler_in_front_of_the_detector():
    # the quick start says the detector scales each column itself
    readme = " ".join((ROOT / "README.md").read_text("utf-8").split())
    assert "StandardScaler(), ReconstructionOutlierDetector" not in readme
    assert "ReconstructionOutlierDetector(random_state=0)" in readme
