from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests/ helpers: softauthn, vectors, ...

RP_ID = "example.com"
ORIGIN = "https://example.com"


@pytest.fixture
def challenge() -> bytes:
    return os.urandom(32)
