"""HyperParameters: every KerasTuner method, conditions, define-by-run bookkeeping (no TensorFlow)."""

from __future__ import annotations

import pytest
from hpcore.adapters.keras import HyperParameters

from hpcore import Space
from hpcore.space import Bool, Choice, Fixed, Float, Int


def test_methods_return_defaults_and_record_definitions():
    hp = HyperParameters()
    assert hp.Int("layers", 1, 5) == 1
    assert hp.Int("units", 32, 512, step=32, default=64) == 64
    assert hp.Float("lr", 1e-4, 1e-2, sampling="log") == pytest.approx(1e-4)
    assert hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2) == pytest.approx(0.2)
    assert hp.Choice("act", ["relu", "tanh"]) == "relu"
    assert hp.Choice("opt", ["adam", "sgd"], ordered=False, default="sgd") == "sgd"
    assert hp.Boolean("bn") is False
    assert hp.Boolean("res", default=True) is True
    assert hp.Fixed("seed", 7) == 7
    assert isinstance(hp.Int("layers", 1, 5), int)
    assert hp.definitions == {
        "layers": Int(1, 5), "units": Int(32, 512, step=32), "lr": Float(1e-4, 1e-2, log=True),
        "dropout": Float(0.0, 0.5, step=0.1), "act": Choice(["relu", "tanh"]), "opt": Choice(["adam", "sgd"]),
        "bn": Bool(), "res": Bool(), "seed": Fixed(7),
    }
    assert hp.values["units"] == 64 and hp.get("opt") == "sgd" and hp["seed"] == 7
    Space(hp.definitions)  # a valid core space


def test_log_step_is_a_multiplier_and_equal_bounds_are_fixed():
    hp = HyperParameters()
    assert hp.Int("filters", 16, 256, step=2, sampling="log") == 16
    assert hp.definitions["filters"] == Choice([16, 32, 64, 128, 256])
    hp.Float("wd", 1e-5, 1e-3, step=10, sampling="log")
    assert hp.definitions["wd"].values == pytest.approx([1e-5, 1e-4, 1e-3])
    hp.Int("one", 3, 3)
    assert hp.definitions["one"] == Fixed(3)
    assert hp.Int("log_int", 1, 100, sampling="log") == 1
    assert hp.definitions["log_int"] == Int(1, 100, log=True)


def test_bad_declarations_name_the_problem():
    hp = HyperParameters()
    with pytest.raises(ValueError, match="sampling"):
        hp.Float("x", 1e-3, 1.0, sampling="reverse_log")
    with pytest.raises(ValueError, match="'y'"):
        hp.Int("y", 5, 1)
    with pytest.raises(ValueError, match="default"):
        hp.Int("z", 1, 5, default=9)
    hp.Int("units", 8, 64)
    with pytest.raises(ValueError, match="declared before"):
        hp.Int("units", 8, 128)
    with pytest.raises(KeyError, match="unknown"):
        hp.get("never")


def test_conditional_scope_activates_children_only_for_listed_parent_values():
    hp = HyperParameters()
    kind = hp.Choice("kind", ["mlp", "cnn"])
    with hp.conditional_scope("kind", "cnn"):
        assert hp.Int("filters", 8, 64) is None  # inactive: kind is "mlp"
    with hp.conditional_scope("kind", ["mlp"]):
        assert hp.Int("units", 8, 64) == 8
        with hp.conditional_scope("units", [8, 16]):
            assert hp.Boolean("bn") is False
    assert hp.Float("drop", 0.0, 0.5, parent_name="kind", parent_values=["cnn"]) is None
    assert kind == "mlp"
    assert hp.definitions["filters"].condition == {"kind": ("cnn",)}
    assert hp.definitions["bn"].condition == {"kind": ("mlp",), "units": (8, 16)}
    assert hp.definitions["drop"].condition == {"kind": ("cnn",)}
    assert "filters" not in hp.values and hp.get("filters") is None
    assert not hp.is_active("filters") and hp.is_active("bn")
    Space(hp.definitions)


def test_conditional_scope_errors():
    hp = HyperParameters()
    with pytest.raises(ValueError, match="not declared"), hp.conditional_scope("kind", "cnn"):
        pass
    hp.Choice("kind", ["mlp", "cnn"])
    with pytest.raises(ValueError, match="not a possible value"), hp.conditional_scope("kind", "rnn"):
        pass
    with pytest.raises(ValueError, match="parent_values"):
        hp.Int("u", 1, 4, parent_name="kind")


def test_trial_values_are_used_and_new_names_get_defaults():
    space = Space({"layers": Int(1, 4), "units_0": Int(4, 16, step=4)})
    hp = HyperParameters.from_trial(space, {"layers": 3, "units_0": 12})
    assert hp.values == {"layers": 3, "units_0": 12}
    n = hp.Int("layers", 1, 4)
    units = [hp.Int(f"units_{i}", 4, 16, step=4) for i in range(n)]
    assert units == [12, 4, 4]  # units_1 and units_2 are new: their default
    assert hp.new_definitions() == {"units_1": Int(4, 16, step=4), "units_2": Int(4, 16, step=4)}
    assert hp.accessed["build"] == {"layers", "units_0", "units_1", "units_2"}
    hp._phase = "fit"
    assert hp.Choice("batch_size", [16, 32]) == 16
    assert hp.accessed["fit"] == {"batch_size"}
    hp2 = HyperParameters.from_trial(space, {"layers": 3, "units_0": 12})
    assert hp2.get("layers") == 3 and hp2.accessed["build"] == {"layers"}  # reading is using
    hp2.all_values()
    assert hp2.accessed["build"] == {"layers"}
    assert hp2.values == {"layers": 3, "units_0": 12}
    assert hp2.accessed["build"] == {"layers", "units_0"}


def test_trial_value_of_inactive_conditional_parameter_is_none():
    space = Space({"kind": Choice(["mlp", "cnn"]), "filters": Int(8, 64, condition={"kind": ["cnn"]})})
    hp = HyperParameters.from_trial(space, {"kind": "cnn", "filters": 32})
    assert hp.Choice("kind", ["mlp", "cnn"]) == "cnn"
    with hp.conditional_scope("kind", "cnn"):
        assert hp.Int("filters", 8, 64) == 32
    hp = HyperParameters.from_trial(space, {"kind": "mlp"})
    hp.Choice("kind", ["mlp", "cnn"])
    with hp.conditional_scope("kind", "cnn"):
        assert hp.Int("filters", 8, 64) is None


def test_overrides_and_new_entry_policies():
    hp = HyperParameters()
    hp._overrides = {"lr": Fixed(0.001)}
    assert hp.Float("lr", 1e-4, 1e-1, sampling="log") == 0.001
    assert hp.definitions["lr"] == Fixed(0.001)
    hp._tune_new = False
    assert hp.Int("units", 8, 64, default=16) == 16
    assert hp.definitions["units"] == Fixed(16)
    hp._allow_new = False
    with pytest.raises(ValueError, match="allow_new_entries"):
        hp.Int("other", 1, 2)
