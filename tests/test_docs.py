"""The Python snippets of README.md and docs/**/*.md run, and do what they say.

Every ```` ```python ```` fenced block is collected; the blocks of one page run in order, in
one namespace (a later block may use what an earlier one defined), in a scratch working
directory, with matplotlib's non-interactive backend. A block preceded (on the last
non-blank line before its fence) by an HTML comment starting ``<!-- skip`` is not run:
that is for blocks that train for minutes or need a display, and the comment says why.

A page whose blocks import Keras or a module that needs it gets the ``keras`` marker, so
``python -m pytest -m keras`` runs it on every backend. A failing block fails its page's
test, with a traceback that points at the block's own line in the Markdown file.
"""

from __future__ import annotations

import re
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Code that needs Keras: a page with such a block is marked ``keras``.
NEEDS_KERAS = re.compile(
    r"\bimport keras\b|\bfrom keras\b|weight_init\.keras_tools"
    r"|weight_init\.studies\.(mnist|fused|activation_layers|loss_progression)"
)
FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
SKIP = re.compile(r"^\s*<!--\s*skip\b")


@dataclass(frozen=True)
class Block:
    """One fenced ``python`` block: its code, its first code line (1-based) and whether it is skipped."""

    code: str
    line: int
    skip: bool


def python_blocks(text: str) -> list[Block]:
    """The ```` ```python ```` (or ```` ```py ````) blocks of a Markdown text, in order.

    Other fenced blocks (``bash``, ``text``, none) are stepped over whole, so a Python
    fence shown inside one of them is not collected. A block's code is dedented (fences
    inside list items are indented).
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    previous = ""  # the last non-blank line before the current one
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            if lines[i].strip():
                previous = lines[i]
            i += 1
            continue
        ticks, info = match["ticks"], match["info"].lower()
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith(ticks):
            end += 1
        if end == len(lines):
            raise ValueError(f"line {i + 1}: the {ticks} fence is never closed")
        if info in ("python", "py"):
            code = textwrap.dedent("\n".join(lines[start:end]))
            blocks.append(Block(code, start + 1, bool(SKIP.match(previous))))
        previous = lines[end]
        i = end + 1
    return blocks


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def page_param(path: Path):
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    needs_keras = any(NEEDS_KERAS.search(b.code) for b in blocks if not b.skip)
    marks = [pytest.mark.keras] if needs_keras else []
    return pytest.param(path, marks=marks, id=str(path.relative_to(ROOT)))


def run_blocks(blocks: list[Block], filename: str) -> int:
    """Run the blocks that are not skipped, in order, in one namespace; return how many ran.

    Each block is compiled with ``filename`` and padded so that a traceback names its line
    in the Markdown file.
    """
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    for block in blocks:
        if block.skip:
            continue
        exec(compile("\n" * (block.line - 1) + block.code, filename, "exec"), namespace)
        ran += 1
    return ran


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A scratch working directory and matplotlib's Agg backend; every figure closed after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        import matplotlib
    except ImportError:  # the snippet will say what is missing
        yield tmp_path
        return
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield tmp_path
    plt.close("all")


@pytest.mark.parametrize(
    "path", [page_param(p) for p in pages() if python_blocks(p.read_text(encoding="utf-8"))]
)
def test_every_python_snippet_of_the_page_runs(path, scratch):
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    run_blocks(blocks, str(path))


# ------------------------------------------------------------------ the collector itself


def test_the_readme_and_every_docs_page_are_collected_and_have_snippets():
    names = {p.relative_to(ROOT).as_posix() for p in pages()}
    for page in (
        "README.md",
        "docs/index.md",
        "docs/initializers.md",
        "docs/signal-propagation.md",
        "docs/your-keras-model.md",
        "docs/running.md",
        "docs/studies/activation-layers.md",
        "docs/studies/loss-progression.md",
        "docs/studies/toy-training.md",
    ):
        assert page in names
    readme = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme and not any(b.skip for b in readme)


SAMPLE = """\
Text.

```bash
echo "not python"
```

```python
x = 1
```

<!-- skip: trains for minutes -->

```python
raise RuntimeError("a skipped block")
```

- in a list:

  ```python
  y = x + 1
  ```

````text
```python
raise RuntimeError("a Python fence shown inside another block")
```
````
"""


def test_blocks_are_collected_with_their_lines_skips_and_indentation():
    blocks = python_blocks(SAMPLE)
    assert [(b.line, b.skip) for b in blocks] == [(8, False), (14, True), (20, False)]
    assert blocks[2].code == "y = x + 1"
    namespace_ran = run_blocks(blocks, "sample.md")
    assert namespace_ran == 2  # the second block used the first one's x


def test_a_broken_snippet_fails_with_its_markdown_line():
    text = "# Page\n\n```python\nimport math\n\nmath.sqrt(-1)\n```\n"
    with pytest.raises(ValueError, match="math domain error") as info:
        run_blocks(python_blocks(text), "page.md")
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(info.tb)]
    assert ("page.md", 6) in frames


def test_an_unclosed_fence_is_an_error():
    with pytest.raises(ValueError, match="never closed"):
        python_blocks("```python\nx = 1\n")


def test_pages_that_need_keras_are_marked_keras():
    marked = {
        p.relative_to(ROOT).as_posix() for p in pages() if any(m.name == "keras" for m in page_param(p).marks)
    }
    assert "docs/your-keras-model.md" in marked
    assert "docs/initializers.md" not in marked
    assert "README.md" not in marked
