"""Errors raised by fastattest, and the table of their stable codes.

Every rejection is a :class:`VerificationError` (metadata loading: :class:`MetadataError`)
carrying a machine-readable ``code`` from :data:`CODES` and a message for people. Codes are
``area.reason``; the area names the module (or spec step) that enforces the check.
"""
from __future__ import annotations

__all__ = ["FastAttestError", "VerificationError", "MetadataError", "CODES"]


class FastAttestError(Exception):
    """Base of every exception fastattest raises on purpose."""

    code: str
    message: str

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or CODES.get(code, code)
        super().__init__(f"{self.message} [{code}]")

    def __reduce__(self) -> tuple[type[FastAttestError], tuple[str, str]]:  # picklable across worker processes
        return (type(self), (self.code, self.message))


class VerificationError(FastAttestError):
    """A registration, assertion or attestation statement was rejected."""


class MetadataError(FastAttestError):
    """FIDO MDS3 metadata could not be loaded, verified or trusted.

    ``retry_after``: when a download was refused with a ``Retry-After`` header (HTTP 429 or
    503, RFC 9110 §10.2.3), the seconds the server asked to wait; else None.
    """

    retry_after: int | None = None


#: Every code fastattest raises, with its meaning. A test checks that each code used in the
#: source appears here. Codes are stable: never rename one, only add.
CODES: dict[str, str] = {
    # --- input framing / size caps
    "input.too_large": "input exceeds the size limit",
    "input.type": "input has the wrong type",
    # --- CBOR (definite-length, no tags/floats; non_minimal_int and non_canonical_order only under Policy.strict_cbor)
    "cbor.empty": "CBOR input is empty",
    "cbor.unexpected_eof": "CBOR input ended inside an item",
    "cbor.truncated": "CBOR length exceeds the remaining input",
    "cbor.trailing_bytes": "bytes follow the CBOR item",
    "cbor.indefinite_length": "indefinite-length CBOR items are not allowed",
    "cbor.non_minimal_int": "CBOR integer or length is not minimally encoded",
    "cbor.duplicate_key": "CBOR map has a duplicate key",
    "cbor.non_canonical_order": "CBOR map keys are not in canonical order",
    "cbor.invalid_key_type": "CBOR map key must be an integer or a text string",
    "cbor.depth_exceeded": "CBOR nesting is too deep",
    "cbor.tag_not_allowed": "CBOR tags are not allowed",
    "cbor.reserved_additional_info": "CBOR item uses a reserved additional-information value",
    "cbor.unexpected_break": "stray CBOR break byte",
    "cbor.invalid_utf8": "CBOR text string is not valid UTF-8",
    "cbor.unsupported_simple": "CBOR simple value or float is not allowed here",
    "cbor.count_exceeded": "CBOR map or array has too many entries",
    "cbor.integer_overflow": "CBOR integer is out of range",
    # --- attestation object (WebAuthn §6.5)
    "attestation_object.not_a_map": "attestation object is not a CBOR map",
    "attestation_object.missing_field": "attestation object lacks fmt, attStmt or authData",
    "attestation_object.field_type": "attestation object field has the wrong type",
    "attestation_object.unknown_field": "attestation object has an unexpected top-level key",
    # --- authenticator data (WebAuthn §6.1)
    "auth_data.too_short": "authenticator data is shorter than 37 bytes",
    "auth_data.attested_data_missing": "AT flag set but attested credential data is missing",
    "auth_data.attested_data_required": "registration authenticator data lacks attested credential data",
    "auth_data.unexpected_attested_data": "assertion authenticator data carries attested credential data",
    "auth_data.leftover_bytes": "bytes left over after authenticator data",
    "auth_data.credential_id_too_long": "credentialId is longer than 1023 bytes",
    "auth_data.credential_id_truncated": "credentialIdLength exceeds the authenticator data",
    "auth_data.extensions_malformed": "authenticator extension data is malformed",
    "auth_data.rp_id_mismatch": "rpIdHash does not match the RP ID",
    "auth_data.user_not_present": "user presence flag is not set",
    "auth_data.user_not_verified": "user verification is required but the UV flag is not set",
    "auth_data.invalid_backup_flags": "backup state set without backup eligibility",
    "auth_data.backup_eligibility_changed": "backup eligibility differs from the stored credential",
    "auth_data.counter_regression": "signature counter did not increase: possible cloned authenticator",
    # --- COSE keys (RFC 9052/9053, WebAuthn §5.8.5)
    "cose.not_a_map": "COSE key is not a CBOR map",
    "cose.missing_parameter": "COSE key lacks a required parameter",
    "cose.invalid_parameter": "COSE key parameter has the wrong type or value",
    "cose.unsupported_key_type": "COSE key type is not supported",
    "cose.unsupported_algorithm": "COSE algorithm is not supported",
    "cose.curve_mismatch": "COSE curve does not match the algorithm",
    "cose.invalid_coordinate": "EC coordinate has the wrong length",
    "cose.compressed_point": "compressed EC points are not allowed",
    "cose.invalid_key": "public key is not valid (off curve, small order or malformed)",
    "cose.weak_key": "RSA key is too small or has an invalid modulus or exponent",
    "cose.key_too_large": "public key exceeds the size limit",
    # --- signatures
    "signature.invalid": "signature does not verify",
    "signature.malformed": "signature encoding is not strict DER / has the wrong length",
    "signature.algorithm_key_mismatch": "algorithm does not match the key type",
    # --- clientDataJSON (WebAuthn §5.8.1, §7.1 steps 5-11, §7.2 steps 10-14)
    "client_data.malformed": "clientDataJSON is not a UTF-8 JSON object",
    "client_data.too_large": "clientDataJSON exceeds the size limit",
    "client_data.duplicate_key": "clientDataJSON has a duplicate key",
    "client_data.type_mismatch": "clientDataJSON type is not the expected ceremony",
    "client_data.challenge_mismatch": "clientDataJSON challenge does not match the issued challenge",
    "client_data.origin_mismatch": "clientDataJSON origin is not an expected origin",
    "client_data.cross_origin": "cross-origin ceremony is not allowed",
    "client_data.top_origin": "topOrigin is not allowed",
    "client_data.token_binding": "tokenBinding member is invalid",
    "client_data.challenge_reused": "challenge was not issued, already used or expired",
    # --- response envelope (PublicKeyCredential JSON)
    "response.malformed": "credential response is not a valid PublicKeyCredential JSON",
    "response.missing_field": "credential response lacks a required field",
    "response.invalid_base64": "field is not valid base64url",
    "response.type": "credential type is not public-key",
    "response.credential_id_mismatch": "credential id, rawId and authenticator data disagree",
    "response.user_handle_mismatch": "userHandle does not match the expected user",
    # --- policy (WebAuthn §7.1 steps 14, 18; relying-party choices)
    "policy.algorithm_not_allowed": "credential algorithm is not allowed by the policy",
    "policy.untrusted": "attestation does not chain to a trust anchor and the policy requires trust",
    "policy.attestation_required": "policy requires attestation but none or self was provided",
    "policy.status_rejected": "authenticator metadata status is rejected by the policy",
    "policy.aaguid_not_allowed": "authenticator AAGUID is not allowed by the policy",
    "policy.invalid": "policy configuration is invalid",
    # --- an organisation's authenticator policy (docs/policy.md)
    "policy.aaguid_blocked": "the authenticator model is blocked by the policy",
    "policy.synced_not_allowed": "the policy allows only device-bound credentials, and this one is backup eligible (synced)",
    "policy.certification_insufficient": "the authenticator's FIDO certification level is below the policy's minimum",
    "policy.certification_unknown": "the policy requires a FIDO certification level, and the authenticator has no metadata entry",
    # --- ceremony state (docs/ceremony.md; what the options asked for)
    "state.malformed": "the ceremony state is not one fastattest issued",
    "state.ceremony_mismatch": "the ceremony state is for the other ceremony (registration vs authentication)",
    "state.rp_mismatch": "the ceremony state was issued for another RP ID",
    "state.expired": "the ceremony state has expired",
    "state.credential_not_allowed": "the credential is not among the options' allowCredentials",
    "state.user_handle_mismatch": "the userHandle or the credential's user is not the expected user",
    "state.user_handle_missing": "a discoverable sign-in response lacks userHandle",
    "state.appid_not_requested": "the client used the AppID extension, which the options did not ask for",
    # --- formats (WebAuthn §8)
    "format.unsupported": "attestation statement format is not supported",
    "format.statement_malformed": "attestation statement is malformed",
    "none.statement_not_empty": "none attestation statement is not empty",
    "packed.missing_field": "packed statement lacks alg or sig",
    "packed.invalid_alg": "packed statement alg is missing, not an integer or not supported",
    "packed.invalid_sig": "packed statement sig is missing, not a byte string or empty",
    "packed.alg_mismatch": "packed self attestation alg differs from the credential alg",
    "packed.signature_invalid": "packed attestation signature does not verify",
    "packed.ecdaa_unsupported": "ECDAA attestation is not supported",
    "fido_u2f.invalid_statement": "fido-u2f statement is malformed",
    "fido_u2f.invalid_certificate": "fido-u2f attestation certificate is not a single P-256 certificate",
    "fido_u2f.invalid_credential_key": "fido-u2f credential key is not an uncompressed P-256 key",
    "fido_u2f.aaguid_not_zero": "fido-u2f authenticator data has a non-zero AAGUID",
    "fido_u2f.signature_invalid": "fido-u2f attestation signature does not verify",
    # --- tpm (WebAuthn L3 §8.3; TPM 2.0 Part 2 structures)
    "tpm.truncated": "TPM structure ends early or a TPM2B size exceeds the remaining bytes",
    "tpm.trailing_bytes": "bytes follow the TPM structure",
    "tpm.size_exceeded": "TPM2B size exceeds the maximum of its type",
    "tpm.invalid_value": "TPM structure field has an invalid value",
    "tpm.unsupported_public_type": "TPM pubArea type is not RSA or ECC",
    "tpm.unsupported_algorithm": "TPM pubArea names an unknown or disallowed algorithm",
    "tpm.unsupported_curve": "TPM pubArea curve has no COSE equivalent",
    "tpm.certinfo_magic": "TPM certInfo magic is not TPM_GENERATED_VALUE",
    "tpm.certinfo_type": "TPM certInfo type is not TPM_ST_ATTEST_CERTIFY",
    "tpm.invalid_version": "tpm statement ver is not \"2.0\"",
    "tpm.missing_field": "tpm statement lacks a required field",
    "tpm.invalid_field": "tpm statement field has the wrong type or is empty",
    "tpm.invalid_alg": "tpm statement alg is not a supported COSE algorithm",
    "tpm.ecdaa_unsupported": "ECDAA attestation is not supported",
    "tpm.pubarea_mismatch": "TPM pubArea key differs from the credential public key",
    "tpm.extra_data_mismatch": "TPM certInfo extraData is not the hash of authData and clientDataHash",
    "tpm.unsupported_name_alg": "TPM pubArea nameAlg is not a supported hash",
    "tpm.name_mismatch": "TPM certInfo attested name is not the name of pubArea",
    "tpm.signature_invalid": "TPM certInfo signature does not verify with the AIK certificate",
    "tpm.aik_subject": "AIK certificate subject is not empty",
    "tpm.aik_san": "AIK certificate subject alternative name does not meet the TPM requirements",
    "tpm.aik_manufacturer": "AIK certificate TPM manufacturer is not a registered TCG vendor",
    "tpm.aik_eku": "AIK certificate lacks the tcg-kp-AIKCertificate extended key usage",
    "android_key.invalid_statement": "android-key statement lacks alg, sig or x5c, or one has the wrong type",
    "android_key.signature_invalid": "android-key attestation signature does not verify",
    "android_key.key_mismatch": "android-key certificate key is not the credential public key",
    "android_key.extension_missing": "android-key certificate lacks the key description extension",
    "android_key.extension_malformed": "android-key key description extension is malformed",
    "android_key.challenge_mismatch": "android-key attestationChallenge is not the clientDataHash",
    "android_key.all_applications": "android-key key is usable by all applications",
    "android_key.origin_not_generated": "android-key key origin is not KM_ORIGIN_GENERATED",
    "android_key.purpose_not_sign": "android-key key purpose does not include KM_PURPOSE_SIGN",
    "apple.invalid_statement": "apple statement lacks x5c or is malformed",
    "apple.nonce_missing": "apple certificate lacks the nonce extension",
    "apple.nonce_malformed": "apple nonce extension is malformed",
    "apple.nonce_mismatch": "apple nonce is not SHA-256(authenticatorData || clientDataHash)",
    "apple.key_mismatch": "apple certificate key is not the credential public key",
    "android_safetynet.invalid_statement": "android-safetynet statement lacks a non-empty ver or response",
    "android_safetynet.jws_malformed": "android-safetynet response is not a valid compact JWS",
    "android_safetynet.bad_algorithm": "android-safetynet JWS algorithm is not allowed",
    "android_safetynet.hostname": "android-safetynet certificate is not issued to attest.android.com",
    "android_safetynet.signature_invalid": "android-safetynet JWS signature does not verify",
    "android_safetynet.nonce_mismatch": "android-safetynet nonce is not base64(SHA-256(authenticatorData || clientDataHash))",
    "android_safetynet.cts_profile": "android-safetynet device integrity check failed (ctsProfileMatch / basicIntegrity)",
    "android_safetynet.timestamp_future": "android-safetynet timestampMs is in the future",
    "android_safetynet.timestamp_stale": "android-safetynet response is too old",
    "compound.invalid_statement": "compound statement is not an array of at least two {fmt, attStmt} maps",
    "compound.nested": "compound statement contains a compound statement",
    "compound.too_many": "compound statement has too many statements",
    # --- certificates (WebAuthn §8.2.1, §8.3.1, ...)
    "certificate.malformed": "certificate is not valid DER X.509",
    "certificate.extension_malformed": "a certificate extension that a check reads could not be decoded (the message names it)",
    "certificate.x5c_invalid": "x5c is not a non-empty array of DER certificates",
    "certificate.too_large": "certificate or chain exceeds the size limit",
    "certificate.version": "attestation certificate is not X.509 version 3",
    "certificate.subject": "attestation certificate subject does not meet the requirements",
    "certificate.basic_constraints": "attestation certificate must not be a CA",
    "certificate.aaguid_mismatch": "certificate AAGUID extension does not match authenticator data",
    "certificate.aaguid_extension": "certificate AAGUID extension is malformed or critical",
    "certificate.key_mismatch": "certificate key does not match the statement algorithm or credential",
    # --- trust path (RFC 5280 path validation to anchors)
    "trust.expired": "a certificate in the chain is expired or not yet valid",
    "trust.chain_invalid": "the certificate chain does not verify",
    "trust.untrusted_root": "the certificate chain does not end at a trust anchor",
    "trust.no_anchors": "no trust anchors are available for this authenticator",
    "trust.constraints": "a CA certificate in the chain violates its constraints",
    "trust.unknown_critical_extension": "a certificate has an unsupported critical extension",
    "trust.path_too_long": "the certificate chain is too long",
    "trust.revoked": "a certificate in the chain is revoked",
    "trust.revocation_unavailable": "revocation of a certificate in the chain cannot be checked",
    "trust.anchor_invalid": "a configured trust anchor is not a valid certificate",
    "trust.weak_crypto": "a certificate on the path uses a weak hash or key",
    # --- metadata (FIDO MDS3)
    "metadata.malformed": "metadata BLOB is malformed",
    "metadata.not_a_blob": "data is not a metadata BLOB",
    "metadata.bad_algorithm": "metadata BLOB JWS algorithm is not allowed",
    "metadata.header_invalid": "metadata BLOB header is invalid",
    "metadata.signature_invalid": "metadata BLOB signature does not verify",
    "metadata.untrusted": "metadata BLOB chain does not end at a pinned root",
    "metadata.revoked": "a certificate of the metadata BLOB chain is revoked",
    "metadata.crl_unavailable": "revocation information for the metadata BLOB chain is unavailable",
    "metadata.stale": "metadata BLOB nextUpdate has passed",
    "metadata.rollback": "metadata BLOB serial number is not greater than the cached one",
    "metadata.fetch_failed": "metadata BLOB could not be downloaded",
    "metadata.unavailable": "no metadata is available",
    "metadata.entry_invalid": "metadata entry is invalid",
    # --- assertions (WebAuthn §7.2)
    "assertion.signature_invalid": "assertion signature does not verify",
    "assertion.credential_not_allowed": "credential is not in allowCredentials",
    "assertion.unknown_credential": "credential is not registered",
    # --- batch
    "batch.record_invalid": "stored record is malformed",
    "batch.worker_failed": "a batch worker process exited unexpectedly",
}
