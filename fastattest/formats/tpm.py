"""`tpm` attestation (WebAuthn L3 §8.3), AIK certificate requirements (§8.3.1).

The TPM structures (TPMT_PUBLIC ``pubArea``, TPMS_ATTEST ``certInfo``) are parsed by the compiled
core (``_core.parse_tpm_public`` / ``_core.parse_tpm_attest``); this module checks what they say.
Catalogue rows T01-T10.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, Callable, Collection

from .. import _core, algorithms, certificates, tpm_vendors
from ..errors import VerificationError
from . import Context, Statement, StatementResult

_FIELDS = frozenset({"ver", "alg", "x5c", "sig", "certInfo", "pubArea"})

TPM_GENERATED_VALUE = 0xFF544347  # TPM 2.0 Part 2 §6.2
TPM_ST_ATTEST_CERTIFY = 0x8017  # TPM 2.0 Part 2 §6.9
TPM_ALG_RSA, TPM_ALG_ECC = 0x0001, 0x0023

#: TPM_ALG_ID of a Name's hash (Part 1 §16 "Names") -> hashlib constructor (T06)
NAME_ALGS: dict[int, Callable[..., "hashlib._Hash"]] = {
    0x0004: hashlib.sha1,
    0x000B: hashlib.sha256,
    0x000C: hashlib.sha384,
    0x000D: hashlib.sha512,
}

#: nameAlg -> (the UINT16 that starts a Name, hash): the Name's prefix is not rebuilt per call
_NAME_ALGS = {a: (a.to_bytes(2, "big"), h) for a, h in NAME_ALGS.items()}

#: TPM_ECC_CURVE (Part 2 §6.4) -> COSE crv (RFC 9053 §7.1)
TPM_CURVE_TO_COSE: dict[int, int] = {
    0x0003: algorithms.CRV_P256,  # TPM_ECC_NIST_P256
    0x0004: algorithms.CRV_P384,  # TPM_ECC_NIST_P384
    0x0005: algorithms.CRV_P521,  # TPM_ECC_NIST_P521
}

_HASHLIB = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}

#: statement alg -> hash used for extraData (§8.3: "the hash algorithm employed in alg"). Only
#: algorithms with a defined hash: no SHA-256 fallback for the others (T05, go-webauthn #760).
ALG_HASH: dict[int, Callable[..., "hashlib._Hash"]] = {
    a.alg: _HASHLIB[a.hash.name] for a in algorithms.ALGORITHMS.values() if a.hash is not None and a.hash.name in _HASHLIB
}

# TCG OIDs (TCG EK Credential Profile §3.2.9, §3.2.13 / WebAuthn L3 §8.3.1)
OID_TPM_MANUFACTURER = "2.23.133.2.1"
OID_TPM_MODEL = "2.23.133.2.2"
OID_TPM_VERSION = "2.23.133.2.3"
OID_TCG_KP_AIK_CERTIFICATE = "2.23.133.8.3"

_RSA_DEFAULT_EXPONENT = 65537  # TPMS_RSA_PARMS.exponent 0 means 2^16 + 1 (Part 2 §12.2.3.5)
_KTY_RSA, _KTY_EC2 = algorithms.KTY_RSA, algorithms.KTY_EC2


def verify(stmt: Statement, ctx: Context) -> StatementResult:
    """WebAuthn L3 §8.3 verification procedure; returns AttCA with x5c as the trust path."""
    # §8.3 syntax: {ver, alg, x5c, sig, certInfo, pubArea}; ECDAA was removed in L3
    if stmt.keys() != _FIELDS:  # exactly those keys (one comparison) or find out what is wrong
        if "ecdaaKeyId" in stmt:
            raise VerificationError("tpm.ecdaa_unsupported", "ECDAA attestation is not supported")
        if not stmt.keys() <= _FIELDS:
            extra = sorted(map(str, stmt.keys() - _FIELDS))
            raise VerificationError("format.statement_malformed", f"unexpected tpm statement keys {extra}")
        missing = _FIELDS - stmt.keys()
        raise VerificationError("tpm.missing_field", f"tpm statement lacks {', '.join(sorted(missing))}")  # T01, T07
    if type(stmt["ver"]) is not str or stmt["ver"] != "2.0":
        raise VerificationError("tpm.invalid_version", f'tpm statement ver is {stmt["ver"]!r}, not "2.0"')  # T01
    alg = stmt["alg"]
    extra_hash = ALG_HASH.get(alg) if type(alg) is int else None
    if extra_hash is None:
        raise VerificationError("tpm.invalid_alg", f"tpm alg {alg!r} is not a supported COSE signature algorithm with a hash")  # T05
    sig, cert_info_raw, pub_area_raw = stmt["sig"], stmt["certInfo"], stmt["pubArea"]
    if not (type(sig) is bytes and sig and type(cert_info_raw) is bytes and cert_info_raw
            and type(pub_area_raw) is bytes and pub_area_raw):
        for name, value in (("sig", sig), ("certInfo", cert_info_raw), ("pubArea", pub_area_raw)):
            if type(value) is not bytes or not value:
                raise VerificationError("tpm.invalid_field", f"tpm {name} is not a non-empty byte string")  # T01

    # §8.3 step 2: pubArea parameters and unique identify the credential public key (T02, T09, T10)
    pub_area = _core.parse_tpm_public(pub_area_raw)  # T03
    check_pub_area_key(pub_area, ctx.cose_key)

    # §8.3 step 4: validate certInfo
    cert_info = _core.parse_tpm_attest(cert_info_raw)  # type != ATTEST_CERTIFY refused there (T04)
    if cert_info.magic != TPM_GENERATED_VALUE:
        raise VerificationError("tpm.certinfo_magic", f"certInfo magic 0x{cert_info.magic:08x} is not TPM_GENERATED_VALUE")  # T04
    if cert_info.type != TPM_ST_ATTEST_CERTIFY:  # defence in depth: the parser refuses it already
        raise VerificationError("tpm.certinfo_type", f"certInfo type 0x{cert_info.type:04x} is not TPM_ST_ATTEST_CERTIFY")
    # extraData = H_alg(authenticatorData || clientDataHash)  (T05)
    if cert_info.extra_data != extra_hash(ctx.signed_data).digest():
        raise VerificationError("tpm.extra_data_mismatch", "certInfo extraData is not the hash of authenticatorData and clientDataHash")
    # attested.name = nameAlg (UINT16) || H_nameAlg(pubArea)  (Part 1 §16; T06)
    name_alg = _NAME_ALGS.get(pub_area.name_alg)
    if name_alg is None:
        raise VerificationError("tpm.unsupported_name_alg", f"pubArea nameAlg 0x{pub_area.name_alg:04x} is not SHA-1/256/384/512")
    if cert_info.attested_name != name_alg[0] + name_alg[1](pub_area_raw).digest():
        raise VerificationError("tpm.name_mismatch", "certInfo attested name is not the Name of pubArea")

    # x5c present; sig over certInfo by the aikCert key with alg (T07)
    x5c = certificates.parse_x5c(stmt["x5c"])
    aik = certificates.load(x5c[0])
    algorithms.verify(alg, aik.public_key, sig, cert_info_raw, "tpm.signature_invalid")
    # §8.3.1 aikCert requirements, and the AAGUID extension if present (T08)
    check_aik_certificate(x5c[0], ctx.auth_data.aaguid, _extra_vendors(ctx))
    return StatementResult("attca", x5c)


def _extra_vendors(ctx: Context) -> frozenset[str]:
    """Vendor IDs a policy accepts besides the TCG registry (``Policy.tpm_vendors`` and, when
    ``Policy.allow_fido_conformance_tpm_vendor``, the FIDO conformance tools' test vendor)."""
    p = ctx.policy
    if p.allow_fido_conformance_tpm_vendor:
        return p.tpm_vendors | {tpm_vendors.CONFORMANCE_TEST_VENDOR}
    return p.tpm_vendors


def check_pub_area_key(pub_area: _core.TpmPublic, key: _core.CoseKey) -> None:
    """pubArea parameters+unique must be the credential public key (§8.3 step 2)."""
    kty = key.kty
    if kty == _KTY_RSA:
        if pub_area.type != TPM_ALG_RSA:
            raise VerificationError("tpm.pubarea_mismatch", "credential key is RSA but pubArea is not")
        # both big-endian; equal as integers (a TPM exponent of 0 means 65537; T10)
        exponent = pub_area.exponent or _RSA_DEFAULT_EXPONENT
        unique, n, e = pub_area.unique, key.n, key.e
        if unique is None or n is None or e is None:  # the core sets them for RSA
            raise VerificationError("tpm.pubarea_mismatch", "pubArea or the credential key lacks the RSA modulus")
        # two big-endian byte strings are the same integer iff they are equal without their
        # leading zero bytes: no 256-byte integer conversions
        if unique.lstrip(b"\0") != n.lstrip(b"\0"):
            raise VerificationError("tpm.pubarea_mismatch", "pubArea RSA modulus differs from the credential key")
        if exponent != int.from_bytes(e, "big"):
            raise VerificationError("tpm.pubarea_mismatch", "pubArea RSA exponent differs from the credential key")
        return
    if kty == _KTY_EC2:
        if pub_area.type != TPM_ALG_ECC:
            raise VerificationError("tpm.pubarea_mismatch", "credential key is EC2 but pubArea is not ECC")
        crv = None if pub_area.curve_id is None else TPM_CURVE_TO_COSE.get(pub_area.curve_id)
        if crv is None:
            raise VerificationError("tpm.unsupported_curve", f"pubArea curve 0x{pub_area.curve_id:04x} has no COSE equivalent")
        if crv != key.crv:
            raise VerificationError("tpm.pubarea_mismatch", f"pubArea curve (COSE crv {crv}) differs from the credential key's {key.crv}")
        if pub_area.x != key.x or pub_area.y != key.y:
            raise VerificationError("tpm.pubarea_mismatch", "pubArea ECC point differs from the credential key")
        return
    # OKP (Ed25519/Ed448), AKP (ML-DSA): a TPM RSA/ECC pubArea can never describe them (T09)
    raise VerificationError("tpm.pubarea_mismatch", f"a credential key of COSE kty {key.kty} cannot be described by a TPM pubArea")


@lru_cache(maxsize=4096)
def check_aik_certificate(der: bytes, aaguid: bytes | None, extra_vendors: Collection[str] = frozenset()) -> None:
    """WebAuthn L3 §8.3.1 TPM attestation certificate (aikCert) requirements (T08).

    Cached per (certificate, AAGUID, extra vendors): a certificate seen before costs a lookup.
    Every machine has its own AIK, so that cache misses for a new device; but past the version
    and the subject, the checks read only four extensions, which every machine of a TPM model
    sends alike: an outcome that passed is remembered by those extensions' exact contents.
    """
    info = certificates.load(der)
    certificates.check_version3(info)  # Version MUST be 3
    if info.subject.rdns:
        raise VerificationError("tpm.aik_subject", "AIK certificate subject must be empty")  # fido2 1d64021
    exts, ek = info.extensions, certificates.extension_key
    vendors = frozenset(extra_vendors)
    # each extension the checks read as (critical, extnValue), (None, None) where absent
    key = (ek(exts, _OID_SAN), ek(exts, _OID_EKU), ek(exts, _OID_BC), ek(exts, _OID_AAGUID), aaguid, vendors)
    if key in _AIK_EXTENSIONS_PASSED:
        return
    _check_aik_extensions(info, aaguid, vendors)
    _AIK_EXTENSIONS_PASSED.add(key)


_OID_SAN, _OID_EKU = certificates.OID_SUBJECT_ALT_NAME, certificates.OID_EXTENDED_KEY_USAGE
_OID_BC, _OID_AAGUID = certificates.OID_BASIC_CONSTRAINTS, certificates.OID_FIDO_AAGUID
#: (SAN, EKU, basicConstraints, AAGUID extension, AAGUID, extra vendors) whose checks passed
_AIK_EXTENSIONS_PASSED = certificates.Passed()


def _check_aik_extensions(info: certificates.CertInfo, aaguid: bytes | None, extra_vendors: frozenset[str]) -> None:
    """§8.3.1 on the AIK's extensions (the subject is empty, so no message names it). Reads
    only the SAN, EKU, basicConstraints and AAGUID extensions: ``check_aik_certificate`` keys
    its memory of passed outcomes by exactly these, and must be changed with this."""
    # SAN as in TCG EK Credential Profile §3.2.9: critical (the subject is empty, RFC 5280
    # §4.2.1.6), a directoryName with TPMManufacturer, TPMModel, TPMVersion
    san = info.extension(certificates.OID_SUBJECT_ALT_NAME)
    if san is None:
        raise VerificationError("tpm.aik_san", "AIK certificate has no subject alternative name")
    if not san.critical:
        raise VerificationError("tpm.aik_san", "AIK certificate subject alternative name is not critical")
    _check_tpm_san(certificates.subject_alt_names(info) or (), extra_vendors)
    # EKU MUST contain tcg-kp-AIKCertificate
    eku = certificates.extended_key_usage(info)
    if eku is None:
        raise VerificationError("tpm.aik_eku", "AIK certificate has no extended key usage")
    if OID_TCG_KP_AIK_CERTIFICATE not in eku:
        raise VerificationError("tpm.aik_eku", "AIK certificate extended key usage lacks 2.23.133.8.3")
    certificates.check_not_ca(info)  # basicConstraints CA MUST be false (absent is fine)
    if aaguid is not None:
        certificates.check_aaguid(info, aaguid)  # id-fido-gen-ce-aaguid: non-critical, equal


@lru_cache(maxsize=1024)
def _check_tpm_san(names: tuple[tuple[str, Any], ...], extra_vendors: frozenset[str]) -> None:
    """The SAN's TPMManufacturer, TPMModel and TPMVersion, each exactly once, and a registered
    manufacturer. Cached by the decoded names: every machine with one TPM model sends the same."""
    values: dict[str, list[str]] = {OID_TPM_MANUFACTURER: [], OID_TPM_MODEL: [], OID_TPM_VERSION: []}
    for kind, directory_name in names:
        if kind != "directory":
            continue
        # the attributes may share one RDN (multi-valued) or sit in several: look at all of them
        for oid, found in values.items():
            found.extend(directory_name.get(oid))
    for oid, label in ((OID_TPM_MANUFACTURER, "TPMManufacturer"), (OID_TPM_MODEL, "TPMModel"), (OID_TPM_VERSION, "TPMVersion")):
        if len(values[oid]) != 1 or not values[oid][0]:
            raise VerificationError("tpm.aik_san", f"AIK certificate subject alternative name needs exactly one {label}")
    manufacturer = values[OID_TPM_MANUFACTURER][0]
    if not tpm_vendors.is_registered(manufacturer, extra_vendors):
        raise VerificationError("tpm.aik_manufacturer", f"TPM manufacturer {manufacturer!r} is not a registered TCG vendor ID")
