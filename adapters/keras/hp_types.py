"""KerasTuner's hyperparameter objects (`Int`, `Float`, `Choice`, `Boolean`, `Fixed`) as
read-only descriptions of hpcore parameters: what `search_space_summary` prints and
`hp.get_config()` holds.

    describe("units", hpcore.space.Int(32, 512, step=32)).get_config()
    -> {"name": "units", "default": 32, "conditions": [], "min_value": 32, "max_value": 512,
        "step": 32, "sampling": "linear"}

The default shown is the one hpcore uses (the lower bound, the first choice, False): a
`default=` given to `hp.Int(...)` is used by the trial that declares the name, not recorded in
the space. A log-stepped `Int`/`Float` (a geometric grid) is described as the `Choice` it is.
"""

from __future__ import annotations

from typing import Any

from hpcore import space as core
from hpcore.space import Parameter

__all__ = ["Boolean", "Choice", "Fixed", "Float", "HyperParameter", "Int", "describe", "parameter_of"]


def _conditions(param: Parameter) -> list[dict[str, Any]]:
    return [{"class_name": "Parent", "config": {"name": parent, "values": list(values)}}
            for parent, values in param.condition.items()]


class HyperParameter:
    """A named hyperparameter of the space, as KerasTuner describes it."""

    def __init__(self, name: str, param: Parameter) -> None:
        self.name = name
        self.param = param  # the hpcore definition
        self.conditions = _conditions(param)

    @property
    def default(self) -> Any:
        return None

    def _extra(self) -> dict[str, Any]:
        return {}

    def get_config(self) -> dict[str, Any]:
        """KerasTuner's config dict (`name`, `default`, `conditions`, then the type's fields)."""
        return {"name": self.name, "default": self.default, "conditions": self.conditions, **self._extra()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()!r})"


class Int(HyperParameter):
    @property
    def default(self) -> Any:
        return self.param.low  # type: ignore[attr-defined]

    def _extra(self) -> dict[str, Any]:
        p = self.param
        return {"min_value": p.low, "max_value": p.high, "step": p.step,  # type: ignore[attr-defined]
                "sampling": "log" if p.log else "linear"}  # type: ignore[attr-defined]


class Float(Int):
    pass


class Choice(HyperParameter):
    @property
    def default(self) -> Any:
        return self.param.values[0]  # type: ignore[attr-defined]

    def _extra(self) -> dict[str, Any]:
        values = list(self.param.values)  # type: ignore[attr-defined]
        # KerasTuner calls a choice among numbers ordered; hpcore models every choice as unordered
        ordered = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        return {"values": values, "ordered": ordered}


class Boolean(HyperParameter):
    @property
    def default(self) -> Any:
        return False


class Fixed(HyperParameter):
    @property
    def default(self) -> Any:
        return self.param.value  # type: ignore[attr-defined]

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "conditions": self.conditions, "value": self.default}


# (the names above are KerasTuner's; hpcore's own classes are `core.*`)
_TYPES: dict[type[Parameter], type[HyperParameter]] = {core.Int: Int, core.Float: Float, core.Choice: Choice,
                                                        core.Bool: Boolean, core.Fixed: Fixed}


def describe(name: str, param: Parameter) -> HyperParameter:
    """KerasTuner's description of the hpcore parameter `param` called `name`."""
    for kind, view in _TYPES.items():
        if isinstance(param, kind):
            return view(name, param)
    raise TypeError(f"hyperparameter {name!r}: no KerasTuner type for {type(param).__name__}")


def _condition_of(config: dict[str, Any]) -> dict[str, list]:
    cond: dict[str, list] = {}
    for c in config.get("conditions") or []:
        if c.get("class_name") != "Parent":
            raise ValueError(f"hyperparameter {config.get('name')!r}: unsupported condition {c!r}")
        cond[c["config"]["name"]] = list(c["config"]["values"])
    return cond


def parameter_of(class_name: str, config: dict[str, Any]) -> Parameter:
    """The hpcore parameter a KerasTuner `{"class_name", "config"}` entry describes (the inverse
    of `describe(...).get_config()`). Raises `ValueError` naming an unknown class."""
    cond = _condition_of(config)
    log = config.get("sampling", "linear") == "log"
    if class_name == "Int":
        return core.Int(config["min_value"], config["max_value"], step=config.get("step") or 1, log=log,
                        condition=cond)
    if class_name == "Float":
        return core.Float(config["min_value"], config["max_value"], step=config.get("step"), log=log,
                          condition=cond)
    if class_name == "Choice":
        return core.Choice(list(config["values"]), condition=cond)
    if class_name == "Boolean":
        return core.Bool(condition=cond)
    if class_name == "Fixed":
        return core.Fixed(config["value"], condition=cond)
    raise ValueError(f"hyperparameter {config.get('name')!r}: unknown class {class_name!r}")
