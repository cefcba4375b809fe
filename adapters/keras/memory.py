"""Keeping memory flat across trials without paying for it.

Every Keras model leaves reference cycles behind (layers, traced functions), so memory grows
unless the cyclic garbage collector runs. A full `gc.collect()` walks every tracked object,
and after `import tensorflow` there are ~400,000 of them: 0.3 s per call, which is why a
collection after every trial costs KerasTuner 35 s of a 320 s search.

Worse, memory grows by several MB per trial even with collections (+6 MB per trial for the
tutorial MLP: +34% between trial 5 and trial 50). The cause: tracing a training step registers
`tf.custom_gradient` functions under unique names ("CustomGradient-<uid>") in TensorFlow's
global gradient registry, and nothing ever removes them. Each entry's closure holds the traced
graph, which holds the model's variables, so no model is ever freed. A gradient function is only
looked up while the graph that uses it is being traced, so once a trial is over the cleaner
removes the entries registered since the search started (`release_gradients`), and the models
become collectable: memory stays flat.

`SessionCleaner` freezes what is alive when the search starts (`gc.freeze()`: TensorFlow, Keras,
the user's data move to a permanent generation the collector skips), then after each
collection freezes again what survived it (what is left after a trial is in use: the study,
the tuner), so the next collection only walks the newest trial's garbage, ~10-50 ms whatever
the trial number. Objects frozen while in use and dropped later in a cycle (models Hyperband
kept in memory between rungs) wait for a full collection (0.3-0.5 s), run once the caller has
released `full_gc_bytes` of such objects or resident memory grew by more than `growth` since the
last full collection: a bounded amount of memory traded for not walking 400,000 objects often.
The freeze is undone when the search ends.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

__all__ = ["SessionCleaner", "rss_bytes"]

_CUSTOM_GRADIENT = "CustomGradient-"


def _gradient_registry() -> dict | None:
    """TensorFlow's name -> gradient function registry (a private structure: None when this
    TensorFlow does not have it, and then nothing is released)."""
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


def rss_bytes() -> int | None:
    """Resident memory of this process in bytes (None when it cannot be read)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:
        return None


class SessionCleaner:
    """Between-trial cleanup with timing, used as `start()`, `after_trial()` x n, `stop()`."""

    def __init__(self, gc_every: int = 1, growth: float = 0.2, freeze: bool = True,
                 release_gradients: bool = True, full_gc_bytes: int = 256 * 2**20) -> None:
        if not isinstance(gc_every, int) or gc_every < 1:
            raise ValueError(f"gc_every must be a positive integer, got {gc_every!r}")
        self.gc_every = gc_every
        self.growth = float(growth)
        self.freeze = freeze
        self.full_gc_bytes = int(full_gc_bytes)
        self._released_bytes = 0
        self.release_gradients = release_gradients
        self._gradients_before: set[str] | None = None
        #: custom-gradient registry entries removed (see the module docstring)
        self.gradients_released = 0
        self._froze = False
        self._since_gc = 0
        self._rss_after_full: int | None = None
        #: seconds spent in keras.backend.clear_session and in gc.collect, and collections run
        self.clear_seconds = 0.0
        self.gc_seconds = 0.0
        self.collections = 0
        self.full_collections = 0

    def start(self) -> None:
        t = time.perf_counter()
        gc.collect()
        if self.freeze and gc.get_freeze_count() == 0:
            gc.freeze()
            self._froze = True
        self.gc_seconds += time.perf_counter() - t
        self._rss_after_full = rss_bytes()
        registry = _gradient_registry() if self.release_gradients else None
        self._gradients_before = set(registry) if registry is not None else None

    def after_trial(self, released_bytes: int = 0) -> None:
        """Clear the Keras session and collect every `gc_every` trials; `released_bytes`: memory
        the caller held across trials and has just dropped (it may sit in frozen cycles)."""
        import keras

        t = time.perf_counter()
        try:
            keras.backend.clear_session(free_memory=False)
        except TypeError:  # Keras before 3.6 has no free_memory argument (and always collects)
            keras.backend.clear_session()
        self._release_gradients()
        self.clear_seconds += time.perf_counter() - t
        self._since_gc += 1
        self._released_bytes += int(released_bytes)
        rss = rss_bytes()
        grown = (rss is not None and self._rss_after_full is not None
                 and rss > self._rss_after_full * (1 + self.growth))
        full = self._froze and (grown or self._released_bytes >= self.full_gc_bytes)
        if self._since_gc >= self.gc_every or full:
            t = time.perf_counter()
            if full:
                gc.unfreeze()
            gc.collect()
            if self._froze:
                gc.freeze()
            self.gc_seconds += time.perf_counter() - t
            self.collections += 1
            self._since_gc = 0
            if full:
                self.full_collections += 1
                self._released_bytes = 0
                self._rss_after_full = rss_bytes()

    def _release_gradients(self) -> None:
        registry = _gradient_registry() if self._gradients_before is not None else None
        if registry is None:
            return
        for name in [n for n in registry if n.startswith(_CUSTOM_GRADIENT) and n not in self._gradients_before]:
            registry.pop(name, None)
            self.gradients_released += 1

    def stop(self) -> None:
        if self._froze:
            gc.unfreeze()
            self._froze = False

    def stats(self) -> dict[str, Any]:
        return {"clear_session_s": self.clear_seconds, "gc_s": self.gc_seconds, "gc_collections": self.collections,
                "gc_full_collections": self.full_collections, "gradients_released": self.gradients_released}
