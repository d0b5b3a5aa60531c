# TPM 2.0 structures used by the `tpm` attestation statement format (WebAuthn L3 §8.3).
#
# Included at the end of _core.pyx: uses its _as_bytes/_fail helpers and cimports.
# TPM 2.0 Library Part 2 ("Structures") is the reference for every layout below; all
# integers are big-endian. Reads go through _TReader (pointer, pos, end); every fixed-size
# read and every TPM2B size is compared against ``end - pos`` before anything is read, every
# TPM2B size is also capped at the maximum of its type (R06), and trailing bytes are refused.

# --- TPM_ALG_ID values (Part 2 §6.3) -------------------------------------------------------
cdef enum:
    _ALG_RSA = 0x0001
    _ALG_SHA1 = 0x0004
    _ALG_AES = 0x0006
    _ALG_MGF1 = 0x0007
    _ALG_KEYEDHASH = 0x0008
    _ALG_SHA256 = 0x000B
    _ALG_SHA384 = 0x000C
    _ALG_SHA512 = 0x000D
    _ALG_NULL = 0x0010
    _ALG_SM3_256 = 0x0012
    _ALG_SM4 = 0x0013
    _ALG_RSASSA = 0x0014
    _ALG_RSAES = 0x0015
    _ALG_RSAPSS = 0x0016
    _ALG_OAEP = 0x0017
    _ALG_ECDSA = 0x0018
    _ALG_ECDH = 0x0019
    _ALG_ECDAA = 0x001A
    _ALG_SM2 = 0x001B
    _ALG_ECSCHNORR = 0x001C
    _ALG_ECMQV = 0x001D
    _ALG_KDF1_SP800_56A = 0x0020
    _ALG_KDF2 = 0x0021
    _ALG_KDF1_SP800_108 = 0x0022
    _ALG_ECC = 0x0023
    _ALG_SYMCIPHER = 0x0025
    _ALG_CAMELLIA = 0x0026
    _ALG_SHA3_256 = 0x0027
    _ALG_SHA3_384 = 0x0028
    _ALG_SHA3_512 = 0x0029
    _ALG_CTR = 0x0040
    _ALG_OFB = 0x0041
    _ALG_CBC = 0x0042
    _ALG_CFB = 0x0043
    _ALG_ECB = 0x0044

# TPM_ST_ATTEST_CERTIFY (Part 2 §6.9)
cdef enum:
    _ST_ATTEST_CERTIFY = 0x8017

# Largest sizes of the TPM2B types (Part 2 §10.4, §11.2.4.5, §11.2.5.2; reference
# implementation limits, rounded up where implementations differ).
cdef enum:
    _MAX_DIGEST = 64                 # TPM2B_DIGEST: sizeof(TPMU_HA), SHA-512
    _MAX_HA = 66                     # TPM2B_DATA: sizeof(TPMT_HA) = 2 + 64
    _MAX_NAME = 66                   # TPM2B_NAME: sizeof(TPMU_NAME) = sizeof(TPMT_HA)
    _MAX_RSA_BYTES = 512             # TPM2B_PUBLIC_KEY_RSA: MAX_RSA_KEY_BYTES (4096-bit)
    _MAX_ECC_BYTES = 128             # TPM2B_ECC_PARAMETER: MAX_ECC_KEY_BYTES (generous)


cdef struct _TReader:
    const unsigned char* p
    Py_ssize_t pos
    Py_ssize_t end


cdef int _t_need(_TReader* r, Py_ssize_t k, str what) except -1:
    # k is at most 8 here or a 16-bit size: no overflow in the comparison
    if k > r.end - r.pos:
        raise VerificationError(
            "tpm.truncated", "%s needs %d bytes at offset %d, %d remain" % (what, k, r.pos, r.end - r.pos))
    return 0


@cython.boundscheck(False)
cdef int _t_u8(_TReader* r, str what, uint32_t* out) except -1:
    _t_need(r, 1, what)
    out[0] = r.p[r.pos]
    r.pos += 1
    return 0


@cython.boundscheck(False)
cdef int _t_u16(_TReader* r, str what, uint32_t* out) except -1:
    _t_need(r, 2, what)
    out[0] = (<uint32_t>r.p[r.pos] << 8) | <uint32_t>r.p[r.pos + 1]
    r.pos += 2
    return 0


@cython.boundscheck(False)
cdef int _t_u32(_TReader* r, str what, uint32_t* out) except -1:
    _t_need(r, 4, what)
    out[0] = ((<uint32_t>r.p[r.pos] << 24) | (<uint32_t>r.p[r.pos + 1] << 16)
              | (<uint32_t>r.p[r.pos + 2] << 8) | <uint32_t>r.p[r.pos + 3])
    r.pos += 4
    return 0


@cython.boundscheck(False)
cdef int _t_u64(_TReader* r, str what, uint64_t* out) except -1:
    cdef uint64_t v = 0
    cdef int i
    _t_need(r, 8, what)
    for i in range(8):
        v = (v << 8) | <uint64_t>r.p[r.pos + i]
    r.pos += 8
    out[0] = v
    return 0


cdef bytes _t_tpm2b(_TReader* r, Py_ssize_t max_size, str what):
    """TPM2B: UINT16 size || size bytes (Part 2 §10.4). Size checked against its type's
    maximum and against the remaining input before the copy."""
    cdef uint32_t size
    cdef bytes out
    _t_u16(r, what + " size", &size)
    if <Py_ssize_t>size > max_size:
        raise VerificationError("tpm.size_exceeded", "%s size %d exceeds its maximum %d" % (what, size, max_size))
    _t_need(r, <Py_ssize_t>size, what)
    out = PyBytes_FromStringAndSize(<char*>(r.p + r.pos), <Py_ssize_t>size)
    r.pos += size
    return out


cdef inline bint _t_is_hash(uint32_t alg):
    # TPMI_ALG_HASH (Part 2 §9.27), without +TPM_ALG_NULL
    return (alg == _ALG_SHA1 or alg == _ALG_SHA256 or alg == _ALG_SHA384 or alg == _ALG_SHA512
            or alg == _ALG_SM3_256 or alg == _ALG_SHA3_256 or alg == _ALG_SHA3_384 or alg == _ALG_SHA3_512)


cdef int _t_hash_detail(_TReader* r, str what, uint32_t* out) except -1:
    """TPMS_SCHEME_HASH / TPMS_SCHEME_KDF: hashAlg (Part 2 §11.1.17, §11.2.3.1)."""
    _t_u16(r, what, out)
    if not _t_is_hash(out[0]):
        raise VerificationError("tpm.unsupported_algorithm", "%s 0x%04x is not a TPM hash algorithm" % (what, out[0]))
    return 0


cdef class TpmPublic:
    """TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4) of an RSA or ECC key."""
    cdef readonly bytes raw
    cdef readonly int type
    cdef readonly int name_alg
    cdef readonly object object_attributes
    cdef readonly bytes auth_policy
    cdef readonly int symmetric
    cdef readonly object symmetric_key_bits
    cdef readonly object symmetric_mode
    cdef readonly int scheme
    cdef readonly object scheme_hash
    cdef readonly object scheme_count
    cdef readonly object key_bits
    cdef readonly object exponent
    cdef readonly object curve_id
    cdef readonly object kdf
    cdef readonly object kdf_hash
    cdef readonly object unique
    cdef readonly object x
    cdef readonly object y

    def __repr__(self) -> str:
        return "TpmPublic(type=0x%04x, name_alg=0x%04x, key_bits=%r, curve_id=%r)" % (
            self.type, self.name_alg, self.key_bits, self.curve_id)


cdef int _t_sym_def_object(_TReader* r, TpmPublic pub) except -1:
    """TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): algorithm, then keyBits and mode unless NULL."""
    cdef uint32_t alg, bits, mode
    _t_u16(r, "symmetric.algorithm", &alg)
    pub.symmetric = alg
    if alg == _ALG_NULL:
        return 0
    if alg != _ALG_AES and alg != _ALG_SM4 and alg != _ALG_CAMELLIA:   # TPMI_ALG_SYM_OBJECT
        raise VerificationError("tpm.unsupported_algorithm", "symmetric algorithm 0x%04x is not allowed for an object" % alg)
    _t_u16(r, "symmetric.keyBits", &bits)
    _t_u16(r, "symmetric.mode", &mode)
    if not (mode == _ALG_NULL or _ALG_CTR <= mode <= _ALG_ECB):           # TPMI_ALG_SYM_MODE
        raise VerificationError("tpm.unsupported_algorithm", "symmetric mode 0x%04x is not a TPM mode" % mode)
    pub.symmetric_key_bits = bits
    pub.symmetric_mode = mode
    return 0


cdef int _t_scheme(_TReader* r, TpmPublic pub, bint rsa) except -1:
    """TPMT_RSA_SCHEME / TPMT_ECC_SCHEME (Part 2 §11.2.4.2, §11.2.5.6) with their details."""
    cdef uint32_t scheme, h, count
    _t_u16(r, "scheme", &scheme)
    pub.scheme = scheme
    if scheme == _ALG_NULL:
        return 0
    if rsa:
        if scheme == _ALG_RSAES:
            return 0                                            # TPMS_ENC_SCHEME_RSAES: empty
        if scheme != _ALG_RSASSA and scheme != _ALG_RSAPSS and scheme != _ALG_OAEP:
            raise VerificationError("tpm.unsupported_algorithm", "RSA scheme 0x%04x is not a TPM RSA scheme" % scheme)
    elif not (scheme == _ALG_ECDSA or scheme == _ALG_ECDH or scheme == _ALG_ECDAA or scheme == _ALG_SM2
              or scheme == _ALG_ECSCHNORR or scheme == _ALG_ECMQV):
        raise VerificationError("tpm.unsupported_algorithm", "ECC scheme 0x%04x is not a TPM ECC scheme" % scheme)
    _t_hash_detail(r, "scheme.hashAlg", &h)
    pub.scheme_hash = h
    if scheme == _ALG_ECDAA:
        _t_u16(r, "scheme.count", &count)                       # TPMS_SCHEME_ECDAA
        pub.scheme_count = count
    return 0


cdef TpmPublic _parse_tpm_public(bytes b):
    cdef _TReader r
    cdef uint32_t v16, v32
    cdef TpmPublic pub = TpmPublic.__new__(TpmPublic)
    r.p = <const unsigned char*>PyBytes_AS_STRING(b)
    r.pos = 0
    r.end = PyBytes_GET_SIZE(b)
    pub.raw = b
    _t_u16(&r, "type", &v16)
    pub.type = v16
    if v16 != _ALG_RSA and v16 != _ALG_ECC:
        # T03: KEYEDHASH / SYMCIPHER objects cannot hold a credential key
        raise VerificationError("tpm.unsupported_public_type", "pubArea type 0x%04x is not RSA or ECC" % v16)
    _t_u16(&r, "nameAlg", &v16)
    pub.name_alg = v16
    _t_u32(&r, "objectAttributes", &v32)
    pub.object_attributes = v32
    pub.auth_policy = _t_tpm2b(&r, _MAX_DIGEST, "authPolicy")
    _t_sym_def_object(&r, pub)
    if pub.type == _ALG_RSA:
        # TPMS_RSA_PARMS (§12.2.3.5): symmetric, scheme, keyBits, exponent
        _t_scheme(&r, pub, True)
        _t_u16(&r, "keyBits", &v16)
        pub.key_bits = v16
        _t_u32(&r, "exponent", &v32)
        pub.exponent = v32
        # TPM2B_PUBLIC_KEY_RSA (§11.2.4.5)
        pub.unique = _t_tpm2b(&r, _MAX_RSA_BYTES, "unique.rsa")
    else:
        # TPMS_ECC_PARMS (§12.2.3.6): symmetric, scheme, curveID, kdf
        _t_scheme(&r, pub, False)
        _t_u16(&r, "curveID", &v16)
        pub.curve_id = v16
        _t_u16(&r, "kdf.scheme", &v16)
        pub.kdf = v16
        if v16 != _ALG_NULL:
            if not (v16 == _ALG_MGF1 or v16 == _ALG_KDF1_SP800_56A or v16 == _ALG_KDF2 or v16 == _ALG_KDF1_SP800_108):
                raise VerificationError("tpm.unsupported_algorithm", "KDF scheme 0x%04x is not a TPM KDF" % v16)
            _t_hash_detail(&r, "kdf.hashAlg", &v32)
            pub.kdf_hash = v32
        # TPMS_ECC_POINT (§11.2.5.2)
        pub.x = _t_tpm2b(&r, _MAX_ECC_BYTES, "unique.x")
        pub.y = _t_tpm2b(&r, _MAX_ECC_BYTES, "unique.y")
    if r.pos != r.end:
        raise VerificationError("tpm.trailing_bytes", "%d bytes follow the pubArea" % (r.end - r.pos))  # T03
    return pub


def parse_tpm_public(data) -> TpmPublic:
    """Parse a TPMT_PUBLIC of type RSA or ECC (TPM 2.0 Part 2 §12.2.4); nothing may follow."""
    return _parse_tpm_public(_as_bytes(data))


cdef class TpmAttest:
    """TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12) carrying TPMS_CERTIFY_INFO (§10.12.3)."""
    cdef readonly bytes raw
    cdef readonly object magic
    cdef readonly int type
    cdef readonly bytes qualified_signer
    cdef readonly bytes extra_data
    cdef readonly object clock
    cdef readonly object reset_count
    cdef readonly object restart_count
    cdef readonly int safe
    cdef readonly object firmware_version
    cdef readonly bytes attested_name
    cdef readonly bytes attested_qualified_name

    def __repr__(self) -> str:
        return "TpmAttest(magic=0x%08x, type=0x%04x, extra_data=%s, attested_name=%s)" % (
            self.magic, self.type, self.extra_data.hex(), self.attested_name.hex())


cdef TpmAttest _parse_tpm_attest(bytes b):
    cdef _TReader r
    cdef uint32_t v
    cdef uint64_t v64
    cdef TpmAttest at = TpmAttest.__new__(TpmAttest)
    r.p = <const unsigned char*>PyBytes_AS_STRING(b)
    r.pos = 0
    r.end = PyBytes_GET_SIZE(b)
    at.raw = b
    _t_u32(&r, "magic", &v)
    at.magic = v                                   # checked by the format verifier (T04)
    _t_u16(&r, "type", &v)
    at.type = v
    if v != _ST_ATTEST_CERTIFY:
        # the attested union depends on type; only TPMS_CERTIFY_INFO is meaningful here (T04)
        raise VerificationError("tpm.certinfo_type", "certInfo type 0x%04x is not TPM_ST_ATTEST_CERTIFY" % v)
    at.qualified_signer = _t_tpm2b(&r, _MAX_NAME, "qualifiedSigner")
    at.extra_data = _t_tpm2b(&r, _MAX_HA, "extraData")
    # TPMS_CLOCK_INFO (§10.11.1)
    _t_u64(&r, "clockInfo.clock", &v64)
    at.clock = v64
    _t_u32(&r, "clockInfo.resetCount", &v)
    at.reset_count = v
    _t_u32(&r, "clockInfo.restartCount", &v)
    at.restart_count = v
    _t_u8(&r, "clockInfo.safe", &v)
    if v > 1:                                      # TPMI_YES_NO
        raise VerificationError("tpm.invalid_value", "clockInfo.safe is %d, not YES or NO" % v)
    at.safe = v
    _t_u64(&r, "firmwareVersion", &v64)
    at.firmware_version = v64
    # TPMS_CERTIFY_INFO (§10.12.3)
    at.attested_name = _t_tpm2b(&r, _MAX_NAME, "attested.name")
    at.attested_qualified_name = _t_tpm2b(&r, _MAX_NAME, "attested.qualifiedName")
    if r.pos != r.end:
        raise VerificationError("tpm.trailing_bytes", "%d bytes follow certInfo" % (r.end - r.pos))  # T06
    return at


def parse_tpm_attest(data) -> TpmAttest:
    """Parse a TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY (TPM 2.0 Part 2 §10.12.12)."""
    return _parse_tpm_attest(_as_bytes(data))
