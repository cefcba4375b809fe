"""The check for options that are on or off (`log=`, `shuffle=`, `trust_region=` ...).

`bool(x)` would take any value: `local_model="False"` or `log="no"` would silently mean True, and
a typo in a benchmark's strategy string (`bayes+trust_region=0.5`) would pass unnoticed. Only
`True` and `False` (Python's or NumPy's) are options that are on or off.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def boolean_option(name: str, value: Any) -> bool:
    """`value` as a bool when it is True or False (also `np.bool_`); otherwise a ValueError naming
    the option `name` and the value given."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")
