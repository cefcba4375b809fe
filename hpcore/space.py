"""Search spaces: parameter types, conditions, and the one unit-cube encoding.

Notation
    P           number of parameters in a space
    D           encoded dimensions: 1 per numeric or boolean parameter, k per k-way `Choice`
                (one-hot), 0 per `Fixed`
    u           (D,) or (m, D) point(s) in the unit cube [0, 1]^D
    params      dict name -> value of the *active* parameters of one configuration

Every model-based strategy sees configurations only through `Space.encode`, `Space.decode`
and `Space.snap`, so the treatment of log scales, steps, integers, one-hot choices and
inactive conditional parameters lives here and nowhere else:

- log parameters are encoded in log space;
- discrete numeric parameters (`Int`, `Float` with `step`) get equal-width cells: value k of
  n sits at u = (k + 1/2) / n and u decodes to k = floor(u n) (log-scaled ones: cells padded by
  half a step in log space). Values are arithmetic on low + k*step, never a stored grid, so a
  parameter with 2**31 values costs no memory; only `Space.grid` enumerates, up to `GRID_LIMIT`;
- bounds as wide as the float range (Float(-1e308, 1e308)) are encoded without overflow;
- `Choice` is one-hot (never an ordinal number), decoded by argmax;
- an inactive conditional parameter is encoded as the constant `INACTIVE` in all its
  dimensions, never as an imputed default.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from hpcore.boolean_option import boolean_option

__all__ = [
    "GRID_LIMIT",
    "INACTIVE",
    "STEP_LIMIT",
    "Bool",
    "Choice",
    "Fixed",
    "Float",
    "Int",
    "Parameter",
    "Space",
]

#: Encoded value of every dimension of an inactive parameter.
INACTIVE = 0.5

#: A stepped parameter with more values than this also gets jumps of 5 % and 20 % of its
#: encoded range among its `Space.discrete_moves`.
_FEW_VALUES = 8
#: Largest grid `Space.grid` will enumerate.
GRID_LIMIT = 1_000_000
#: Most steps a value of a stepped parameter (and every `Int`) may lie from 0:
#: max(|low|, |high|) <= STEP_LIMIT * step. Within it floats keep neighbouring values at least 16
#: ulps apart, so grid indices, the unit-cube encoding and membership are exact arithmetic.
STEP_LIMIT = 2**48

_PRIMITIVES = (str, int, float, bool, type(None))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _is_finite_number(x: Any) -> bool:
    """A number that is finite as a float (an int beyond the float range is not)."""
    try:
        return _is_number(x) and math.isfinite(x)
    except OverflowError:
        return False


def _show(x: Any) -> str:
    """repr for an error message, shortening integers of hundreds of digits."""
    if isinstance(x, int) and abs(x) > 10**30:
        return f"{'-' if x < 0 else ''}an integer of {len(str(abs(x)))} digits"
    return repr(x)


def _lerp(lo: float, hi: float, f: Any) -> Any:
    """lo + f * (hi - lo) for f (scalar or array) in [0, 1], without overflow when hi - lo
    exceeds the float range (Float(-1e308, 1e308)): then computed in halves, which is exact
    because halving a normal float is."""
    span = hi - lo
    if math.isfinite(span):
        return lo + f * span
    return (lo / 2 + f * (hi / 2 - lo / 2)) * 2


def _unlerp(lo: float, hi: float, x: Any) -> Any:
    """(x - lo) / (hi - lo), the inverse of `_lerp`, without overflow."""
    span = hi - lo
    if math.isfinite(span):
        return (x - lo) / span
    return (x / 2 - lo / 2) / (hi / 2 - lo / 2)


def _decimals(x: float) -> int:
    """Digits after the decimal point in the shortest repr of x (0.656 -> 3, 1e-09 -> 9)."""
    exponent = Decimal(repr(float(x))).as_tuple().exponent
    return max(0, -int(exponent))


class _NaNKey:
    """Stands for NaN in equality keys, so Fixed(nan) equals a Fixed(nan) read back from JSON
    (nan != nan, and a fresh nan object defeats Python's identity shortcut)."""

    def __repr__(self) -> str:
        return "nan"

    def __reduce__(self) -> str:
        return "_NAN_KEY"  # unpickles as the one instance, so keys and spaces sent to workers compare


_NAN_KEY = _NaNKey()
#: Stands for "a value no condition names" when `Space.size` counts conditional spaces.
_OTHER_VALUE = object()


def _freeze(obj: Any) -> Any:
    """A hashable equality key of a parameter's `to_dict()`: NaN equal to NaN, booleans apart
    from the numbers 0 and 1, numbers equal across int and float (Float(0, 1) == Float(0.0, 1.0))."""
    if isinstance(obj, Mapping):
        return frozenset((k, _freeze(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return tuple(_freeze(v) for v in obj)
    if isinstance(obj, float) and math.isnan(obj):
        return _NAN_KEY
    return (type(obj) is bool, obj)


class Parameter:
    """Base class of one dimension of a search space.

    `condition` maps parent parameter names to the parent values for which this parameter
    is active (all parents must match). Validation is done by `Space`, which knows the name.
    """

    kind: str = ""
    n_dims: int = 1

    def __init__(self, condition: Mapping[str, Any] | None = None) -> None:
        self.condition: dict[str, tuple] = {}
        if condition is not None:
            if not isinstance(condition, Mapping):
                raise ValueError(f"condition must be a dict {{parent: [values]}}, got {condition!r}")
            for parent, values in condition.items():
                if isinstance(values, (list, tuple, set, frozenset)):
                    self.condition[parent] = tuple(values)
                else:
                    self.condition[parent] = (values,)

    # -- implemented by subclasses ------------------------------------------------------------
    def _check(self, name: str) -> None:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """True when `value` is a configuration value this parameter can take."""
        raise NotImplementedError

    def normalize(self, value: Any) -> Any:
        """The canonical Python value for `value` (int for `Int`, float for `Float`...)."""
        return value

    def canonical(self, value: Any) -> Any:
        """The value to store for a user-given `value` that `contains` accepted: `normalize`d,
        and for a stepped `Float` the grid value it names (0.1 + 0.2 -> 0.3)."""
        return self.normalize(value)

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        """Values (m,) -> unit-cube block (m, n_dims)."""
        raise NotImplementedError

    def decode_values(self, u: np.ndarray) -> np.ndarray:
        """Unit-cube block (m, n_dims) -> values (m,) (numeric dtype or object)."""
        raise NotImplementedError

    def decode_one(self, u: Sequence[float]) -> Any:
        """Unit-cube block (n_dims,) -> one value; the scalar twin of `decode_values`, kept
        free of NumPy overhead because random sampling decodes one point per trial."""
        raise NotImplementedError

    def grid_values(self, grid_points: int | None) -> list:
        raise NotImplementedError

    @property
    def size(self) -> float:
        """Number of distinct values (`math.inf` for continuous parameters)."""
        raise NotImplementedError

    def _args(self) -> dict:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"type": self.kind, **self._args()}
        if self.condition:
            d["condition"] = {k: list(v) for k, v in self.condition.items()}
        return d

    def _identity(self) -> Any:
        return _freeze(self.to_dict())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameter) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        cond = f", condition={ {k: list(v) for k, v in self.condition.items()} }" if self.condition else ""
        return f"{type(self).__name__}({args}{cond})"


class _Numeric(Parameter):
    """Shared maths of `Float` and `Int`: an interval, optionally log-scaled and stepped.

    A stepped parameter takes the values v_k = low + k*step, k = 0..K, K = floor((high - low)
    / step) (a grid value within a billionth of a step of `high` counts as reaching it). They are
    computed on demand, never stored: a grid of 2**31 seeds costs nothing until a grid search
    enumerates it. Float values are rounded to the decimals of `low` and `step` (so 0.1 + 3*0.2 is
    0.7, not 0.7000000000000001) and clipped to [low, high]; sampling, decoding, snapping and the
    grid all go through `_value_at`/`_values_at`, so a suggestion equals a grid value exactly.
    """

    def __init__(self, low: Any, high: Any, log: bool, step: Any, condition: Mapping | None) -> None:
        super().__init__(condition)
        self.low = low
        self.high = high
        self.log = log
        self.step = step

    def _check(self, name: str) -> None:
        for arg in ("low", "high"):
            v = getattr(self, arg)
            if not _is_finite_number(v):
                raise ValueError(f"parameter {name!r}: {arg} must be a finite number, got {_show(v)}")
        if self.low >= self.high:
            raise ValueError(
                f"parameter {name!r}: low must be < high, got low={self.low!r}, high={self.high!r}"
                " (use Fixed for a single value)"
            )
        self.log = boolean_option(f"parameter {name!r}: log", self.log)
        if self.log and self.low <= 0:
            raise ValueError(f"parameter {name!r}: log=True needs low > 0, got low={self.low!r}")
        if self.step is not None:
            if not _is_finite_number(self.step) or self.step <= 0:
                raise ValueError(f"parameter {name!r}: step must be a positive number, got {self.step!r}")
            span = self.high - self.low  # may be inf for floats: then no step is too large
            # Float(1.0, 1.001, step=0.001) has two values though 1.001 - 1.0 < 0.001 in floats.
            if self.step > span and not math.isclose(self.step, span, rel_tol=1e-9):
                raise ValueError(
                    f"parameter {name!r}: step={self.step!r} is larger than high - low = {span!r}"
                )
            self._check_step_limit(name)
        self._prepare()

    def _check_step_limit(self, name: str) -> None:
        magnitude = max(abs(self.low), abs(self.high))
        if magnitude > STEP_LIMIT * self.step:
            other = "Float for a wider range" if isinstance(self, Int) else "no step"
            raise ValueError(
                f"parameter {name!r}: values up to {_show(magnitude)} lie more than 2**48 steps of {self.step!r}"
                f" from 0, too close together for floats to tell apart exactly (use a larger step, or {other})"
            )

    def _last_index(self) -> int:
        """K, the index of the last grid value (stepped parameters only)."""
        raise NotImplementedError

    def _prepare(self) -> None:
        self._discrete = self.step is not None
        self._lo, self._hi = float(self.low), float(self.high)
        self._wide = not math.isfinite(self._hi - self._lo)  # Float(-1e308, 1e308): compute in halves
        if not self._discrete:
            # np.log, not math.log, here and below: the same bits as the vectorised encoding.
            self._t_lo, self._t_hi = (_log(self._lo), _log(self._hi)) if self.log else (self._lo, self._hi)
            return
        self._step = float(self.step)
        self._scale = self._rounding_scale()
        self._last = self._last_index()
        self._n = self._last + 1
        if self.log:
            # Half a cell of padding (measured in log space) at both ends, as between neighbours.
            t0, t1 = _log(self._value_at(0)), _log(self._value_at(1))
            tk, tj = _log(self._value_at(self._last)), _log(self._value_at(self._last - 1))
            self._t_lo, self._t_hi = t0 - 0.5 * (t1 - t0), tk + 0.5 * (tk - tj)

    def _rounding_scale(self) -> float | None:
        """10**d for rounding Float grid values to d decimals (None for Int, or when a float
        cannot hold the rounded values exactly: then low + k*step is used as it is)."""
        return None

    # -- the grid, by arithmetic ----------------------------------------------------------------------
    def _value_at(self, k: int) -> Any:
        """v_k for one index (Python scalar); bit-identical to `_values_at`."""
        raise NotImplementedError

    def _values_at(self, k: np.ndarray) -> np.ndarray:
        """v_k for indices k: (m,) int64 -> (m,)."""
        raise NotImplementedError

    def _position(self, x: Any) -> Any:
        """(x - low) / step, the (fractional) grid index of x; scalar or array, without overflow."""
        if self._wide:
            return (x / 2 - self._lo / 2) / self._step * 2
        return (x - self._lo) / self._step

    def _nearest_index(self, x: float) -> int:
        return min(max(round(self._position(min(max(x, self._lo), self._hi))), 0), self._last)

    # -- membership, encoding, decoding -------------------------------------------------------------------
    def contains(self, value: Any) -> bool:
        if not _is_finite_number(value):
            return False
        if not self._discrete:
            return self.low <= value <= self.high
        x = float(value)
        if not self._lo - self._step <= x <= self._hi + self._step:  # also keeps the index finite
            return False
        k = round(self._position(x))
        if not 0 <= k <= self._last:
            return False
        # Float noise in a user's value (0.1 + 0.2) still names the grid value next to it.
        return abs(self._value_at(k) - x) <= max(1e-9 * self.step, 2 * math.ulp(x))

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        if self._discrete and not self.log:
            # Equal-width cells: value k has the centre (k + 1/2) / n.
            u = (self._position(x) + 0.5) / self._n
        else:
            u = _unlerp(self._t_lo, self._t_hi, np.log(x) if self.log else x)
        return np.asarray(u, dtype=float).reshape(-1, 1)

    def _indices(self, u: np.ndarray) -> np.ndarray:
        """Grid indices (m,) int64 of unit-cube coordinates u (m,) in [0, 1]."""
        if not self.log:
            return np.minimum(np.floor(u * self._n).astype(np.int64), self._last)
        x = np.clip(np.exp(_lerp(self._t_lo, self._t_hi, u)), self._lo, self._hi)
        return np.clip(np.rint(self._position(x)), 0, self._last).astype(np.int64)

    def _index(self, u: float) -> int:
        """Scalar twin of `_indices` (same floating-point operations, so the same index)."""
        if not self.log:
            return min(math.floor(u * self._n), self._last)
        x = min(max(float(np.exp(_lerp(self._t_lo, self._t_hi, u))), self._lo), self._hi)
        return min(max(round(self._position(x)), 0), self._last)

    def _decode_float(self, u: np.ndarray) -> np.ndarray:
        u = np.clip(np.asarray(u, dtype=float).reshape(-1), 0.0, 1.0)
        if self._discrete:
            return self._values_at(self._indices(u))
        t = _lerp(self._t_lo, self._t_hi, u)
        x = np.exp(t) if self.log else t
        # The ends map exactly to the bounds (exp(log(high)) can be one ulp off).
        return np.where(u >= 1.0, self._hi, np.where(u <= 0.0, self._lo, np.clip(x, self._lo, self._hi)))

    def _decode_scalar(self, u: float) -> Any:
        u = min(max(u, 0.0), 1.0)
        if self._discrete:
            return self._value_at(self._index(u))
        if u >= 1.0:
            return self._hi
        if u <= 0.0:
            return self._lo
        t = _lerp(self._t_lo, self._t_hi, u)
        x = float(np.exp(t)) if self.log else t  # np.exp, not math.exp: bit-identical to the vectorised path
        return min(max(x, self._lo), self._hi)

    def decode_one(self, u: Sequence[float]) -> Any:
        return self.normalize(self._decode_scalar(float(u[0])))

    def grid_values(self, grid_points: int | None) -> list:
        if self._discrete:
            if self._n > GRID_LIMIT:
                raise ValueError(f"has {self._n:,} values, more than a grid can hold ({GRID_LIMIT:,}); "
                                 "give it a larger step, or sample it (random or bayes strategy)")
            return self._values_at(np.arange(self._n)).tolist()  # Python floats or ints
        if grid_points is None:
            raise ValueError("needs step= or the grid strategy's grid_points= to be gridded")
        if grid_points < 2:
            return [self.normalize(self.low)]
        if grid_points > GRID_LIMIT:
            raise ValueError(f"grid_points={grid_points:,} is more than a grid can hold ({GRID_LIMIT:,})")
        if self._wide:
            pts = _lerp(self._t_lo, self._t_hi, np.arange(grid_points) / (grid_points - 1))
        else:
            pts = np.linspace(self._t_lo, self._t_hi, int(grid_points))
        values = np.clip(np.exp(pts) if self.log else pts, self._lo, self._hi)
        values[0], values[-1] = self._lo, self._hi  # the bounds exactly, also on a log scale
        return [self.normalize(v) for v in values]

    @property
    def size(self) -> float:
        return float(self._n) if self._discrete else math.inf


class Float(_Numeric):
    """A real-valued parameter on [low, high]; `log=True` samples and models it on a log scale;
    `step` makes it discrete (values low, low+step, ... <= high, rounded to the decimals of
    `low` and `step`)."""

    kind = "float"

    def __init__(
        self,
        low: float,
        high: float,
        log: bool = False,
        step: float | None = None,
        condition: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(low, high, log, step, condition)

    def _last_index(self) -> int:
        # floor((high - low) / step), corrected on the values themselves: the quotient can be a
        # hair below an integer (0.6 / 0.2 = 2.9999999999999996, 1 / 1e-9 = 999999999.9999999).
        reach = self._hi + 1e-9 * self._step
        k = math.floor(self._position(self._hi))
        while self._unclipped_at(k + 1) <= reach:
            k += 1
        while k > 1 and self._unclipped_at(k) > reach:
            k -= 1
        return k

    def _rounding_scale(self) -> float | None:
        d = max(_decimals(self.step), _decimals(self.low))
        # Round only where the result is exact: 10**d a float without error (d <= 22) and
        # every value times 10**d an integer a float holds exactly.
        if d > 22 or max(abs(self._lo), abs(self._hi)) * 10.0**d >= 2.0**53:
            return None
        return 10.0**d

    def _unclipped_at(self, k: Any) -> Any:
        """low + k*step rounded to the decimals, for an index or an array of them: one formula
        for the scalar and the vectorised paths, so they agree to the bit."""
        x = (self._lo / 2 + k * (self._step / 2)) * 2 if self._wide else self._lo + k * self._step
        return x if self._scale is None else np.rint(x * self._scale) / self._scale

    def _value_at(self, k: int) -> float:
        return min(max(float(self._unclipped_at(k)), self._lo), self._hi)

    def _values_at(self, k: np.ndarray) -> np.ndarray:
        return np.clip(self._unclipped_at(k), self._lo, self._hi)

    def normalize(self, value: Any) -> float:
        return float(value)

    def canonical(self, value: Any) -> float:
        return self._value_at(self._nearest_index(float(value))) if self._discrete else float(value)

    def decode_values(self, u: np.ndarray) -> np.ndarray:
        return self._decode_float(u)

    def _args(self) -> dict:
        d: dict = {"low": self.low, "high": self.high}
        if self.log:
            d["log"] = True
        if self.step is not None:
            d["step"] = self.step
        return d


class Int(_Numeric):
    """An integer parameter on [low, high] with `step` (default 1); `log=True` for a log scale.
    Bounds lie within ±2**48 steps of 0, so every value has its own float in the encoding."""

    kind = "int"

    def __init__(
        self,
        low: int,
        high: int,
        step: int = 1,
        log: bool = False,
        condition: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(low, high, log, step, condition)

    def _check(self, name: str) -> None:
        for arg in ("low", "high", "step"):
            v = getattr(self, arg)
            if not _is_integral(v):
                raise ValueError(f"parameter {name!r}: Int needs an integer {arg}, got {v!r}")
        self.low, self.high, self.step = int(self.low), int(self.high), int(self.step)
        if self.step > 0:  # a bad step gets its own message from the shared checks
            self._check_step_limit(name)  # before the float checks: Int(0, 10**400) is too wide, not infinite
        super()._check(name)

    def _last_index(self) -> int:
        return (self.high - self.low) // self.step

    def _value_at(self, k: int) -> int:
        return self.low + k * self.step

    def _values_at(self, k: np.ndarray) -> np.ndarray:
        if max(-self.low, self.high) < 2**63:  # values in int64 (k*step may wrap: the sum still is exact)
            return self.low + k * self.step
        # Python ints (an object array) past int64, which would wrap silently (Int(0, 10**20, step=10**15)).
        return self.low + k.astype(object) * self.step

    def contains(self, value: Any) -> bool:
        if not _is_integral(value):
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def normalize(self, value: Any) -> int:
        # int() of an integer keeps all its digits; float() would round past 2**53.
        return int(value) if isinstance(value, (int, np.integer)) else round(float(value))

    def decode_values(self, u: np.ndarray) -> np.ndarray:
        return self._decode_float(u)  # int64 values (Python ints past int64): see `_values_at`

    def _args(self) -> dict:
        d: dict = {"low": self.low, "high": self.high}
        if self.step != 1:
            d["step"] = self.step
        if self.log:
            d["log"] = True
        return d


def _log(x: float) -> float:
    return float(np.log(float(x)))  # float(): np.log of an int past int64 is a TypeError


def _is_integral(x: Any) -> bool:
    """An int, or a float with an integer value (3.0), not a bool."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return True
    return isinstance(x, (float, np.floating)) and math.isfinite(x) and float(x).is_integer()


class Choice(Parameter):
    """An unordered categorical parameter, one-hot encoded. Values are str/int/float/bool/None."""

    kind = "choice"

    def __init__(self, values: Sequence[Any], condition: Mapping[str, Any] | None = None) -> None:
        super().__init__(condition)
        self.values = list(values) if isinstance(values, (list, tuple)) else values

    @property
    def n_dims(self) -> int:  # type: ignore[override]
        return len(self.values)

    def _check(self, name: str) -> None:
        if not isinstance(self.values, list):
            raise ValueError(f"parameter {name!r}: Choice needs a list of values, got {self.values!r}")
        if not self.values:
            raise ValueError(f"parameter {name!r}: Choice needs at least one value")
        for v in self.values:
            if not isinstance(v, _PRIMITIVES) or (isinstance(v, float) and not math.isfinite(v)):
                raise ValueError(
                    f"parameter {name!r}: choice values must be str, int, float, bool or None, got {v!r}"
                )
        keys = [self._key(v) for v in self.values]
        if len(set(keys)) != len(keys):
            raise ValueError(f"parameter {name!r}: duplicate values in {self.values!r}")
        self._index = {k: i for i, k in enumerate(keys)}
        self._object_values = np.empty(len(self.values), dtype=object)
        self._object_values[:] = self.values

    @staticmethod
    def _key(v: Any) -> tuple:
        # True == 1 in Python; keep booleans and numbers apart.
        return (type(v) is bool, v)

    def index(self, value: Any) -> int:
        return self._index[self._key(value)]

    def contains(self, value: Any) -> bool:
        try:
            return self._key(value) in self._index
        except TypeError:
            return False

    def normalize(self, value: Any) -> Any:
        return self.values[self.index(value)]

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        idx = np.fromiter((self.index(v) for v in values), dtype=np.int64, count=len(values))
        out = np.zeros((len(values), self.n_dims))
        out[np.arange(len(values)), idx] = 1.0
        return out

    def decode_values(self, u: np.ndarray) -> np.ndarray:
        return self._object_values[np.asarray(u).reshape(-1, self.n_dims).argmax(axis=1)]

    def decode_one(self, u: Sequence[float]) -> Any:
        u = list(u)
        return self.values[u.index(max(u))]  # first maximum, as argmax

    def grid_values(self, grid_points: int | None) -> list:
        return list(self.values)

    @property
    def size(self) -> float:
        return float(len(self.values))

    def _args(self) -> dict:
        return {"values": list(self.values)}


class Bool(Parameter):
    """A boolean parameter (one encoded dimension: False below 0.5, True above)."""

    kind = "bool"

    def _check(self, name: str) -> None:
        pass

    def contains(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def normalize(self, value: Any) -> bool:
        return bool(value)

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        return np.array([0.25 if not v else 0.75 for v in values], dtype=float).reshape(-1, 1)

    def decode_values(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(u, dtype=float).reshape(-1) >= 0.5

    def decode_one(self, u: Sequence[float]) -> bool:
        return bool(u[0] >= 0.5)

    def grid_values(self, grid_points: int | None) -> list:
        return [False, True]

    @property
    def size(self) -> float:
        return 2.0

    def _args(self) -> dict:
        return {}


class Fixed(Parameter):
    """A constant: always present (when active) with the same value; no encoded dimension."""

    kind = "fixed"
    n_dims = 0

    def __init__(self, value: Any, condition: Mapping[str, Any] | None = None) -> None:
        super().__init__(condition)
        self.value = value

    def _check(self, name: str) -> None:
        if not isinstance(self.value, _PRIMITIVES):
            raise ValueError(f"parameter {name!r}: Fixed value must be str, int, float, bool or None")

    def contains(self, value: Any) -> bool:
        return type(value) is type(self.value) and (value == self.value or _both_nan(value, self.value))

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        return np.zeros((len(values), 0))

    def decode_values(self, u: np.ndarray) -> np.ndarray:
        out = np.empty(np.asarray(u).shape[0], dtype=object)
        out[:] = [self.value] * len(out)
        return out

    def decode_one(self, u: Sequence[float]) -> Any:
        return self.value

    def grid_values(self, grid_points: int | None) -> list:
        return [self.value]

    @property
    def size(self) -> float:
        return 1.0

    def _args(self) -> dict:
        return {"value": self.value}


_KINDS: dict[str, type[Parameter]] = {c.kind: c for c in (Float, Int, Choice, Bool, Fixed)}


def parameter_from_dict(d: Mapping[str, Any]) -> Parameter:
    """Inverse of `Parameter.to_dict`."""
    d = dict(d)
    kind = d.pop("type")
    if kind not in _KINDS:
        raise ValueError(f"unknown parameter type {kind!r}; known: {sorted(_KINDS)}")
    return _KINDS[kind](**d)


class Space(Mapping):
    """An ordered mapping name -> `Parameter`, validated, with conditions resolved.

    Raises `ValueError` naming the parameter for any invalid definition: bad bounds, log with
    low <= 0, an empty choice, a condition on an unknown parameter or an impossible value,
    or conditions that form a cycle.
    """

    def __init__(self, params: Mapping[str, Parameter] | None = None) -> None:
        params = dict(params or {})
        for name, p in params.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
            if not isinstance(p, Parameter):
                raise ValueError(
                    f"parameter {name!r}: expected Float, Int, Choice, Bool or Fixed, got {p!r}"
                )
            p._check(name)
        for name, p in params.items():
            for parent, values in p.condition.items():
                if parent == name:
                    raise ValueError(f"parameter {name!r}: condition refers to itself")
                if parent not in params:
                    raise ValueError(f"parameter {name!r}: condition names unknown parameter {parent!r}")
                if not values:
                    raise ValueError(f"parameter {name!r}: condition on {parent!r} lists no values")
                for v in values:
                    if not params[parent].contains(v):
                        raise ValueError(
                            f"parameter {name!r}: condition value {v!r} is not a possible value of {parent!r}"
                        )
        self._params = params
        self._order = self._topological_order()
        offsets = np.cumsum([0] + [params[n].n_dims for n in self._order])
        self._slices = {n: slice(int(offsets[i]), int(offsets[i + 1])) for i, n in enumerate(self._order)}
        self._dims = int(offsets[-1])
        self._nan_fixed = frozenset(n for n, p in params.items() if isinstance(p, Fixed) and p.value != p.value)
        self._size: float | None = None
        self._frozen: frozenset | None = None

    def _topological_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = visiting, 2 = done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = " -> ".join(path[path.index(name):] + [name])
                raise ValueError(f"parameter {name!r}: conditions form a cycle ({cycle})")
            state[name] = 1
            for parent in self._params[name].condition:
                visit(parent, path + [name])
            state[name] = 2
            order.append(name)

        for name in self._params:
            visit(name, [])
        return order

    # -- mapping protocol ---------------------------------------------------------------------
    def __getitem__(self, name: str) -> Parameter:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __contains__(self, name: object) -> bool:
        # Mapping's default goes through __getitem__ and a KeyError; this runs for every
        # parameter of every trial on each model-based suggestion.
        return name in self._params

    def covers(self, params: Mapping[str, Any]) -> bool:
        """Whether every name in ``params`` is a parameter of this space (a set comparison of
        the key views, in C: the model-based strategies check every trial on every suggestion)."""
        return params.keys() <= self._params.keys()

    def __len__(self) -> int:
        return len(self._params)

    def _identity(self) -> frozenset:
        # Parameter identities, not to_dict equality: Fixed(nan) read back from a file is a new
        # nan. Frozen once: strategies compare spaces on every suggestion.
        if self._frozen is None:
            self._frozen = frozenset((n, p._identity()) for n, p in self._params.items())
        return self._frozen

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and (self is other or self._identity() == other._identity())

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {p!r}" for n, p in self._params.items())
        return f"Space({{{inner}}})"

    # -- structure ------------------------------------------------------------------------------
    @property
    def order(self) -> list[str]:
        """Names in an order where every parent comes before its children."""
        return list(self._order)

    @property
    def dims(self) -> int:
        """D, the number of encoded (unit-cube) dimensions."""
        return self._dims

    def slice(self, name: str) -> slice:
        """The columns of `name` in the encoding."""
        return self._slices[name]

    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether `name` is active given the (already resolved) values of its parents."""
        for parent, values in self._params[name].condition.items():
            if parent not in params:
                return False
            if not any(_same(params[parent], v) for v in values):
                return False
        return True

    def extend(self, params: Mapping[str, Parameter]) -> Space:
        """A new space with `params` added (define-by-run growth); existing names must not change."""
        for name, p in params.items():
            if name in self._params and self._params[name] != p:
                raise ValueError(
                    f"parameter {name!r}: already defined as {self._params[name]!r}, cannot redefine as {p!r}"
                )
        return Space({**self._params, **params})

    @property
    def size(self) -> float:
        """Number of distinct configurations, respecting conditions (`math.inf` if a parameter is
        continuous, or if there are more than a float holds, about 1.8e308). Counted, never
        enumerated, and cached: strategies ask for it on every suggestion."""
        if self._size is None:
            if any(math.isinf(p.size) for p in self._params.values()):
                count = math.inf
            else:
                try:
                    count = float(self._count_configurations())
                except OverflowError:
                    count = math.inf
            self._size = count
        return self._size

    def _count_configurations(self) -> int:
        """The number of configurations, in integers. A parameter that others are conditioned on
        is enumerated only by the classes of its values that conditions tell apart: each value a
        condition names, and all the others together, weighted by how many they are."""
        named: dict[str, list] = {}
        for p in self._params.values():
            for parent, values in p.condition.items():
                for v in values:
                    if not any(_same(v, w) for w in named.setdefault(parent, [])):
                        named[parent].append(v)
        classes = {
            parent: [(v, 1) for v in values] + [(_OTHER_VALUE, round(self._params[parent].size) - len(values))]
            for parent, values in named.items()
        }

        def count(i: int, partial: dict[str, Any]) -> int:
            # Multiplies along the order, recursing only at a parent (depth = parents, not P).
            factor = 1
            for j in range(i, len(self._order)):
                name = self._order[j]
                if not self.is_active(name, partial):
                    continue
                if name in classes:
                    total = 0
                    for value, weight in classes[name]:
                        if weight:
                            partial[name] = value
                            total += weight * count(j + 1, partial)
                    partial.pop(name, None)
                    return factor * total
                factor *= round(self._params[name].size)
            return factor

        return count(0, {})

    # -- validation ------------------------------------------------------------------------------
    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a user-given configuration; returns it canonicalised, in space order, with
        `Fixed` values filled in and inactive parameters dropped. Raises `ValueError` naming the
        parameter when a value is missing, unknown or out of range."""
        if not isinstance(params, Mapping):
            raise ValueError(f"a configuration must be a dict, got {type(params).__name__}")
        unknown = set(params) - set(self._params)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; the space has {list(self._params)}")
        out: dict[str, Any] = {}
        for name in self._order:
            if not self.is_active(name, out):
                continue
            p = self._params[name]
            if name not in params:
                if isinstance(p, Fixed):
                    out[name] = p.value
                    continue
                raise ValueError(f"parameter {name!r} is missing from the configuration")
            if not p.contains(params[name]):
                raise ValueError(f"parameter {name!r}: value {params[name]!r} is outside {p!r}")
            out[name] = p.canonical(params[name])
        return {n: out[n] for n in self._params if n in out}

    def key(self, params: Mapping[str, Any]) -> tuple:
        """A hashable identity of a configuration (used to avoid duplicates)."""
        key = tuple((n, type(params[n]) is bool, params[n]) for n in self._params if n in params)
        if self._nan_fixed:
            # Only a Fixed(nan) can put NaN in a configuration; nan != nan would make every stored
            # trial look new after a reload.
            key = tuple((n, b, _NAN_KEY if n in self._nan_fixed and v != v else v) for n, b, v in key)
        return key

    # -- the encoding --------------------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """One configuration -> u: (D,). Absent (inactive or unknown) parameters -> INACTIVE."""
        return self.encode_many([params])[0]

    def encode_many(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Configurations -> U: (n, D) in [0, 1] (discrete values land on cell centres)."""
        U = np.full((len(configs), self._dims), INACTIVE)
        for name in self._order:
            p = self._params[name]
            if p.n_dims == 0:
                continue
            rows = [i for i, c in enumerate(configs) if name in c]
            if rows:
                U[rows, self._slices[name]] = p.encode_values([configs[i][name] for i in rows])
        return U

    def _decode_columns(self, U: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Vectorised decode: values (m,) and active mask (m,) per parameter."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        if U.shape[1] != self._dims:
            raise ValueError(f"expected points with {self._dims} encoded dimensions, got shape {U.shape}")
        values: dict[str, np.ndarray] = {}
        active: dict[str, np.ndarray] = {}
        for name in self._order:
            p = self._params[name]
            values[name] = p.decode_values(U[:, self._slices[name]])
            mask = np.ones(len(U), dtype=bool)
            for parent, allowed in p.condition.items():
                pv = values[parent]
                hit = np.zeros(len(U), dtype=bool)
                for v in allowed:
                    hit |= np.fromiter((_same(x, v) for x in pv), dtype=bool, count=len(pv))
                mask &= active[parent] & hit
            active[name] = mask
        return values, active

    def decode(self, u: np.ndarray) -> dict[str, Any]:
        """u: (D,) -> configuration (inactive parameters absent)."""
        flat = np.asarray(u, dtype=float).reshape(-1)
        if flat.shape[0] != self._dims:
            raise ValueError(f"expected a point with {self._dims} encoded dimensions, got shape {np.shape(u)}")
        values = flat.tolist()
        out: dict[str, Any] = {}
        for name in self._order:
            if self.is_active(name, out):
                sl = self._slices[name]
                out[name] = self._params[name].decode_one(values[sl.start:sl.stop])
        return out if self._order == list(self._params) else {n: out[n] for n in self._params if n in out}

    def decode_many(self, U: np.ndarray) -> list[dict[str, Any]]:
        """U: (m, D) -> m configurations."""
        values, active = self._decode_columns(U)
        out = []
        for i in range(len(np.atleast_2d(U))):
            out.append(
                {n: self._params[n].normalize(values[n][i]) for n in self._params if active[n][i]}
            )
        return out

    def snap(self, U: np.ndarray) -> np.ndarray:
        """Project U: (m, D) onto encodable configurations: integers and steps rounded,
        one-hot made exact, inactive dimensions set to INACTIVE. Equals encode(decode(U)),
        vectorised, so a model sees exactly the values the objective will see."""
        values, active = self._decode_columns(U)
        out = np.full((len(values[self._order[0]]) if self._order else 0, self._dims), INACTIVE)
        for name in self._order:
            p = self._params[name]
            if p.n_dims == 0:
                continue
            rows = active[name]
            if rows.any():
                out[rows, self._slices[name]] = p.encode_values(values[name][rows])
        return out

    def discrete_moves(self, u: np.ndarray) -> np.ndarray:
        """The configurations one discrete move away from the snapped point u: (D,), snapped:
        (r, D). A move changes one active parameter: a stepped Int or Float to the grid value
        next to its own on either side, a Choice to each other value, a Bool to the other one
        (children that a changed parent activates take the values `snap` gives them). Empty
        (0, D) when no discrete parameter is active. Used by local searches over integer and
        categorical dimensions, which gradient steps cannot move."""
        u = np.asarray(u, dtype=float)
        params = self.decode(u)
        moves = []
        for name in self._order:
            p = self._params[name]
            if name not in params or p.n_dims == 0:
                continue
            sl = self._slices[name]
            if isinstance(p, Choice):
                for k in range(len(p.values)):
                    one_hot = np.zeros(p.n_dims)
                    one_hot[k] = 1.0
                    if not np.array_equal(one_hot, u[sl]):
                        v = u.copy()
                        v[sl] = one_hot
                        moves.append(v)
            elif isinstance(p, Bool):
                v = u.copy()
                v[sl] = p.encode_values(np.array([not params[name]]))[0]
                moves.append(v)
            elif isinstance(p, _Numeric) and p._discrete:
                k = p._nearest_index(float(params[name]))
                for j in (k - 1, k + 1):
                    if 0 <= j <= p._last:
                        v = u.copy()
                        v[sl] = p.encode_values(np.array([p._value_at(j)], dtype=float))[0]
                        moves.append(v)
                if p._n > _FEW_VALUES:  # longer jumps too, or a wide range is crossed one value at a time
                    for jump in (-0.2, -0.05, 0.05, 0.2):
                        v = u.copy()
                        v[sl] = np.clip(u[sl] + jump, 0.0, 1.0)
                        moves.append(v)
        if not moves:
            return np.empty((0, self._dims))
        return np.unique(self.snap(np.array(moves)), axis=0)

    def sample(self, rng: np.random.Generator, n: int | None = None) -> dict[str, Any] | list[dict[str, Any]]:
        """Uniform (log-uniform for log parameters) random configuration(s)."""
        if n is None:
            return self.decode(rng.random(self._dims))
        return self.decode_many(rng.random((n, self._dims)))

    # -- grids -------------------------------------------------------------------------------------
    def _iter_grid(self, grid_points: int | None, limit: int) -> Iterator[dict[str, Any]]:
        axes = {}
        for name, p in self._params.items():
            try:
                axes[name] = p.grid_values(grid_points)
            except ValueError as e:
                raise ValueError(f"parameter {name!r}: {e}") from None
        count = 0

        def rec(i: int, partial: dict[str, Any]) -> Iterator[dict[str, Any]]:
            nonlocal count
            if i == len(self._order):
                count += 1
                if count > limit:
                    raise ValueError(f"the grid has more than {limit:,} points; add steps or fewer grid_points")
                yield {n: partial[n] for n in self._params if n in partial}
                return
            name = self._order[i]
            if not self.is_active(name, partial):
                yield from rec(i + 1, partial)
                return
            for v in axes[name]:
                partial[name] = v
                yield from rec(i + 1, partial)
            del partial[name]

        if not self._params:
            return iter([{}])
        if all(not p.condition for p in self._params.values()):
            names = self._order
            total = math.prod(len(axes[n]) for n in names)
            if total > limit:
                raise ValueError(f"the grid has {total:,} points (limit {limit:,}); add steps or fewer grid_points")
            return (
                {n: dict(zip(names, combo))[n] for n in self._params}
                for combo in itertools.product(*(axes[n] for n in names))
            )
        return rec(0, {})

    def grid(self, grid_points: int | None = None) -> list[dict[str, Any]]:
        """All configurations of the Cartesian grid, respecting conditions (no two points differ
        only in inactive parameters). Continuous floats need `grid_points`."""
        return list(self._iter_grid(grid_points, GRID_LIMIT))

    # -- (de)serialisation ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, dict]:
        return {n: p.to_dict() for n, p in self._params.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Mapping[str, Any]]) -> Space:
        return cls({n: parameter_from_dict(pd) for n, pd in d.items()})

    def diff(self, other: Space) -> list[str]:
        """Human-readable differences from `self` to `other` (empty when equal)."""
        lines = []
        for n in self._params:
            if n not in other:
                lines.append(f"- {n}: {self._params[n]!r}")
            elif self._params[n] != other[n]:
                lines.append(f"~ {n}: {self._params[n]!r} -> {other[n]!r}")
        for n in other:
            if n not in self._params:
                lines.append(f"+ {n}: {other[n]!r}")
        return lines


def _both_nan(a: Any, b: Any) -> bool:
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from the numbers 0 and 1."""
    return isinstance(a, (bool, np.bool_)) == isinstance(b, (bool, np.bool_)) and a == b
