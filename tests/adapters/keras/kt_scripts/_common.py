"""Shared by the comparison scripts: small MNIST data, a tutorial MLP, and the JSON outcome line.
(Not a script: the test runs only the files without a leading underscore.)"""

import contextlib
import io
import json

import keras
from hpcore.adapters.keras.datasets import load_mnist


def data(n=300):
    (x, y), (x_val, y_val) = load_mnist(n_samples=n, n_val=100, seed=0)
    return x, y, x_val, y_val


def build_model(hp):
    model = keras.Sequential([keras.Input((784,))])
    for i in range(hp.Int("num_layers", 1, 2)):
        model.add(keras.layers.Dense(hp.Int(f"units_{i}", 8, 32, step=8), activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(hp.Float("learning_rate", 1e-3, 1e-2, sampling="log")),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def captured(fn, *args, **kwargs):
    """What `fn` prints, as a list of lines."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args, **kwargs)
    return out.getvalue().splitlines()


def report(**outcomes):
    print("OUTCOMES " + json.dumps(outcomes, sort_keys=True))
