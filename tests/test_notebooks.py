"""Every notebook in notebooks/ runs top to bottom in a real Jupyter kernel (nbclient + ipykernel).

Each code cell's metadata ``expected_images`` says how many figures it draws; the cell must
show exactly that many ``image/png`` outputs (a plotting call on a cell's last line used to
show its figure twice). No cell errors, nothing on stderr (JupyterLab shows it as a pink
box), no TensorFlow start-up noise in any output.
"""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOISE = (
    "oneDNN",
    "cuda_",
    "cuInit",
    "absl",
    "cpu_feature_guard",
    "This TensorFlow binary",
    "E0000",
    "I0000",
    "W0000",
    "Traceback",
    "ms/step",
    "triggered tf.function retracing",
    "cannot be downloaded",  # said only after a download was tried; these notebooks ask for the sample
)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run each notebook once per test session, as `jupyter lab notebooks/` would (cwd notebooks/)."""
    cache = {}

    def run(path):
        if path not in cache:
            nb = nbformat.read(path, as_version=4)
            home = tmp_path_factory.mktemp("keras_home")
            env = dict(os.environ, KERAS_HOME=str(home), TF_CPP_MIN_LOG_LEVEL="0")
            env.pop("MPLBACKEND", None)  # the notebook's `%matplotlib inline` decides
            env.pop("PYTHONPATH", None)  # the first cell finds the package by itself
            client = nbclient.NotebookClient(
                nb,
                timeout=600,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute(env=env)
            cache[path] = nb
        return cache[path]

    return run


def test_there_are_notebooks_and_they_are_committed_without_outputs():
    assert {p.name for p in NOTEBOOKS} >= {"weight_initialization.ipynb", "mnist_initialization.ipynb"}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


def _images(cell):
    return sum("image/png" in out.get("data", {}) for out in cell.outputs)


def _text(cell):
    parts = []
    for out in cell.outputs:
        parts.append(out.get("text", ""))
        parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_kernel_and_shows_each_figure_once(executed, path):
    nb = executed(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    for k, cell in enumerate(code):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell {k}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
        expected = cell.metadata.get("expected_images", 0)
        assert _images(cell) == expected, (
            f"{path.name} cell {k} shows {_images(cell)} images, draws {expected}:\n{cell.source}"
        )
        # the package's status lines are stdout, shown as plain output; stderr would be a pink box
        stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not stderr, f"{path.name} cell {k} writes to stderr:\n{''.join(stderr)}"
        text = _text(cell)
        for noise in NOISE:
            assert noise not in text, f"{path.name} cell {k} prints {noise!r}:\n{text}"
    assert sum(c.metadata.get("expected_images", 0) for c in code) >= 2  # it does plot


def test_the_explorer_cell_shows_its_widget(executed):
    nb = executed(ROOT / "notebooks" / "weight_initialization.ipynb")
    cell = [c for c in nb.cells if c.cell_type == "code" and "weight_init.explore()" in c.source][0]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell.outputs)
