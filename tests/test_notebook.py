"""The seed notebook's cells run unchanged against the package and agree with its numbers."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The notebook's three code cells, verbatim (only `%matplotlib inline`, an IPython
# magic, is left out), followed by a line that collects the printed stds.
NOTEBOOK = r"""
import numpy as np
from weight_init.experiment import forward_prop

hidden_layer_sizes = [500] * 10

def small_random_init(fan_in, fan_out):
    return 0.01 * np.random.randn(fan_in, fan_out)

hidden_layer_acts, hidden_layer_means, hidden_layer_stds = forward_prop(hidden_layer_sizes, small_random_init)

for i, H in hidden_layer_acts.items():
    print('Hidden layer %d had mean %f and std %f' % (i + 1, hidden_layer_means[i], hidden_layer_stds[i]))

import matplotlib.pyplot as plt
plt.rcParams['figure.figsize'] = (15,3)


def big_random_init(fan_in, fan_out):
    return 1 * np.random.randn(fan_in, fan_out)

hidden_layer_acts, hidden_layer_means, hidden_layer_stds = forward_prop(hidden_layer_sizes, big_random_init)

for i, H in hidden_layer_acts.items():
    print('Hidden layer %d had mean %f and std %f' % (i + 1, hidden_layer_means[i], hidden_layer_stds[i]))
    
# Plot the results
plt.figure()
plt.subplot(121)
plt.plot(list(hidden_layer_acts.keys()), hidden_layer_means, 'ob-')
plt.title('layer mean')
plt.subplot(122)
plt.plot(list(hidden_layer_acts.keys()), hidden_layer_stds, 'or-')
plt.title('layer std')

# Plot the raw distribution
plt.figure()
for i, H in hidden_layer_acts.items():
    plt.subplot(1, len(hidden_layer_acts), i + 1)
    plt.hist(H.ravel(), 30, range=(-1, 1))

plt.show()

def xavier_init(fan_in, fan_out):
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)

hidden_layer_acts, hidden_layer_means, hidden_layer_stds = forward_prop(hidden_layer_sizes, xavier_init)

for i, H in hidden_layer_acts.items():
    print('Hidden layer %d had mean %f and std %f' % (i + 1, hidden_layer_means[i], hidden_layer_stds[i]))
    
# Plot the results
plt.figure()
plt.subplot(121)
plt.plot(list(hidden_layer_acts.keys()), hidden_layer_means, 'ob-')
plt.title('layer mean')
plt.subplot(122)
plt.plot(list(hidden_layer_acts.keys()), hidden_layer_stds, 'or-')
plt.title('layer std')

# Plot the raw distribution
plt.figure()
for i, H in hidden_layer_acts.items():
    plt.subplot(1, len(hidden_layer_acts), i + 1)
    plt.hist(H.ravel(), 30, range=(-1, 1))

plt.show()
"""

# What the notebook printed (std per layer).
PUBLISHED = {
    "small": [
        0.213471,
        0.047744,
        0.010663,
        0.002377,
        0.000533,
        0.000120,
        0.000027,
        0.000006,
        0.000001,
        0.000000,
    ],
    "big": [
        0.981929,
        0.981658,
        0.981834,
        0.981665,
        0.981690,
        0.981558,
        0.981779,
        0.981635,
        0.981700,
        0.981527,
    ],
    "xavier": [
        0.628531,
        0.485856,
        0.407851,
        0.357675,
        0.321055,
        0.294206,
        0.272173,
        0.255200,
        0.239305,
        0.226953,
    ],
}


def test_notebook_cells_run_unchanged_and_agree(tmp_path):
    script = tmp_path / "notebook.py"
    script.write_text(textwrap.dedent(NOTEBOOK))
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    lines = re.findall(r"Hidden layer (\d+) had mean (\S+) and std (\S+)", out.stdout)
    assert len(lines) == 30
    stds = [float(s) for _, _, s in lines]
    got = {"small": stds[:10], "big": stds[10:20], "xavier": stds[20:]}
    # Another random draw than the notebook's: agreement within sampling noise. The
    # small init's stds shrink by the same factor (about 0.223) every layer, so compare
    # the first layer tightly and the ratio of each layer to the one before.
    assert abs(got["small"][0] - PUBLISHED["small"][0]) < 0.005
    for a, b in zip(got["small"][1:6], got["small"][:5]):
        assert abs(a / b - 0.2235) < 0.01
    for g, p in zip(got["big"], PUBLISHED["big"]):
        assert abs(g - p) < 0.002
    for g, p in zip(got["xavier"], PUBLISHED["xavier"]):
        assert abs(g - p) / p < 0.05
