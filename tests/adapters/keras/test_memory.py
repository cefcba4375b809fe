"""Between-trial cleanup: the session is cleared, collection is cheap, the freeze is undone, and
the live-model cache of Hyperband stays within its budget and its live configurations."""

from __future__ import annotations

import gc
import weakref

import pytest

pytest.importorskip("tensorflow")

import keras
from hpcore.adapters.keras.memory import SessionCleaner, rss_bytes
from hpcore.adapters.keras.model_cache import ModelCache


def test_cleaner_freezes_during_the_search_only_and_collects_every_k_trials():
    assert gc.get_freeze_count() == 0
    cleaner = SessionCleaner(gc_every=2, growth=10.0)
    cleaner.start()
    assert gc.get_freeze_count() > 0
    for _ in range(4):
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        cleaner.after_trial()
    cleaner.stop()
    assert gc.get_freeze_count() == 0
    assert cleaner.collections == 2
    assert set(cleaner.stats()) == {"clear_session_s", "gc_s", "gc_collections", "gc_full_collections",
                                     "gradients_released"}
    assert keras.layers.Dense(1).name == "dense"  # the session was cleared: names start again
    assert rss_bytes() is None or rss_bytes() > 0
    with pytest.raises(ValueError, match="gc_every"):
        SessionCleaner(gc_every=0)


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_survivors_are_frozen_and_released_cycles_are_reclaimed_by_a_full_collection():
    cleaner = SessionCleaner(gc_every=1, growth=10.0, full_gc_bytes=1000)
    cleaner.start()
    try:
        kept = Node()
        ref = weakref.ref(kept)
        cleaner.after_trial()  # collects, then freezes what survived (kept)
        del kept
        cleaner.after_trial()  # a cheap collection does not walk frozen objects: kept was frozen
        assert ref() is not None
        cleaner.after_trial(released_bytes=600)  # below the threshold: not yet
        assert ref() is not None
        cleaner.after_trial(released_bytes=600)  # 1,200 bytes of long-held objects dropped: full collection
        assert ref() is None and cleaner.full_collections == 1
    finally:
        cleaner.stop()
    assert gc.get_freeze_count() == 0


def test_model_cache_keeps_live_configurations_within_its_budget():
    def model(units):
        return keras.Sequential([keras.Input((10,)), keras.layers.Dense(units)])

    one = model(10).count_params() * 12  # bytes: weights + two optimizer slots, float32
    cache = ModelCache(max_bytes=2 * one)
    cache.put(0, 0, model(10), epoch=1)
    cache.put(1, 0, model(10), epoch=1)
    cache.put(2, 0, model(10), epoch=1)  # over budget: the oldest goes
    assert len(cache) == 2 and cache.take(0, 0, 3) is None
    assert cache.take(1, 0, epoch=0) is None  # trained further than the budget asked: not usable
    cache.put(1, 0, model(10), epoch=1)
    cache.retain({1})
    assert len(cache) == 1
    assert cache.released() == 3 * one  # the evicted, the stale and the dropped model
    m, epoch = cache.take(1, 0, epoch=3)
    assert epoch == 1 and isinstance(m, keras.Model) and cache.hits == 1 and len(cache) == 0
    assert cache.released() == 0  # a model taken to be trained on is not released
    ModelCache(0).put(5, 0, model(10), 1)  # a zero budget caches nothing


def test_traced_training_graphs_are_freed_after_each_trial(mnist_small):
    """TensorFlow's gradient registry keeps every traced training step (its graph, and through it
    the model's variables) alive; the cleaner releases those entries and the graphs are collected
    (USER-ASKS 17). Without the release most of these graphs survive."""
    from tensorflow.python.framework.func_graph import FuncGraph

    (x, y), _ = mnist_small
    cleaner = SessionCleaner()
    cleaner.start()
    refs = []
    try:
        for _ in range(3):
            model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(8),
                                      keras.layers.Dense(10, activation="softmax")])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            model.fit(x, y, epochs=1, batch_size=100, verbose=0)  # traced (not eager)
            refs += [weakref.ref(g) for g in gc.get_objects() if isinstance(g, FuncGraph)]
            del model
            cleaner.after_trial()
    finally:
        cleaner.stop()
    assert cleaner.gradients_released > 0 and refs
    assert sum(r() is not None for r in refs) == 0
