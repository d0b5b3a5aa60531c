"""The Metadata BLOB (FIDO MDS3 §3.1.7) and its processing rules (§3.2 steps 2-6).

A BLOB is a compact JWS (:mod:`.jws`) whose payload is the MetadataBLOBPayload (§3.1.6). Here:
the signer's chain from the header's ``x5u`` (same origin as the BLOB, step 4) or ``x5c``, or
else the pinned root itself (step 5), validated to a pinned root (RFC 5280 §6), optional CRLs
for every certificate of that chain (steps 2 and 4), the signature (step 5), then the payload's
``nextUpdate`` (step 3 / catalogue B04) and serial ``no`` (step 6 / B05). ``legalHeader`` is
kept on the store (:attr:`MetadataStore.legal_header`). Nothing of the payload is parsed before
the signature verified.
"""
from __future__ import annotations

import json
import urllib.parse
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence


from .. import certificates, revocation, trust
from ..errors import FastAttestError, MetadataError
from . import jws
from ._common import MAX_BLOB_SIZE
from .http import MAX_CRL_SIZE, MAX_X5U_SIZE, DEFAULT_TIMEOUT, Deadline, download

__all__ = ["MAX_X5C", "verify_blob", "crl_urls", "fetch_crls", "check_crls"]

MAX_X5C = 8

# JWS failure kinds -> metadata error codes
_CODES = {
    jws.MALFORMED: "metadata.malformed",
    jws.BAD_ALGORITHM: "metadata.bad_algorithm",
    jws.CRIT: "metadata.header_invalid",
    jws.X5C: "metadata.header_invalid",
    jws.X5C_TOO_LONG: "metadata.header_invalid",
    jws.SIGNATURE_INVALID: "metadata.signature_invalid",
}


def _error(exc: jws.JWSError) -> MetadataError:
    message = exc.message
    if message.startswith("the JWS signature"):
        message = "the metadata BLOB signature" + message[len("the JWS signature"):]
    return MetadataError(_CODES[exc.kind], message)


def _header_x5c(header: Mapping[str, Any]) -> tuple[bytes, ...]:
    # B08 (go-webauthn #698): the MDS chain is signer + CA(s); a bare signer cannot be placed.
    try:
        return jws.x5c(dict(header), min_items=2, max_items=MAX_X5C)
    except jws.JWSError as exc:
        raise _error(exc) from None


def _same_origin(a: str, b: str) -> bool:
    """RFC 6454 origin: scheme, host and port."""
    try:
        pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
        default = {"https": 443, "http": 80}
        return (
            pa.scheme.lower() == pb.scheme.lower()
            and (pa.hostname or "") == (pb.hostname or "")
            and bool(pa.hostname)
            and (pa.port or default.get(pa.scheme.lower())) == (pb.port or default.get(pb.scheme.lower()))
        )
    except ValueError:
        return False


def _x5u_chain(data: bytes) -> tuple[bytes, ...]:
    try:
        ders = tuple(trust.to_der(data))  # RFC 7515 §4.1.5: PEM certificates, signer first
    except FastAttestError:
        ders = ()
    if not ders or len(ders) > MAX_X5C or b"-----BEGIN" not in data:
        raise MetadataError("metadata.header_invalid", "x5u did not yield a PEM certificate chain")
    return ders


def default_x5u_fetch(deadline: Deadline | float = DEFAULT_TIMEOUT) -> Callable[[str], bytes]:
    """An x5u fetcher bounded by ``deadline`` and :data:`~.http.MAX_X5U_SIZE`."""
    return lambda url: download(url, deadline, limit=MAX_X5U_SIZE, accept="application/pem-certificate-chain, */*")


def check_crls(path: tuple[bytes, ...], crls: Sequence[bytes | str], now: datetime, require: bool) -> None:
    """MDS3 §3.2 steps 2 and 4: every certificate of the chain below the anchor is checked
    against a CRL of its issuer (RFC 5280 §6.3; fastattest.revocation)."""
    try:
        parsed = revocation.load(revocation.normalize(crls))
    except TypeError as exc:
        raise MetadataError("input.type", str(exc)) from None
    except revocation.CrlError as exc:
        raise MetadataError("metadata.crl_unavailable", str(exc)) from None
    problem = revocation.check(path, parsed, now, require)
    if problem is not None:
        kind, message = problem
        if kind == revocation.REVOKED:
            raise MetadataError("metadata.revoked", f"{message} (metadata BLOB chain)")
        raise MetadataError("metadata.crl_unavailable", message)


def crl_urls(body: bytes) -> list[str]:
    """The http(s) cRLDistributionPoints of the x5c certificates of an (unverified) BLOB header.
    The CRLs are verified against the chain afterwards, in :func:`check_crls`."""
    try:
        header_b64 = body.strip().split(b".", 1)[0]
        header = json.loads(jws.decode_segment(header_b64, "header")) if len(header_b64) < jws.MAX_HEADER else {}
        ders = _header_x5c(header) if isinstance(header, dict) and "x5c" in header else ()
    except (MetadataError, jws.JWSError, ValueError, RecursionError):
        return []  # from_blob reports what is wrong with the header
    urls: list[str] = []
    for d in ders:
        try:
            cdp = certificates.crl_distribution_urls(certificates.load(d))
        except FastAttestError:
            continue
        urls.extend(u for u in cdp if u.lower().startswith(("http://", "https://")))
    return list(dict.fromkeys(urls))


def fetch_crls(body: bytes, deadline: Deadline | float) -> list[bytes]:
    """Download the CRLs named by the BLOB's chain, each within ``deadline`` and
    :data:`~.http.MAX_CRL_SIZE`; one that cannot be downloaded is left out (and then reported
    by :func:`check_crls` as ``metadata.crl_unavailable``)."""
    out: list[bytes] = []
    for u in crl_urls(body):
        try:
            out.append(download(u, deadline, limit=MAX_CRL_SIZE, accept="application/pkix-crl, */*"))
        except MetadataError:
            continue
    return out


def verify_blob(
    jwt: bytes | str,
    roots: trust.TrustStore,
    now: datetime,
    *,
    url: str | None,
    x5u_fetch: Callable[[str], bytes] | None,
    crls: Sequence[bytes | str] | None,
    require_crls: bool,
) -> tuple[bytes, tuple[bytes, ...]]:
    """Check a compact JWS BLOB; return the decoded payload bytes and the validated chain."""
    if isinstance(jwt, str):
        try:
            jwt = jwt.encode("ascii")
        except UnicodeEncodeError:
            raise MetadataError("metadata.not_a_blob", "the data is not a JWS: it holds non-ASCII text") from None
    if not isinstance(jwt, (bytes, bytearray, memoryview)):
        raise MetadataError("input.type", "a metadata BLOB must be str or bytes")
    if type(jwt) is not bytes:
        jwt = bytes(jwt)  # an immutable copy: the signing input is hashed in another thread
    if len(jwt) > MAX_BLOB_SIZE:
        raise MetadataError("metadata.malformed", f"the metadata BLOB exceeds {MAX_BLOB_SIZE} bytes")
    if jwt[:1].isspace() or jwt[-1:].isspace():
        jwt = jwt.strip()
    # B09 (go-webauthn #735): an HTML page or "Too Many Requests" text is not a BLOB at all.
    # Every JWS header is a JSON object, so its base64url starts with "eyJ" ('{"').
    if not jwt.startswith(b"eyJ"):
        raise MetadataError("metadata.not_a_blob", f"the data is not a JWS metadata BLOB (starts with {jwt[:16]!r})")
    try:
        first, second = jws.split(jwt)  # RFC 7515 §7.1 (B06)
        header = jws.header(jwt[:first])
        alg = jws.check_alg(header.get("alg"))
        signature = jws.decode_segment(jwt[second + 1 :], "signature")
    except jws.JWSError as exc:
        raise _error(exc) from None
    # RFC 7515 §5.2 step 8: the signature covers ASCII(header || '.' || payload), referenced in
    # place (no 10 MB copy) and hashed concurrently with the decoding below.
    signing_input = memoryview(jwt)[:second]
    hash_cls = jws.ALGORITHMS[alg][1]
    digest = jws.Digest(hash_cls.name, signing_input) if hash_cls is not None else None
    try:
        try:
            payload = jws.decode_segment(jwt[first + 1 : second], "payload")  # the JSON is parsed once signed
        except jws.JWSError as exc:
            raise _error(exc) from None
        path = _check_signed(header, alg, signature, signing_input, digest, roots, now, url, x5u_fetch)
    finally:
        if digest is not None:
            digest.join()  # never leave a thread behind, not even on failure
    if crls is not None or require_crls:
        check_crls(path, crls or (), now, require_crls)
    return payload, path


def _verify(alg: str, key: Any, signature: bytes, signing_input: memoryview, digest: jws.Digest | None) -> None:
    try:
        jws.verify(alg, key, signature, signing_input, digest.value() if digest is not None else None)
    except jws.JWSError as exc:
        raise _error(exc) from None


def _check_signed(
    header: dict[str, Any],
    alg: str,
    signature: bytes,
    signing_input: memoryview,
    digest: jws.Digest | None,
    roots: trust.TrustStore,
    now: datetime,
    url: str | None,
    x5u_fetch: Callable[[str], bytes] | None,
) -> tuple[bytes, ...]:
    """The validated chain of the BLOB signer, once the JWS signature verified with its key."""
    # FIDO MDS3 §3.2 steps 4-5: x5u (same origin), else x5c, else the root signs directly.
    x5u = header.get("x5u")
    if x5u is not None:
        if not isinstance(x5u, str):
            raise MetadataError("metadata.header_invalid", "JWS x5u is not a string")
        if url is None and x5u_fetch is None:
            raise MetadataError("metadata.header_invalid", "JWS x5u cannot be checked without the BLOB URL")
        if url is not None and not _same_origin(x5u, url):
            raise MetadataError("metadata.header_invalid", "JWS x5u is not at the same origin as the BLOB URL")
    if "x5c" in header:
        chain = _header_x5c(header)
    elif x5u is not None:
        fetcher = x5u_fetch or default_x5u_fetch()
        try:
            chain = _x5u_chain(fetcher(x5u))
        except MetadataError:
            raise
        except Exception as exc:  # the caller's fetcher: network or anything else
            raise MetadataError("metadata.fetch_failed", f"x5u could not be fetched: {exc}") from None
    else:
        chain = ()

    if chain:
        try:
            path = trust.validate_path(chain, roots, now, anchor_in_chain=True)
            key = certificates.load(chain[0]).public_key
        except FastAttestError as exc:
            code = "metadata.header_invalid" if exc.code.startswith("certificate.") else "metadata.untrusted"
            raise MetadataError(code, f"the metadata BLOB chain is not trusted: {exc.message}") from None
        _verify(alg, key, signature, signing_input, digest)
        return path
    # No chain: the pinned root itself must have signed the BLOB.
    for info in roots.anchors.values():
        try:
            _verify(alg, info.public_key, signature, signing_input, digest)
        except MetadataError:
            continue
        return (info.der,)
    raise MetadataError("metadata.untrusted", "the BLOB has no x5c or x5u and no pinned root signed it")
