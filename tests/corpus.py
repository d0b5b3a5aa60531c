"""A synthetic population of stored registrations, for batch re-verification tests and benches.

Real populations hold millions of credentials but few authenticator models: thousands of
records share one attestation certificate chain. ``Population`` builds a handful of models
(each a test root CA, an attestation key and a WebAuthn L3 §8.2.1 packed leaf certificate, via
``tests/softauthn.py``) and streams ``Credential.to_dict()``-shaped records: a generator, so a
million records never sit in memory. ``payload()`` is the matching FIDO MDS3 payload, with
knobs to revoke a model or drop its root.

Run as a script to write a JSONL corpus: ``python tests/corpus.py N OUT.jsonl [PAYLOAD.json]``.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import struct
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent))

import softauthn as sa  # noqa: E402

RP_ID = "example.com"
ORIGIN = "https://example.com"
RP_ID_HASH = hashlib.sha256(RP_ID.encode()).digest()
EPOCH = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)


@dataclass
class Model:
    """One authenticator model: its AAGUID, description, CA and attestation identity."""

    aaguid: uuid.UUID
    description: str
    ca: sa.TestCA
    attestation_key: Any
    x5c: list[bytes]

    @property
    def root_der(self) -> bytes:
        return sa.der(self.ca.root_cert)


def _cose_key(index: int) -> bytes:
    """Credential key ``index`` (ES256, RFC 9053 §2.1), derived from the index: distinct per
    record and the same in every run."""
    from cryptography.hazmat.primitives.asymmetric import ec

    secret = int.from_bytes(hashlib.sha256(b"corpus credential key %d" % index).digest(), "big") % _P256_ORDER
    return sa.cbor(sa.cose_key(-7, ec.derive_private_key(secret or 1, ec.SECP256R1()).public_key()))


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _std_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Population:
    """``models`` authenticator models; records cycle through them (model = index % models)."""

    def __init__(self, models: int = 3, *, key_pool: int | None = None, intermediate: bool = False) -> None:
        self.models: list[Model] = []
        for m in range(models):
            ca = sa.TestCA(intermediate=intermediate, name=f"fastattest Corpus Root CA {m}")
            aaguid = uuid.UUID(f"c0de0000-0000-4000-8000-{m:012x}")
            key = sa.generate_key(-7)
            cert = ca.attestation_cert(key.public_key(), aaguid=aaguid)
            self.models.append(Model(aaguid, f"Corpus Key {m}", ca, key, [sa.der(cert)] + ca.chain_der()))
        # Every record has its own credential key, as in a real population (a verifier caches
        # parsed keys by their bytes, so a small pool of keys would hide the cost of loading
        # one); ``key_pool=K`` reuses K keys instead, for runs where only generation speed
        # matters. Either way each record has its own credential id, challenge and signature.
        self._keys = [_cose_key(i) for i in range(key_pool)] if key_pool else None

    # ----- metadata

    def payload(self, *, statuses: Mapping[int, str] | None = None, drop_roots: frozenset[int] = frozenset(),
                no: int = 1, effective: str = "2024-01-01") -> dict[str, Any]:
        """An MDS3 payload (§3.1.6) for the models. ``statuses``: {model: latest status} (a report
        dated ``effective`` after the FIDO_CERTIFIED one); ``drop_roots``: models listed
        without their attestation root."""
        statuses = dict(statuses or {})
        entries = []
        for i, m in enumerate(self.models):
            reports = [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2023-01-01"}]
            if i in statuses:
                reports.append({"status": statuses[i], "effectiveDate": effective})
            entries.append({
                "aaguid": str(m.aaguid),
                "metadataStatement": {
                    "aaguid": str(m.aaguid),
                    "description": m.description,
                    "attestationTypes": ["basic_full"],
                    "attestationRootCertificates": [] if i in drop_roots else [_std_b64(m.root_der)],
                },
                "statusReports": reports,
                "timeOfLastStatusChange": reports[-1]["effectiveDate"],
            })
        return {"legalHeader": "test", "no": no, "nextUpdate": "2099-01-01", "entries": entries}

    def store(self, **kw: Any) -> Any:
        from fastattest.metadata import MetadataStore

        return MetadataStore.from_payload(self.payload(**kw))

    # ----- records

    def record(self, index: int, *, trusted: bool = True, status: str | None = "FIDO_CERTIFIED_L1") -> dict[str, Any]:
        """Record ``index``: what ``Credential.to_dict()`` gives for that registration."""
        m = self.models[index % len(self.models)]
        cose = self._keys[index % len(self._keys)] if self._keys else _cose_key(index)
        cred_id = struct.pack(">Q", index) + hashlib.sha256(b"cred%d" % index).digest()[:24]
        challenge = hashlib.sha256(b"challenge%d" % index).digest()
        cdj = sa.client_data_json("webauthn.create", challenge, ORIGIN)
        ad = (RP_ID_HASH + b"\x45" + b"\x00\x00\x00\x00" + m.aaguid.bytes + struct.pack(">H", len(cred_id))
              + cred_id + cose)  # §6.1: UP|UV|AT, signCount 0, attested credential data
        sig = sa.sign(-7, m.attestation_key, ad + hashlib.sha256(cdj).digest())
        ao = sa.encode_attestation_object("packed", {"alg": -7, "sig": sig, "x5c": m.x5c}, ad)
        registered = EPOCH + dt.timedelta(seconds=37 * index)
        b = sa.b64u
        return {
            "credential_id": b(cred_id),
            "public_key": b(cose),
            "sign_count": 0,
            "algorithm": -7,
            "aaguid": str(m.aaguid),
            "fmt": "packed",
            "attestation_type": "basic",
            "trusted": trusted,
            "trust_path": [b(c) for c in m.x5c],
            "metadata": {"aaguid": str(m.aaguid), "description": m.description},
            "user_verified": True,
            "backup_eligible": False,
            "backed_up": False,
            "transports": ["usb"],
            "attestation_object": b(ao),
            "client_data_json": b(cdj),
            "registered_at": registered.isoformat(),
            "status": status,
            "trust_error": None,
        }

    def records(self, n: int | None = None, *, start: int = 0, **kw: Any) -> Iterator[dict[str, Any]]:
        """A generator of records ``start``, ``start + 1``, ... (endless when ``n`` is None)."""
        indices = itertools.count(start) if n is None else range(start, start + n)
        for i in indices:
            yield self.record(i, **kw)


def main(argv: list[str]) -> int:
    n, out = int(argv[0]), Path(argv[1])
    pop = Population()
    with out.open("w") as f:
        for rec in pop.records(n):
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    if len(argv) > 2:
        Path(argv[2]).write_text(json.dumps(pop.payload()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
