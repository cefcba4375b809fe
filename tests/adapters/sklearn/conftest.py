"""One BLAS/OpenMP thread for the scikit-learn adapter tests: on a loaded 2-core machine,
threaded BLAS makes a tiny LogisticRegression fit 30x slower."""

import pytest


@pytest.fixture(autouse=True, scope="package")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
