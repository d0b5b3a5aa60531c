from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests/ helpers: softauthn, vectors, ...



def pytest_report_header(config: pytest.Config) -> str:
    import fastattest
    from fastattest import _core

    return f"fastattest {fastattest.__version__}: {fastattest.__file__}, core {_core.__file__}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """scripts/wheel.sh sets FASTATTEST_EXPECT_INSTALLED=1: the tests must exercise the installed
    wheel, not a source tree that happens to be importable."""
    if os.environ.get("FASTATTEST_EXPECT_INSTALLED") == "1":
        import fastattest
        from fastattest import _core

        for f in (fastattest.__file__, _core.__file__):
            if "site-packages" not in os.path.normpath(f).split(os.sep):
                raise pytest.UsageError(f"FASTATTEST_EXPECT_INSTALLED=1 but fastattest was imported from {f}")


RP_ID = "example.com"
ORIGIN = "https://example.com"


@pytest.fixture
def challenge() -> bytes:
    return os.urandom(32)
