"""pytest-benchmark micro-benchmarks: `pytest benchmarks/micro --benchmark-only`.

Not collected by the default test run (which collects `tests/` only). `HPCORE_MICRO_TINY=1`
shrinks every size so the suite runs in seconds as a smoke test (tests/test_compare.py runs it
that way with `--benchmark-disable`).
"""
