"""A small WebAuthn relying party built on fastattest: register and sign in from a browser.

Run it from the repository root:

    python -m examples.relying_party.app --port 8000      # then open http://localhost:8000/

It keeps users, credentials (as ``Credential.to_dict()`` JSON) and single-use challenges in
SQLite, and shows what fastattest found: attestation format and type, whether the
attestation is trusted, the FIDO metadata entry when one is configured (``--mds``), the
signature counter and user verification, and each credential's display name
(``Credential.authenticator_name``).

The options come from fastattest (``RelyingParty.registration_options`` /
``authentication_options``); the ``state`` they return is kept in SQLite with the ceremony and
passed to ``register(..., state=...)`` / ``verify(..., state=...)``, which enforce what the
options asked for. SQLite makes each ceremony single-use. The organisation's authenticator
policy is a ``fastattest.Policy`` (``--require-trusted``, ``--allow-aaguid``, ``--block-aaguid``,
``--device-bound-only``, ``--min-certification-level``).

Test-only page flags (query string): ``?tamper=signature`` flips a byte of the assertion
signature before it is posted; ``?manual=1`` builds the JSON by hand instead of using
``PublicKeyCredential.toJSON()``; ``?downgrade=uv`` asks the authenticator for no user
verification whatever the server's options say (a client that ignores them: the server refuses).
"""
from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from uuid import UUID
from typing import Any, Iterable

from flask import Flask, jsonify, render_template, request

try:
    import fastattest
except ImportError:  # run from a source checkout without installing: use the checkout's package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    import fastattest
from fastattest import Credential, Policy, RelyingParty, VerificationError

HERE = os.path.dirname(os.path.abspath(__file__))

CHALLENGE_TTL = 300.0  # seconds a ceremony stays open (WebAuthn L3 §13.4.3: challenges are short-lived)
ALGORITHM_NAMES = {-7: "ES256", -257: "RS256", -8: "EdDSA", -35: "ES384", -36: "ES512", -37: "PS256"}
OFFERED_ALGORITHMS = (-7, -257, -8)  # what the page lets a user choose from

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    handle BLOB NOT NULL UNIQUE              -- WebAuthn user.id: random, no personal data (§14.6.1)
);
CREATE TABLE IF NOT EXISTS credentials (
    credential_id TEXT PRIMARY KEY,          -- base64url of rawId
    user_id INTEGER NOT NULL REFERENCES users(id),
    data TEXT NOT NULL,                      -- Credential.to_dict() as JSON
    created REAL NOT NULL,
    last_used REAL
);
CREATE TABLE IF NOT EXISTS challenges (
    ceremony_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                      -- 'register' or 'login'
    challenge BLOB NOT NULL,
    username TEXT,
    user_handle BLOB,
    params TEXT NOT NULL,                    -- JSON: fastattest's ceremony state and the page's choices
    expires REAL NOT NULL,
    used_at REAL                             -- set when consumed: a challenge is single-use
);
"""


class DemoError(Exception):
    """An error of the example app itself (not of the library), with a stable code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Ceremony:
    kind: str
    challenge: bytes
    username: str | None
    user_handle: bytes | None
    params: dict[str, Any]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(value: Any, name: str) -> bytes:
    """base64url (or standard base64), padded or not."""
    if not isinstance(value, str):
        raise DemoError("request.malformed", f"{name} is not a base64url string")
    s = value.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except (binascii.Error, ValueError):
        raise DemoError("request.malformed", f"{name} is not valid base64url") from None


class Store:
    """SQLite storage; one connection behind a lock (the app may serve requests in threads)."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # users
    def user(self, username: str, create: bool = False) -> sqlite3.Row | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
            if row is None and create:
                self._db.execute("INSERT INTO users (username, handle) VALUES (?, ?)", (username, secrets.token_bytes(32)))
                row = self._db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
            return row

    # credentials
    def credentials_of(self, user_id: int) -> list[Credential]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM credentials WHERE user_id = ? ORDER BY created", (user_id,)).fetchall()
        return [Credential.from_dict(json.loads(r["data"])) for r in rows]

    def credential(self, credential_id: bytes) -> tuple[Credential, sqlite3.Row] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT c.data, u.id AS user_id, u.username, u.handle FROM credentials c JOIN users u ON u.id = c.user_id"
                " WHERE c.credential_id = ?", (b64url(credential_id),)).fetchone()
        if row is None:
            return None
        return Credential.from_dict(json.loads(row["data"])), row

    def add_credential(self, user_id: int, cred: Credential) -> None:
        with self._lock:
            try:
                self._db.execute("INSERT INTO credentials (credential_id, user_id, data, created) VALUES (?, ?, ?, ?)",
                                 (b64url(cred.credential_id), user_id, json.dumps(cred.to_dict()), time.time()))
            except sqlite3.IntegrityError:
                # §7.1 step 27: a credential ID already registered is refused
                raise DemoError("credential.already_registered", "this credential is already registered") from None

    def update_credential(self, cred: Credential) -> None:
        with self._lock:
            self._db.execute("UPDATE credentials SET data = ?, last_used = ? WHERE credential_id = ?",
                             (json.dumps(cred.to_dict()), time.time(), b64url(cred.credential_id)))

    def credential_rows(self, user_id: int) -> list[tuple[Credential, float, float | None]]:
        with self._lock:
            rows = self._db.execute("SELECT data, created, last_used FROM credentials WHERE user_id = ? ORDER BY created",
                                    (user_id,)).fetchall()
        return [(Credential.from_dict(json.loads(r["data"])), r["created"], r["last_used"]) for r in rows]

    # ceremonies: fastattest's state, kept until the response arrives, used once
    def open_ceremony(self, kind: str, username: str | None, user_handle: bytes | None, params: dict[str, Any]) -> str:
        ceremony_id = secrets.token_urlsafe(16)
        challenge = unb64url(params["state"]["challenge"], "challenge")  # kept for inspection; the state carries it
        with self._lock:
            self._db.execute("DELETE FROM challenges WHERE expires < ?", (time.time() - 3600,))
            self._db.execute(
                "INSERT INTO challenges (ceremony_id, kind, challenge, username, user_handle, params, expires)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ceremony_id, kind, challenge, username, user_handle, json.dumps(params), time.time() + CHALLENGE_TTL))
        return ceremony_id

    def consume_ceremony(self, ceremony_id: Any, kind: str) -> Ceremony:
        """Return the ceremony and mark it used, atomically; a second use is refused."""
        if not isinstance(ceremony_id, str) or not ceremony_id:
            raise DemoError("challenge.missing", "the request names no ceremony")
        with self._lock:
            row = self._db.execute("SELECT * FROM challenges WHERE ceremony_id = ? AND kind = ?", (ceremony_id, kind)).fetchone()
            if row is None:
                raise DemoError("challenge.unknown", "no such ceremony: request new options")
            if row["used_at"] is not None:
                raise DemoError("challenge.replayed", "this challenge was already used: a replayed response is refused")
            # mark used before verifying, so a failed attempt also burns the challenge
            self._db.execute("UPDATE challenges SET used_at = ? WHERE ceremony_id = ? AND used_at IS NULL", (time.time(), ceremony_id))
        if row["expires"] < time.time():
            raise DemoError("challenge.expired", "the challenge expired: request new options")
        return Ceremony(kind, bytes(row["challenge"]), row["username"],
                        None if row["user_handle"] is None else bytes(row["user_handle"]), json.loads(row["params"]))


def parse_aaguids(values: Iterable[str] | None) -> frozenset[UUID] | None:
    return None if not values else frozenset(UUID(v) for v in values)


def load_metadata(spec: str | None) -> Any:
    """``None``/"" -> no metadata; "default" -> a MetadataService: the offline store at once
    (cache or shipped snapshot), refreshed from FIDO MDS3 in a background thread before its
    nextUpdate (failures are logged; the last good store keeps serving; ``/metadata/health``
    shows its state); else a file path holding either a verified MDS3 payload (JSON) or a BLOB
    (JWT, verified here)."""
    if not spec:
        return None
    store_cls = getattr(fastattest, "MetadataStore", None)
    if store_cls is None:
        from fastattest.metadata import MetadataStore as store_cls
    if spec == "default":
        from fastattest.metadata import MetadataService

        return MetadataService().start()  # a daemon thread; RelyingParty(metadata=service) reads its current store
    with open(spec, "rb") as f:
        data = f.read()
    if data.lstrip().startswith(b"{"):
        return store_cls.from_payload(data)
    return store_cls.from_blob(data.strip().decode("ascii"))


def create_app(
    *,
    rp_id: str = "localhost",
    rp_name: str = "fastattest example",
    origins: Iterable[str] | None = None,
    db_path: str | None = None,
    metadata: Any = None,
    policy: Policy | None = None,
) -> Flask:
    """Build the Flask app. ``origins`` may also be set later in ``app.config["RP_ORIGINS"]``
    (e.g. once a test server knows its port), and ``app.config["RP_METADATA"]`` replaced at
    run time (e.g. after a monthly MDS refresh): new ceremonies use the new values."""
    app = Flask(__name__, root_path=HERE, template_folder="templates", static_folder="static")
    app.config["RP_ID"] = rp_id
    app.config["RP_NAME"] = rp_name
    app.config["RP_ORIGINS"] = list(origins or [])
    app.config["RP_METADATA"] = metadata
    store = Store(db_path or os.path.join(tempfile.gettempdir(), "fastattest-example-rp.sqlite3"))
    base_policy = policy or Policy()
    rps: dict[tuple[Any, ...], RelyingParty] = {}
    rps_lock = threading.Lock()
    app.extensions["fastattest_store"] = store

    def relying_party(algorithms: Iterable[int] | None = None) -> RelyingParty:
        """One RelyingParty per (origins, metadata, algorithms), built once and reused. User
        verification is per ceremony: the options ask for it and the state enforces it."""
        origins_now = tuple(app.config["RP_ORIGINS"])
        if not origins_now:
            raise DemoError("config.no_origin", "the server has no origin configured", 500)
        md = metadata()
        algs = frozenset(algorithms) if algorithms else base_policy.algorithms
        key = (origins_now, id(md), algs)
        with rps_lock:
            if key not in rps:
                if len(rps) > 64:
                    rps.clear()
                p = base_policy if algs == base_policy.algorithms else replace(base_policy, algorithms=algs)
                rps[key] = RelyingParty(rp_id=app.config["RP_ID"], origins=list(origins_now), metadata=md, policy=p,
                                        rp_name=app.config["RP_NAME"])
            return rps[key]

    def metadata() -> Any:
        """The one place the app reads its FIDO metadata (a MetadataStore or None)."""
        return app.config["RP_METADATA"]

    def credential_name(cred: Credential) -> str:
        # a display name only (never a security decision): metadata description, else the
        # community passkey-provider list (fastattest.names), else a generic label
        name = cred.authenticator_name or fastattest.authenticator_name(cred.aaguid, metadata())
        if name:
            return name
        return "Security key (U2F)" if cred.fmt == "fido-u2f" else "Passkey"

    def passkeys(user_id: int) -> list[dict[str, Any]]:
        return [{"credentialId": b64url(c.credential_id), "name": credential_name(c), "aaguid": str(c.aaguid),
                 "created": created, "lastUsed": last_used, "synced": bool(c.backup_eligible)}
                for c, created, last_used in store.credential_rows(user_id)]

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise DemoError("request.malformed", "expected a JSON object")
        return data

    def choice(data: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
        value = data.get(name) or default
        if value not in allowed:
            raise DemoError("request.malformed", f"{name} must be one of {', '.join(allowed)}")
        return value

    def describe(cred: Credential, *, user_verified: bool, sign_count: int) -> dict[str, Any]:
        # the entry that vouched at registration; at sign-in, the configured metadata's entry now
        entry = cred.metadata
        md = metadata()
        if entry is None and md is not None and cred.aaguid.int:
            entry = md.entry(cred.aaguid)
        description = getattr(entry, "description", None)
        status = getattr(entry, "status", None) if entry is not None else cred.status
        return {
            "credentialId": b64url(cred.credential_id),
            "fmt": cred.fmt,
            "attestationType": cred.attestation_type,
            "trusted": cred.trusted,
            "trustError": cred.trust_error,
            "trustPathLength": len(cred.trust_path),
            "aaguid": str(cred.aaguid),
            "algorithm": cred.algorithm,
            "algorithmName": ALGORITHM_NAMES.get(cred.algorithm or 0, str(cred.algorithm)),
            "metadataConfigured": md is not None,
            "name": credential_name(cred),
            "metadataDescription": description,
            "metadataStatus": status,
            "signCount": sign_count,
            "userVerified": user_verified,
            "backupEligible": cred.backup_eligible,
            "backedUp": cred.backed_up,
            "transports": list(cred.transports),
        }

    @app.errorhandler(DemoError)
    def demo_error(exc: DemoError) -> Any:
        return jsonify(ok=False, error={"code": exc.code, "message": exc.message}), exc.status

    @app.errorhandler(VerificationError)
    def verification_error(exc: VerificationError) -> Any:
        return jsonify(ok=False, error={"code": exc.code, "message": str(exc)}), 400

    @app.get("/")
    def index() -> str:
        return render_template("index.html", rp_id=app.config["RP_ID"], metadata_configured=app.config["RP_METADATA"] is not None)

    # -- registration (WebAuthn L3 §5.4 options, §7.1 verification) ------------------------
    @app.post("/register/options")
    def register_options() -> Any:
        data = body()
        username = str(data.get("username") or "").strip()
        if not username or len(username) > 64:
            raise DemoError("request.username", "enter a user name (1-64 characters)")
        attestation = choice(data, "attestation", ("direct", "none", "indirect", "enterprise"), "direct")
        resident_key = choice(data, "residentKey", ("discouraged", "preferred", "required"), "preferred")
        uv = choice(data, "userVerification", ("required", "preferred", "discouraged"), "preferred")
        algs = data.get("algorithms") or list(OFFERED_ALGORITHMS)
        if not isinstance(algs, list) or not algs or not all(isinstance(a, int) and a in ALGORITHM_NAMES for a in algs):
            raise DemoError("request.malformed", "algorithms must be a list of COSE algorithm identifiers")
        user = store.user(username, create=True)
        assert user is not None
        rp = relying_party(algs)
        # WebAuthn L3 §5.4 options from the library; §5.4.3 excludeCredentials keeps one
        # authenticator from registering twice for this user
        options, state = rp.registration_options(
            user_id=bytes(user["handle"]), user_name=username, user_display_name=username,
            exclude_credentials=store.credentials_of(user["id"]), attestation=attestation,
            user_verification=uv, resident_key=resident_key, timeout_ms=int(CHALLENGE_TTL * 1000))
        ceremony_id = store.open_ceremony("register", username, bytes(user["handle"]), {"state": state, "algorithms": algs})
        return jsonify(ceremonyId=ceremony_id, publicKey=options)

    @app.post("/register/verify")
    def register_verify() -> Any:
        data = body()
        ceremony = store.consume_ceremony(data.get("ceremonyId"), "register")
        rp = relying_party(ceremony.params["algorithms"])
        cred = rp.register(data.get("credential"), state=ceremony.params["state"])
        user = store.user(ceremony.username or "")
        if user is None:
            raise DemoError("request.username", "the user disappeared")
        store.add_credential(user["id"], cred)
        return jsonify(ok=True, operation="register", username=user["username"], passkeys=passkeys(user["id"]),
                       result=describe(cred, user_verified=cred.user_verified, sign_count=cred.sign_count))

    # -- authentication (§5.5 options, §7.2 verification) ------------------------------------
    @app.post("/login/options")
    def login_options() -> Any:
        data = body()
        username = str(data.get("username") or "").strip() or None
        uv = choice(data, "userVerification", ("required", "preferred", "discouraged"), "preferred")
        creds: list[Credential] | None = None
        handle: bytes | None = None
        if username is not None:
            user = store.user(username)
            if user is None:
                raise DemoError("request.username", f"no user named {username!r}: register first, or leave the name empty")
            creds = store.credentials_of(user["id"])
            if not creds:
                raise DemoError("request.username", f"{username!r} has no credential")
            handle = bytes(user["handle"])
        # §5.5 options from the library; no allowCredentials: the authenticator offers its
        # discoverable credentials and the response names the user (userHandle)
        options, state = relying_party().authentication_options(
            allow_credentials=creds, user_verification=uv, user_id=handle, timeout_ms=int(CHALLENGE_TTL * 1000))
        ceremony_id = store.open_ceremony("login", username, handle, {"state": state})
        return jsonify(ceremonyId=ceremony_id, publicKey=options)

    @app.post("/login/verify")
    def login_verify() -> Any:
        data = body()
        ceremony = store.consume_ceremony(data.get("ceremonyId"), "login")
        response = data.get("credential")
        if not isinstance(response, dict):
            raise DemoError("request.malformed", "credential is missing")
        raw_id = unb64url(response.get("rawId") or response.get("id"), "rawId")
        found = store.credential(raw_id)  # §7.2 step 7: look the credential up by its ID
        if found is None:
            raise DemoError("credential.unknown", "this credential is not registered here")
        stored, owner = found
        # the state enforces what the options asked (§7.2 steps 5-6): the credential among
        # allowCredentials, the identified user's or the userHandle's credential, user
        # verification when required; user_handle= also checks a userHandle against the owner
        res = relying_party().verify(response, credential=stored, state=ceremony.params["state"],
                                     user_handle=bytes(owner["handle"]))
        if ceremony.username is not None and owner["username"] != ceremony.username:
            raise DemoError("credential.wrong_user", "this credential belongs to another user")  # defence in depth
        store.update_credential(res.credential)  # §7.2 step 24: store the new counter and BS flag
        out = describe(res.credential, user_verified=res.user_verified, sign_count=res.sign_count)
        out["counterRegressed"] = res.counter_regressed
        out["discoverable"] = ceremony.username is None
        return jsonify(ok=True, operation="login", username=owner["username"], passkeys=passkeys(owner["user_id"]), result=out)

    @app.get("/metadata/health")
    def metadata_health() -> Any:
        """The refreshing metadata's state (a MetadataService; a fixed store has none)."""
        health = getattr(app.config["RP_METADATA"], "health", None)
        if health is None:
            return jsonify(ok=app.config["RP_METADATA"] is not None, refreshing=False)
        return jsonify(refreshing=True, **{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                            for k, v in vars(health).items()})

    return app


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="fastattest example relying party")
    ap.add_argument("--host", default="localhost", help="address to listen on (default: localhost)")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--rp-id", default="localhost", help="the RP ID (default: localhost)")
    ap.add_argument("--origin", action="append", help="allowed origin (repeatable; default http://<rp-id>:<port>)")
    ap.add_argument("--db", default=None, help="SQLite file (default: a file in the temp directory)")
    ap.add_argument("--mds", default=os.environ.get("FASTATTEST_MDS"),
                    help='FIDO metadata: "default" (offline snapshot, refreshed in the background), or a payload JSON / BLOB JWT file; env FASTATTEST_MDS')
    ap.add_argument("--require-trusted", action="store_true", help="enforce attestation: refuse attestations that do not chain to a trust anchor")
    ap.add_argument("--allow-aaguid", action="append", help="only these authenticator models may register (repeatable)")
    ap.add_argument("--block-aaguid", action="append", help="these authenticator models may not register (repeatable)")
    ap.add_argument("--device-bound-only", action="store_true", help="refuse synced (backup-eligible) passkeys")
    ap.add_argument("--min-certification-level", type=int, choices=(1, 2, 3), help="minimum FIDO certification level (needs --mds)")
    args = ap.parse_args(argv)
    origins = args.origin or [f"http://{args.rp_id}:{args.port}"]
    policy = Policy(require_trusted=args.require_trusted, allowed_aaguids=parse_aaguids(args.allow_aaguid),
                    blocked_aaguids=parse_aaguids(args.block_aaguid), allow_synced=not args.device_bound_only,
                    min_certification_level=args.min_certification_level)
    app = create_app(rp_id=args.rp_id, origins=origins, db_path=args.db, metadata=load_metadata(args.mds), policy=policy)
    print(f"fastattest example relying party: open {origins[0]}/  (rp_id={args.rp_id})", file=sys.stderr)
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
