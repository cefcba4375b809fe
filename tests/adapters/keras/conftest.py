"""Shared data and models for the Keras adapter tests: a few hundred real MNIST digits and tiny
Dense models, so every fit takes a fraction of a second."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mnist_small():
    """((x, y), (x_val, y_val)): 300 training and 100 validation digits."""
    from hpcore.adapters.keras.datasets import load_mnist

    return load_mnist(n_samples=400, n_val=100, seed=0)


def tiny_build(hp, eager: bool = True, max_layers: int = 3, with_input: bool = True):
    """The KerasTuner tutorial model, scaled down: 1-3 Dense layers of 4-16 units."""
    import keras

    # without an Input the model has no variables until it sees data (KerasTuner tutorials often do this)
    model = keras.Sequential([keras.Input((784,))] if with_input else [])
    for i in range(hp.Int("num_layers", 1, max_layers)):
        model.add(keras.layers.Dense(hp.Int(f"units_{i}", 4, 16, step=4), activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-2, sampling="log")),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=eager)
    return model
