"""Single-use challenges (WebAuthn L3 §13.4.3: challenges are random, at least 16 bytes, and
used once). A small in-process store for relying parties that have nothing better; a
multi-process deployment keeps the same contract in its session store or database.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict

from .errors import VerificationError


class ChallengeStore:
    """Issue random challenges and consume each exactly once, within ``ttl`` seconds (J04)."""

    def __init__(self, ttl: float = 300.0, size: int = 32, max_outstanding: int = 100_000) -> None:
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"size must be an int, not {type(size).__name__}")
        if size < 16:
            raise ValueError("challenges must be at least 16 bytes (WebAuthn L3 §13.4.3)")
        self.ttl, self.size, self.max_outstanding = ttl, size, max_outstanding
        self._issued: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self) -> bytes:
        challenge = os.urandom(self.size)
        with self._lock:
            self._expire(time.monotonic())
            self._issued[challenge] = time.monotonic() + self.ttl
            while len(self._issued) > self.max_outstanding:
                self._issued.popitem(last=False)
        return challenge

    def consume(self, challenge: bytes) -> bytes:
        """Mark ``challenge`` used; raise ``client_data.challenge_reused`` if it was not issued,
        was already used, or has expired. Call it before verifying the response."""
        with self._lock:
            deadline = self._issued.pop(bytes(challenge), None)
        if deadline is None or deadline < time.monotonic():
            raise VerificationError("client_data.challenge_reused", "challenge was not issued, already used or expired")
        return challenge

    def _expire(self, now: float) -> None:
        while self._issued:
            first, deadline = next(iter(self._issued.items()))
            if deadline >= now:
                break
            self._issued.popitem(last=False)
