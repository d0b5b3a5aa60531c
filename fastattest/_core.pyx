# cython: language_level=3
"""Compiled core of fastattest: bytes in, plain values out.

CBOR (RFC 8949): well-formed definite-length items of the types WebAuthn uses, in any map key
order and with integers/lengths in any width (WebAuthn L3 §7.1 step 13 only asks to CBOR-decode);
``strict=True`` instead demands the CTAP2 canonical form (CTAP2 §8 "CTAP2 canonical CBOR
encoding form", RFC 8949 §4.2.1). Also authenticator data (WebAuthn L3 §6.1), COSE_Key field
checks (WebAuthn L3 §5.8.5, RFC 9053), the attestation object envelope (WebAuthn L3 §6.5) and
strict DER ECDSA signature framing (SEC 1 §C.5 Ecdsa-Sig-Value, X.690 §10 DER). No policy, no
I/O, no cryptography objects.

Every rejection is a ``fastattest.errors.VerificationError`` carrying a code from ``CODES``.
All reads go through an explicit (pointer, position, end) triple; every length that comes
from the input is compared against ``end - pos`` *before* it is used, so 64-bit declared
lengths can never overflow the position arithmetic or trigger an allocation.

Helpers other .pxi files (``_tpm.pxi``) may use: ``_as_bytes(data)`` (input type + size cap)
and ``_fail(code, message)`` (raise VerificationError).
"""
cimport cython
from libc.stdint cimport uint64_t, int64_t, uint32_t, INT64_MAX
from libc.string cimport memcmp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE, PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeUTF8

cdef extern from *:
    # PyUnicode_READY: 3.11 may still hold a legacy (not yet canonical) string; a no-op from 3.12
    """
    #if PY_VERSION_HEX < 0x030C0000
    #define FA_UNICODE_READY(o) PyUnicode_READY(o)
    #else
    #define FA_UNICODE_READY(o) 0
    #endif
    """
    int FA_UNICODE_READY(object o) except -1

cdef extern from "Python.h":
    Py_ssize_t PY_SSIZE_T_MAX
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    bint PyUnicode_IS_ASCII(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
from cpython.long cimport PyLong_FromUnsignedLongLong, PyLong_FromLongLong
from cpython.dict cimport PyDict_SetItem, PyDict_Contains

cdef extern from "Python.h":
    Py_ssize_t PyDict_GET_SIZE(object d)

from collections.abc import Mapping

from fastattest.errors import VerificationError

MAX_INPUT = 1 << 20     # 1 MiB: larger inputs are refused before parsing (catalogue R01)
MAX_DEPTH = 16          # default nesting limit for containers (C13)
MAX_ITEMS = 4096        # largest map/array count (R02)

cdef Py_ssize_t _MAX_INPUT = 1 << 20
cdef int _MAX_DEPTH = 16
cdef int _HARD_MAX_DEPTH = 64      # C recursion cap whatever the caller asks for
cdef uint64_t _MAX_ITEMS = 4096

# CBOR major types (RFC 8949 §3.1)
cdef enum:
    _M_UINT = 0
    _M_NINT = 1
    _M_BSTR = 2
    _M_TSTR = 3
    _M_ARRAY = 4
    _M_MAP = 5
    _M_TAG = 6
    _M_SIMPLE = 7


cdef inline object _fail(str code, str message=None):
    """Raise VerificationError(code, message); declared to return object so callers can `raise`."""
    raise VerificationError(code, message)


cdef bytes _as_bytes(object data):
    """Accept bytes, bytearray or memoryview; enforce MAX_INPUT before copying anything."""
    cdef Py_ssize_t n = 0
    if type(data) is bytes:
        if PyBytes_GET_SIZE(<bytes>data) > _MAX_INPUT:
            _fail("input.too_large", "input exceeds %d bytes" % _MAX_INPUT)
        return <bytes>data
    if isinstance(data, bytearray):
        n = len(<bytearray>data)
    elif isinstance(data, memoryview):
        n = (<object>data).nbytes
    elif isinstance(data, bytes):          # bytes subclass
        n = len(data)
    else:
        _fail("input.type", "expected bytes, bytearray or memoryview, got %s" % type(data).__name__)
    if n > _MAX_INPUT:
        _fail("input.too_large", "input exceeds %d bytes" % _MAX_INPUT)
    try:
        return bytes(data)
    except (TypeError, ValueError, BufferError) as exc:   # e.g. a released memoryview
        raise VerificationError("input.type", "unreadable buffer: %s" % exc) from None


cdef int _clamp_depth(object max_depth) except -1:
    if type(max_depth) is not int:
        _fail("input.type", "max_depth must be an int")
    if max_depth < 0:
        return 0
    if max_depth > _HARD_MAX_DEPTH:
        return _HARD_MAX_DEPTH
    return <int>max_depth


# ------------------------------------------------------------------------------------------
# CBOR decoder
# ------------------------------------------------------------------------------------------

cdef struct _Reader:
    const unsigned char* buf
    Py_ssize_t pos
    Py_ssize_t end
    bint strict     # CTAP2 canonical form only: shortest heads, keys in canonical order


cdef object _fail_at(str code, _Reader* r, str what):
    raise VerificationError(code, "%s at offset %d" % (what, r.pos))


@cython.boundscheck(False)
cdef int _head(_Reader* r, int* major, uint64_t* arg) except -1:
    """Read one initial byte plus its argument (RFC 8949 §3). Refuses indefinite lengths,
    tags, reserved additional information and every simple value except false/true/null.
    In strict mode the argument must also be minimally encoded (RFC 8949 §4.2.1 preferred
    serialization / CTAP2 canonical); otherwise any width is read for its value.
    For major type 7 the simple value (20/21/22) is returned in ``arg``."""
    cdef unsigned char ib
    cdef int ai, mt, nb, i
    cdef uint64_t v
    if r.pos >= r.end:
        _fail_at("cbor.unexpected_eof", r, "input ended where an item was expected")
    ib = r.buf[r.pos]
    mt = ib >> 5
    ai = ib & 0x1f
    if mt == _M_TAG:
        # C14/C15: refuse on the first tag byte, without looking at (or recursing into) content
        _fail_at("cbor.tag_not_allowed", r, "CBOR tag")
    if mt == _M_SIMPLE:
        if ai == 20 or ai == 21 or ai == 22:
            r.pos += 1
            major[0] = mt
            arg[0] = ai
            return 0
        if ai == 31:
            _fail_at("cbor.unexpected_break", r, "stray break byte")
        if 28 <= ai <= 30:
            _fail_at("cbor.reserved_additional_info", r, "reserved additional information")
        # undefined (23), other simple values (0-19, 24), half/single/double floats (25-27)
        _fail_at("cbor.unsupported_simple", r, "float, undefined or simple value 0x%02x" % ib)
    if ai < 24:
        r.pos += 1
        major[0] = mt
        arg[0] = ai
        return 0
    if ai == 31:
        if mt == _M_BSTR or mt == _M_TSTR or mt == _M_ARRAY or mt == _M_MAP:
            _fail_at("cbor.indefinite_length", r, "indefinite-length item")
        _fail_at("cbor.reserved_additional_info", r, "additional information 31 on an integer")
    if ai > 27:
        _fail_at("cbor.reserved_additional_info", r, "reserved additional information")
    nb = 1 << (ai - 24)                       # 1, 2, 4 or 8 argument bytes
    if nb > r.end - r.pos - 1:
        _fail_at("cbor.unexpected_eof", r, "input ended inside an item head")
    v = 0
    for i in range(1, nb + 1):                # bounds proven just above
        v = (v << 8) | r.buf[r.pos + i]
    # strict: the argument must not fit in a shorter form (C11); the value is the same either way
    if r.strict and ((ai == 24 and v < 24) or (ai == 25 and v <= 0xff) or (ai == 26 and v <= 0xffff)
                     or (ai == 27 and v <= 0xffffffffULL)):
        _fail_at("cbor.non_minimal_int", r, "non-minimal integer or length")
    r.pos += 1 + nb
    major[0] = mt
    arg[0] = v
    return 0


# Text strings every attestation object repeats (its keys, the attStmt keys WebAuthn L3 §8 defines,
# the formats' names, a TPM statement's "2.0"): decoded to one shared str each, not a new object
# (UTF-8 decoding, an allocation, a hash on insertion) per occurrence. Indexed by UTF-8 length.
_KNOWN_TEXT_LIST = ("fmt", "attStmt", "authData", "alg", "sig", "x5c", "ver", "certInfo", "pubArea",
                    "response", "ecdaaKeyId", "packed", "tpm", "none", "fido-u2f", "android-key",
                    "android-safetynet", "apple", "compound", "2.0")
cdef Py_ssize_t _KNOWN_TEXT_MAX = 0
cdef list _KNOWN_TEXT = []  # [n] -> tuple of (utf-8 bytes, str) of length n
for _t in _KNOWN_TEXT_LIST:
    _KNOWN_TEXT_MAX = max(_KNOWN_TEXT_MAX, len(_t.encode()))
_KNOWN_TEXT = [tuple((_t.encode(), _t) for _t in _KNOWN_TEXT_LIST if len(_t.encode()) == _n)
               for _n in range(_KNOWN_TEXT_MAX + 1)]
del _t


cdef object _decode_text(_Reader* r, Py_ssize_t n):
    """A text string of ``n`` bytes at r.pos (the caller checked n against the remaining input)."""
    cdef object s
    cdef bytes kb
    cdef tuple pair
    if 0 < n <= _KNOWN_TEXT_MAX:
        for pair in <tuple>_KNOWN_TEXT[n]:
            kb = <bytes>pair[0]  # exactly n bytes long
            if memcmp(PyBytes_AS_STRING(kb), r.buf + r.pos, <size_t>n) == 0:
                r.pos += n
                return pair[1]
    try:
        s = PyUnicode_DecodeUTF8(<char*>(r.buf + r.pos), n, "strict")
    except UnicodeDecodeError:
        # C17: Python's strict codec rejects overlong forms, surrogates and > U+10FFFF
        _fail_at("cbor.invalid_utf8", r, "invalid UTF-8 in text string")
    r.pos += n
    return s


cdef object _decode_item(_Reader* r, int depth, int max_depth):
    """Decode one item at r.pos (recursive; ``depth`` counts enclosing containers)."""
    cdef int mt
    cdef uint64_t arg
    cdef Py_ssize_t start = r.pos
    cdef Py_ssize_t n, i
    cdef list lst
    _head(r, &mt, &arg)
    if mt == _M_UINT:
        return PyLong_FromUnsignedLongLong(arg)
    if mt == _M_NINT:
        # value is -1 - arg; arg may be up to 2^64-1, so -2^64 is the smallest value
        if arg <= <uint64_t>INT64_MAX:
            return PyLong_FromLongLong(-1 - <int64_t>arg)
        return -1 - PyLong_FromUnsignedLongLong(arg)
    if mt == _M_BSTR or mt == _M_TSTR:
        # C03/C04: compare against the remaining input before touching/allocating anything
        if arg > <uint64_t>(r.end - r.pos):
            r.pos = start
            _fail_at("cbor.truncated", r, "string length %d exceeds the remaining input" % arg)
        n = <Py_ssize_t>arg
        if mt == _M_TSTR:
            return _decode_text(r, n)
        r.pos += n
        return PyBytes_FromStringAndSize(<char*>(r.buf + r.pos - n), n)
    if mt == _M_ARRAY or mt == _M_MAP:
        # C22: every array entry takes >= 1 byte, every map entry >= 2 bytes
        if arg > <uint64_t>(r.end - r.pos) or (mt == _M_MAP and arg > <uint64_t>((r.end - r.pos) // 2)):
            r.pos = start
            _fail_at("cbor.truncated", r, "count %d exceeds the remaining input" % arg)
        if arg > _MAX_ITEMS:
            r.pos = start
            _fail_at("cbor.count_exceeded", r, "count %d exceeds %d" % (arg, _MAX_ITEMS))
        if depth >= max_depth:
            r.pos = start
            _fail_at("cbor.depth_exceeded", r, "nesting deeper than %d" % max_depth)
        n = <Py_ssize_t>arg
        if mt == _M_ARRAY:
            lst = []
            for i in range(n):
                lst.append(_decode_item(r, depth + 1, max_depth))
            return lst
        return _decode_map(r, n, depth + 1, max_depth)
    # major type 7: false / true / null only (anything else was refused in _head)
    if arg == 20:
        return False
    if arg == 21:
        return True
    return None


@cython.boundscheck(False)
cdef dict _decode_map(_Reader* r, Py_ssize_t n, int depth, int max_depth):
    """Map body: keys int or text only (C09/C10), no duplicate keys (C07/C08: compared as decoded
    values, so 1 as ``01`` and as ``18 01`` are the same key). Strict mode also demands CTAP2
    canonical order: encoded key bytes compared length-first then bytewise (C12)."""
    cdef dict d = {}
    cdef Py_ssize_t i, kstart, klen
    cdef Py_ssize_t pstart = 0, plen = 0
    cdef unsigned char kb
    cdef int kmt, c
    cdef object key, value
    for i in range(n):
        if r.pos >= r.end:
            _fail_at("cbor.unexpected_eof", r, "input ended inside a map")
        kb = r.buf[r.pos]
        kmt = kb >> 5
        if kmt != _M_UINT and kmt != _M_NINT and kmt != _M_TSTR:
            if kmt == _M_TAG:
                _fail_at("cbor.tag_not_allowed", r, "CBOR tag")
            if kb == 0xff:
                _fail_at("cbor.unexpected_break", r, "stray break byte")
            _fail_at("cbor.invalid_key_type", r, "map key must be an integer or text string")
        kstart = r.pos
        key = _decode_item(r, depth, max_depth)
        klen = r.pos - kstart
        if r.strict and i > 0:
            if klen != plen:
                c = -1 if plen < klen else 1
            else:
                c = memcmp(r.buf + pstart, r.buf + kstart, <size_t>klen)
            if c >= 0:
                r.pos = kstart
                if c == 0 or PyDict_Contains(d, key):
                    _fail_at("cbor.duplicate_key", r, "duplicate map key %r" % (key,))
                _fail_at("cbor.non_canonical_order", r, "map keys out of canonical order")
        pstart = kstart
        plen = klen
        value = _decode_item(r, depth, max_depth)
        PyDict_SetItem(d, key, value)
        if PyDict_GET_SIZE(d) != i + 1:
            # the key was already there (any order, any head width): RFC 8949 §5.6 invalid map
            r.pos = kstart
            _fail_at("cbor.duplicate_key", r, "duplicate map key %r" % (key,))
    return d


cdef object _decode_prefix(bytes b, Py_ssize_t offset, int max_depth, bint strict, Py_ssize_t* end_out):
    cdef _Reader r
    r.buf = <const unsigned char*>PyBytes_AS_STRING(b)
    r.pos = offset
    r.end = PyBytes_GET_SIZE(b)
    r.strict = strict
    value = _decode_item(&r, 0, max_depth)
    end_out[0] = r.pos
    return value


def cbor_decode(data, max_depth=MAX_DEPTH, bint strict=False):
    """Decode exactly one CBOR item; trailing bytes are an error (C05). ``strict``: refuse
    anything but the CTAP2 canonical form (``cbor.non_minimal_int``, ``cbor.non_canonical_order``)."""
    return _cbor_decode(_as_bytes(data), _clamp_depth(max_depth), strict)


cdef object _cbor_decode(bytes b, int md, bint strict):
    cdef Py_ssize_t end
    if PyBytes_GET_SIZE(b) == 0:
        _fail("cbor.empty", "CBOR input is empty")
    value = _decode_prefix(b, 0, md, strict, &end)
    if end != PyBytes_GET_SIZE(b):
        _fail("cbor.trailing_bytes", "%d bytes follow the CBOR item" % (PyBytes_GET_SIZE(b) - end))
    return value


def cbor_decode_prefix(data, offset=0, max_depth=MAX_DEPTH, bint strict=False):
    """Decode one item starting at ``offset``; return (value, end offset). No trailing check."""
    cdef bytes b = _as_bytes(data)
    cdef int md = _clamp_depth(max_depth)
    cdef Py_ssize_t end
    if type(offset) is not int or offset < 0 or offset > PyBytes_GET_SIZE(b):
        _fail("input.type", "offset must be an int within the input")
    if PyBytes_GET_SIZE(b) == 0:
        _fail("cbor.empty", "CBOR input is empty")
    value = _decode_prefix(b, <Py_ssize_t>offset, md, strict, &end)
    return value, end


# ------------------------------------------------------------------------------------------
# Authenticator data (WebAuthn L3 §6.1, §6.5.1 attested credential data)
# ------------------------------------------------------------------------------------------

cdef class AuthenticatorData:
    """Parsed authenticator data. Structure only: policy checks live in the Python layer."""
    cdef readonly bytes raw
    cdef readonly bytes rp_id_hash
    cdef readonly int flags
    cdef readonly bint user_present
    cdef readonly bint user_verified
    cdef readonly bint backup_eligible
    cdef readonly bint backed_up
    cdef readonly bint has_attested_data
    cdef readonly bint has_extensions
    cdef readonly object sign_count
    cdef readonly object aaguid
    cdef readonly object credential_id
    cdef readonly object credential_public_key
    cdef readonly object extensions

    def __repr__(self) -> str:
        return ("AuthenticatorData(flags=0x%02x, sign_count=%d, aaguid=%s, credential_id=%s, "
                "extensions=%r)" % (self.flags, self.sign_count,
                                    None if self.aaguid is None else self.aaguid.hex(),
                                    None if self.credential_id is None else self.credential_id.hex(),
                                    self.extensions))


@cython.boundscheck(False)
cdef AuthenticatorData _parse_auth_data(bytes b, bint strict):
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(b)
    cdef Py_ssize_t pos, cred_len, kstart
    cdef unsigned char fl
    cdef uint32_t count
    cdef _Reader r
    cdef AuthenticatorData ad
    if n < 37:
        # D01 / C20: rpIdHash(32) || flags(1) || signCount(4)
        _fail("auth_data.too_short", "authenticator data is %d bytes, at least 37 required" % n)
    ad = AuthenticatorData.__new__(AuthenticatorData)
    ad.raw = b
    ad.rp_id_hash = PyBytes_FromStringAndSize(<char*>p, 32)
    fl = p[32]
    ad.flags = fl
    ad.user_present = (fl & 0x01) != 0      # UP bit 0
    ad.user_verified = (fl & 0x04) != 0     # UV bit 2
    ad.backup_eligible = (fl & 0x08) != 0   # BE bit 3
    ad.backed_up = (fl & 0x10) != 0         # BS bit 4
    ad.has_attested_data = (fl & 0x40) != 0 # AT bit 6
    ad.has_extensions = (fl & 0x80) != 0    # ED bit 7
    count = (<uint32_t>p[33] << 24) | (<uint32_t>p[34] << 16) | (<uint32_t>p[35] << 8) | <uint32_t>p[36]
    ad.sign_count = count
    ad.aaguid = None
    ad.credential_id = None
    ad.credential_public_key = None
    ad.extensions = None
    pos = 37
    r.buf = p
    r.end = n
    r.strict = strict
    if fl & 0x40:
        # attested credential data: aaguid(16) || credentialIdLength(2, BE) || credentialId || COSE_Key
        if n - pos < 18:
            _fail("auth_data.attested_data_missing",
                  "AT flag set but attested credential data is missing or cut short")  # D02
        ad.aaguid = PyBytes_FromStringAndSize(<char*>(p + pos), 16)
        cred_len = (<Py_ssize_t>p[pos + 16] << 8) | <Py_ssize_t>p[pos + 17]
        pos += 18
        if cred_len > n - pos:
            _fail("auth_data.credential_id_truncated",
                  "credentialIdLength %d exceeds the %d remaining bytes" % (cred_len, n - pos))  # D08
        if cred_len > 1023:
            _fail("auth_data.credential_id_too_long",
                  "credentialIdLength %d exceeds 1023" % cred_len)  # D09, WebAuthn §7.1 step 19
        ad.credential_id = PyBytes_FromStringAndSize(<char*>(p + pos), cred_len)
        pos += cred_len
        if pos >= n:
            _fail("auth_data.attested_data_missing", "credential public key is missing")
        kstart = pos
        r.pos = pos
        key = _decode_item(&r, 0, _MAX_DEPTH)
        if type(key) is not dict:
            _fail("cose.not_a_map", "credential public key is not a CBOR map")
        pos = r.pos
        ad.credential_public_key = PyBytes_FromStringAndSize(<char*>(p + kstart), pos - kstart)
    if fl & 0x80:
        # extensions: one CBOR map (WebAuthn §9 / §6.1)
        if pos >= n:
            _fail("auth_data.extensions_malformed", "ED flag set but extension data is missing")
        if (p[pos] >> 5) != _M_MAP:
            _fail("auth_data.extensions_malformed", "extension data is not a CBOR map")
        r.pos = pos
        ad.extensions = _decode_item(&r, 0, _MAX_DEPTH)
        pos = r.pos
    if pos != n:
        # D03 / D06 / D07: nothing may follow the last declared part
        _fail("auth_data.leftover_bytes", "%d bytes left over after authenticator data" % (n - pos))
    return ad


def parse_authenticator_data(data, bint strict=False) -> AuthenticatorData:
    """Parse authenticator data (WebAuthn L3 §6.1). Structure only; no policy checks.
    ``strict``: the COSE key and extensions must be CTAP2 canonical CBOR."""
    return _parse_auth_data(_as_bytes(data), strict)


# ------------------------------------------------------------------------------------------
# COSE keys (WebAuthn L3 §5.8.5, RFC 9052 §7, RFC 9053, RFC 8230, draft-ietf-jose-fully-specified,
# draft-ietf-cose-dilithium)
# ------------------------------------------------------------------------------------------

include "_ec.pxi"

# EC2 alg -> required crv; crv -> coordinate length
cdef dict _EC2_ALG_CRV = {-7: 1, -9: 1, -35: 2, -51: 2, -36: 3, -52: 3}
cdef dict _EC2_COORD = {1: 32, 2: 48, 3: 66}
# OKP alg -> allowed crvs; crv -> x length
cdef dict _OKP_ALG_CRV = {-8: (6, 7), -19: (6,), -53: (7,)}
cdef dict _OKP_X = {6: 32, 7: 57}
cdef frozenset _RSA_ALGS = frozenset((-257, -258, -259, -65535, -37, -38, -39))
cdef dict _AKP_PUB = {-48: 1312, -49: 1952, -50: 2592}

cdef class CoseKey:
    """Validated COSE_Key fields; an EC2 point is on its curve (_ec.pxi)."""
    cdef readonly object raw
    cdef readonly int kty
    cdef readonly int alg
    cdef readonly object crv
    cdef readonly object x
    cdef readonly object y
    cdef readonly object n
    cdef readonly object e
    cdef readonly object pub

    def __repr__(self) -> str:
        return "CoseKey(kty=%d, alg=%d, crv=%r)" % (self.kty, self.alg, self.crv)


cdef object _cose_int(dict m, object label, str name):
    v = m.get(label)
    if v is None:
        _fail("cose.missing_parameter", "COSE key lacks %s" % name)   # D16
    if type(v) is not int:
        _fail("cose.invalid_parameter", "COSE %s must be an integer" % name)
    return v


cdef bytes _cose_bytes(dict m, object label, str name):
    v = m.get(label)
    if v is None:
        _fail("cose.missing_parameter", "COSE key lacks %s" % name)   # D16
    if type(v) is not bytes:
        _fail("cose.invalid_parameter", "COSE %s must be a byte string" % name)
    return <bytes>v


cdef CoseKey _parse_cose(dict m, object raw):
    cdef CoseKey k
    cdef bytes x, y, nb, eb, pub
    cdef Py_ssize_t ln, bits
    cdef const unsigned char* q
    cdef unsigned char top
    kty = _cose_int(m, 1, "kty (1)")
    if kty != 1 and kty != 2 and kty != 3 and kty != 7:
        _fail("cose.unsupported_key_type", "COSE key type %r is not supported" % (kty,))  # D24
    alg = _cose_int(m, 3, "alg (3)")
    k = CoseKey.__new__(CoseKey)
    k.raw = raw
    k.crv = k.x = k.y = k.n = k.e = k.pub = None
    if kty == 2:
        # EC2: WebAuthn §5.8.5 binds ES256/384/512 to P-256/384/521; no compressed points
        want = _EC2_ALG_CRV.get(alg)
        if want is None:
            _fail("cose.unsupported_algorithm", "algorithm %d is not supported for EC2 keys" % alg)
        crv = _cose_int(m, -1, "crv (-1)")
        if crv != want:
            _fail("cose.curve_mismatch", "curve %d does not match algorithm %d" % (crv, alg))  # D18
        ln = _EC2_COORD[crv]
        x = _cose_bytes(m, -2, "x (-2)")
        yv = m.get(-3)
        if yv is None:
            _fail("cose.missing_parameter", "COSE key lacks y (-3)")
        if yv is True or yv is False:
            _fail("cose.compressed_point", "compressed EC points are not allowed")  # D21
        if type(yv) is not bytes:
            _fail("cose.invalid_parameter", "COSE y must be a byte string")
        y = <bytes>yv
        if PyBytes_GET_SIZE(x) != ln or PyBytes_GET_SIZE(y) != ln:
            _fail("cose.invalid_coordinate",
                  "EC coordinates must be %d bytes, got %d and %d"
                  % (ln, PyBytes_GET_SIZE(x), PyBytes_GET_SIZE(y)))  # D19
        if not _ec_on_curve(crv, x, y):
            _fail("cose.invalid_key", "invalid public key: the EC point is not on the curve")  # D20, _ec.pxi
        k.crv = crv
        k.x = x
        k.y = y
    elif kty == 1:
        # OKP (RFC 8037 / RFC 9053 §7.2): Ed25519 / Ed448
        allowed = _OKP_ALG_CRV.get(alg)
        if allowed is None:
            _fail("cose.unsupported_algorithm", "algorithm %d is not supported for OKP keys" % alg)
        crv = _cose_int(m, -1, "crv (-1)")
        if crv not in allowed:
            _fail("cose.curve_mismatch", "curve %d does not match algorithm %d" % (crv, alg))  # D18
        x = _cose_bytes(m, -2, "x (-2)")
        if PyBytes_GET_SIZE(x) != _OKP_X[crv]:
            _fail("cose.invalid_coordinate",
                  "OKP x must be %d bytes, got %d" % (_OKP_X[crv], PyBytes_GET_SIZE(x)))  # D22
        k.crv = crv
        k.x = x
    elif kty == 3:
        # RSA (RFC 8230 §4): n (-1), e (-2) as unsigned big-endian byte strings
        if alg not in _RSA_ALGS:
            _fail("cose.unsupported_algorithm", "algorithm %d is not supported for RSA keys" % alg)
        nb = _cose_bytes(m, -1, "n (-1)")
        eb = _cose_bytes(m, -2, "e (-2)")
        ln = PyBytes_GET_SIZE(nb)
        q = <const unsigned char*>PyBytes_AS_STRING(nb)
        if ln == 0 or q[0] == 0:
            _fail("cose.invalid_parameter", "RSA modulus is empty or has a leading zero byte")
        if ln > 16384 // 8:
            _fail("cose.key_too_large", "RSA modulus larger than 16384 bits")  # R03
        top = q[0]
        bits = (ln - 1) * 8
        while top:
            bits += 1
            top >>= 1
        if bits < 2048:
            _fail("cose.weak_key", "RSA modulus is %d bits, at least 2048 required" % bits)  # D23
        if (q[ln - 1] & 1) == 0:
            _fail("cose.weak_key", "RSA modulus is even")  # D23
        ln = PyBytes_GET_SIZE(eb)
        q = <const unsigned char*>PyBytes_AS_STRING(eb)
        if ln == 0 or q[0] == 0:
            _fail("cose.invalid_parameter", "RSA exponent is empty or has a leading zero byte")
        if ln > 32:
            _fail("cose.weak_key", "RSA exponent exceeds 2^256")  # D23
        if (q[ln - 1] & 1) == 0 or (ln == 1 and q[0] < 3):
            _fail("cose.weak_key", "RSA exponent must be odd and at least 3")  # D23
        k.n = nb
        k.e = eb
    else:
        # AKP (draft-ietf-cose-dilithium): ML-DSA public key in label -1
        want = _AKP_PUB.get(alg)
        if want is None:
            _fail("cose.unsupported_algorithm", "algorithm %d is not supported for AKP keys" % alg)
        pub = _cose_bytes(m, -1, "pub (-1)")
        if PyBytes_GET_SIZE(pub) != want:
            _fail("cose.invalid_key", "ML-DSA public key must be %d bytes" % want)
        k.pub = pub
    k.kty = kty
    k.alg = alg
    return k


def parse_cose_key(data, bint strict=False) -> CoseKey:
    """Validate a COSE_Key: kty/alg/crv bound together, coordinate lengths, EC2 points on
    their curve, RSA size caps. Bytes are decoded in any key order unless ``strict``; ``raw``
    keeps them exactly as given."""
    cdef bytes b
    if type(data) is dict:
        for key in <dict>data:
            if type(key) is not int and type(key) is not str:
                _fail("cose.invalid_parameter", "COSE labels must be integers or text strings")
        return _parse_cose(<dict>data, None)
    b = _as_bytes(data)
    if PyBytes_GET_SIZE(b) == 0:
        _fail("cbor.empty", "CBOR input is empty")
    m = _cbor_decode(b, _MAX_DEPTH, strict)
    if type(m) is not dict:
        _fail("cose.not_a_map", "COSE key is not a CBOR map")
    return _parse_cose(<dict>m, b)


# ------------------------------------------------------------------------------------------
# Attestation object (WebAuthn L3 §6.5.4)
# ------------------------------------------------------------------------------------------

cdef object _MISSING = object()


cdef class AttestationObject:
    cdef readonly str fmt
    cdef readonly object att_stmt  # dict; a list for fmt "compound"
    cdef readonly bytes auth_data_raw
    cdef readonly AuthenticatorData auth_data

    def __repr__(self) -> str:
        return "AttestationObject(fmt=%r, auth_data=%r)" % (self.fmt, self.auth_data)


def parse_attestation_object(data, bint strict=False) -> AttestationObject:
    """Decode {"fmt": tstr, "attStmt": map (array for compound), "authData": bstr} and parse authData.

    Keys in any order, heads of any width (WebAuthn L3 §7.1 step 13: CBOR-decode); ``strict``
    (Policy.strict_cbor) demands CTAP2 canonical CBOR here and inside authData.
    Policy (catalogue C23): any other top-level key is rejected."""
    cdef AttestationObject ao
    top = _cbor_decode(_as_bytes(data), _MAX_DEPTH, strict)
    if type(top) is not dict:
        _fail("attestation_object.not_a_map", "attestation object is not a CBOR map")  # C18
    d = <dict>top
    fmt = d.get("fmt", _MISSING)
    att_stmt = d.get("attStmt", _MISSING)
    auth_data = d.get("authData", _MISSING)
    if fmt is _MISSING or att_stmt is _MISSING or auth_data is _MISSING:
        missing = [k for k in ("fmt", "attStmt", "authData") if k not in d]
        _fail("attestation_object.missing_field", "attestation object lacks %s" % ", ".join(missing))
    if type(fmt) is not str:
        _fail("attestation_object.field_type", "fmt must be a text string")  # C19
    if type(att_stmt) is not dict and not (fmt == "compound" and type(att_stmt) is list):
        # WebAuthn L3 §8.9: only the compound format's statement is an array of statements
        _fail("attestation_object.field_type", "attStmt must be a map")
    if type(auth_data) is not bytes:
        _fail("attestation_object.field_type", "authData must be a byte string")
    if len(d) != 3:
        for k in d:
            if k != "fmt" and k != "attStmt" and k != "authData":
                _fail("attestation_object.unknown_field", "unexpected top-level key %r" % (k,))  # C23
    ao = AttestationObject.__new__(AttestationObject)
    ao.fmt = fmt
    ao.att_stmt = att_stmt
    ao.auth_data_raw = auth_data
    ao.auth_data = _parse_auth_data(auth_data, strict)
    return ao


# ------------------------------------------------------------------------------------------
# DER Ecdsa-Sig-Value (SEC 1 §C.5; X.690 §8.3, §10.1 definite minimal lengths)
# ------------------------------------------------------------------------------------------

@cython.boundscheck(False)
cdef Py_ssize_t _der_len(const unsigned char* p, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t* out) except -2:
    """Read a DER length at pos; return the new position. Short form, or minimal long form
    with 1 or 2 length bytes. Returns -1 on any violation."""
    cdef unsigned char b
    cdef Py_ssize_t v
    if pos >= end:
        return -1
    b = p[pos]
    if b < 0x80:
        out[0] = b
        return pos + 1
    if b == 0x81:
        if end - pos < 2 or p[pos + 1] < 0x80:
            return -1
        out[0] = p[pos + 1]
        return pos + 2
    if b == 0x82:
        if end - pos < 3:
            return -1
        v = (<Py_ssize_t>p[pos + 1] << 8) | p[pos + 2]
        if v < 0x100:
            return -1
        out[0] = v
        return pos + 3
    return -1


@cython.boundscheck(False)
cdef Py_ssize_t _der_int(const unsigned char* p, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t max_len) except -2:
    """Check one minimal, positive, non-zero INTEGER; return the position after it or -1."""
    cdef Py_ssize_t ln, eff
    if pos >= end or p[pos] != 0x02:
        return -1
    pos = _der_len(p, pos + 1, end, &ln)
    if pos < 0 or ln < 1 or ln > end - pos:
        return -1
    if p[pos] & 0x80:
        return -1                                  # negative
    eff = ln
    if p[pos] == 0:
        if ln == 1:
            return -1                              # zero (P13)
        if (p[pos + 1] & 0x80) == 0:
            return -1                              # superfluous leading zero
        eff = ln - 1
    if eff > max_len:
        return -1
    return pos + ln


def check_ecdsa_der(sig, max_int_len) -> None:
    """Strict DER Ecdsa-Sig-Value: SEQUENCE of two minimal positive INTEGERs, nothing else."""
    cdef bytes b = _as_bytes(sig)
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(b)
    cdef Py_ssize_t pos, ln, mx
    if type(max_int_len) is not int or max_int_len < 1 or max_int_len > 1024:
        _fail("input.type", "max_int_len must be an int in 1..1024")
    mx = <Py_ssize_t>max_int_len
    if n < 8 or p[0] != 0x30:
        _fail("signature.malformed", "ECDSA signature is not a DER SEQUENCE")
    pos = _der_len(p, 1, n, &ln)
    if pos < 0 or ln != n - pos:
        _fail("signature.malformed", "ECDSA signature SEQUENCE length is wrong or not minimal")
    pos = _der_int(p, pos, n, mx)
    if pos < 0:
        _fail("signature.malformed", "ECDSA r is not a minimal positive INTEGER of the right size")
    pos = _der_int(p, pos, n, mx)
    if pos < 0:
        _fail("signature.malformed", "ECDSA s is not a minimal positive INTEGER of the right size")
    if pos != n:
        _fail("signature.malformed", "bytes follow the ECDSA signature INTEGERs")  # P12



# ------------------------------------------------------------------------------------------
# base64url / base64 (RFC 4648 §5 and §4) for the JSON envelope: either alphabet, padding
# optional, nothing else (no whitespace inside, no characters outside the alphabets)
# ------------------------------------------------------------------------------------------
# Four lookup tables, one per position in a quad, give each character's 6 bits already shifted
# into place, so a quad decodes with four loads and three ORs; a bad character sets bit 24 and
# a standard-alphabet one ('+', '/') bit 25, ORed into one accumulator tested once at the end
# (modp_b64's scheme). Four quads per step, each pair written with one 8-byte store: ~0.23 ns a
# character here, where a bit-at-a-time loop takes several times that.
cdef uint32_t _B64_BAD = 0x01000000
cdef uint32_t _B64_STD = 0x02000000
cdef uint32_t _D0[256]
cdef uint32_t _D1[256]
cdef uint32_t _D2[256]
cdef uint32_t _D3[256]
cdef int _i
for _i in range(256):
    _D0[_i] = _D1[_i] = _D2[_i] = _D3[_i] = _B64_BAD
cdef const unsigned char* _ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


cdef void _b64_set(int c, uint32_t v, uint32_t flag):
    _D0[c] = (v << 18) | flag
    _D1[c] = (v << 12) | flag
    _D2[c] = (v << 6) | flag
    _D3[c] = v | flag


for _i in range(62):
    _b64_set(_ALPHABET[_i], _i, 0)
_b64_set(43, 62, _B64_STD)  # '+'
_b64_set(47, 63, _B64_STD)  # '/'
_b64_set(45, 62, 0)  # '-'
_b64_set(95, 63, 0)  # '_'


cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    /* 6 decoded bytes (two quads, x then y, 24 bits each; the flag bits above them shift out
       of x and are masked off y: a standard-alphabet flag is no error in b64decode) written
       most significant first with one 8-byte store; the 2 bytes past them are scratch,
       overwritten by the next store. A byte swap and memcpy on hosts known little-endian
       (gcc does not fuse the byte-by-byte form: ~1.6x slower); byte by byte elsewhere
       (FA_B64_PORTABLE forces that form, to test it). */
    #if !defined(FA_B64_PORTABLE) && defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86) || defined(_M_ARM64))
    #include <stdlib.h>
    #define FA_B64_BSWAP64(v) _byteswap_uint64(v)
    #elif !defined(FA_B64_PORTABLE) && (defined(__GNUC__) || defined(__clang__)) && \
          defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define FA_B64_BSWAP64(v) __builtin_bswap64(v)
    #endif
    static inline void fa_b64_store6(unsigned char* o, uint32_t x, uint32_t y) {
        uint64_t v = ((uint64_t)x << 40) | ((uint64_t)(y & 0xFFFFFFu) << 16);
    #ifdef FA_B64_BSWAP64
        v = FA_B64_BSWAP64(v);
        memcpy(o, &v, 8);
    #else
        o[0] = (unsigned char)(v >> 56); o[1] = (unsigned char)(v >> 48); o[2] = (unsigned char)(v >> 40);
        o[3] = (unsigned char)(v >> 32); o[4] = (unsigned char)(v >> 24); o[5] = (unsigned char)(v >> 16);
        o[6] = 0; o[7] = 0;
    #endif
    }
    """
    void fa_b64_store6(unsigned char* o, uint32_t x, uint32_t y) nogil


cdef extern from *:
    """
    /* 16 base64 characters to 12 bytes with SSSE3 on x86 (gcc/clang, chosen at import): the
       URL-safe alphabet only, or (std_ok) either alphabet. Each character's class is its high
       nibble (1: 0x2_, '-' and, with std_ok, '+' and '/'; 2: 0x3_, digits; 4: 0x4_ or 0x6_,
       letters from 1; 8: 0x5_, letters to A and '_'; 16: 0x7_, letters to A; 32: any other high
       nibble, bytes >= 0x80 among them); a table by low nibble holds the classes in which that
       low nibble is not an accepted character, so one AND of two table shuffles is zero exactly
       for the accepted ones (Mula's scheme). The value is the character plus its class's offset
       ('_', '+', '/' corrected); two multiply-adds join each quad's four 6-bit values into 24
       bits and one shuffle writes them most significant first. A block holding any other
       character ('=', whitespace, anything outside the alphabets, and '+' or '/' without
       std_ok) stops the run: the scalar decoder takes that block, so every refusal is its own
       (a standard-alphabet character decoded here carries no flag: std_ok is given only when
       the caller accepts both alphabets). Each block stores 16 bytes at o + 12k (the last 4
       scratch): the caller bounds the block count so that 12 * blocks + 4 bytes fit.
       FA_B64_PORTABLE or another compiler: no SIMD (0 blocks). */
    #if !defined(FA_B64_PORTABLE) && (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    #include <immintrin.h>
    __attribute__((target("ssse3"), always_inline))
    static inline Py_ssize_t fa_b64_blocks_ssse3(const unsigned char* p, Py_ssize_t blocks, unsigned char* o, const int std_ok) {
        const __m128i lut_hi = _mm_setr_epi8(32, 32, 1, 2, 4, 8, 4, 16, 32, 32, 32, 32, 32, 32, 32, 32);
        const __m128i lut_lo = _mm_setr_epi8(
            32 | 1 | 4, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1,  /* 0-9 */
            32 | 1 | 2,                                                                         /* A */
            32 | (std_ok ? 0 : 1) | 2 | 8 | 16,                                                 /* B: '+' */
            32 | 1 | 2 | 8 | 16,                                                                /* C */
            32 | 2 | 8 | 16,                                                                    /* D: '-' */
            32 | 1 | 2 | 8 | 16,                                                                /* E */
            32 | (std_ok ? 0 : 1) | 2 | 16);                                                    /* F: '_', '/' */
        const __m128i lut_off = _mm_setr_epi8(0, 0, 62 - 45, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
        const __m128i nibble = _mm_set1_epi8(0x0F), under = _mm_set1_epi8(95), under_fix = _mm_set1_epi8(-32 + 65);
        const __m128i plus = _mm_set1_epi8(43), plus_fix = _mm_set1_epi8(62 - 43 - (62 - 45));
        const __m128i slash = _mm_set1_epi8(47), slash_fix = _mm_set1_epi8(63 - 47 - (62 - 45));
        const __m128i pair = _mm_set1_epi32(0x01400140);   /* (a, b) -> a * 64 + b */
        const __m128i quad = _mm_set1_epi32(0x00011000);   /* (ab, cd) -> ab * 4096 + cd */
        const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
        Py_ssize_t k;
        for (k = 0; k < blocks; k++) {
            __m128i c = _mm_loadu_si128((const __m128i*)(p + 16 * k));
            __m128i hi = _mm_and_si128(_mm_srli_epi32(c, 4), nibble), lo = _mm_and_si128(c, nibble);
            __m128i bad = _mm_and_si128(_mm_shuffle_epi8(lut_hi, hi), _mm_shuffle_epi8(lut_lo, lo));
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xFFFF)
                break;
            __m128i off = _mm_add_epi8(_mm_shuffle_epi8(lut_off, hi), _mm_and_si128(_mm_cmpeq_epi8(c, under), under_fix));
            if (std_ok)
                off = _mm_add_epi8(off, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(c, plus), plus_fix),
                                                     _mm_and_si128(_mm_cmpeq_epi8(c, slash), slash_fix)));
            __m128i v = _mm_madd_epi16(_mm_maddubs_epi16(_mm_add_epi8(c, off), pair), quad);
            _mm_storeu_si128((__m128i*)(o + 12 * k), _mm_shuffle_epi8(v, order));
        }
        return k;
    }
    /* The same with AVX2, two blocks a step (each 128-bit lane one block, the lanes' 12 bytes
       joined by a permute, 32 bytes stored at o + 12k): while a third block follows, so the
       store's 20 bytes past the first block stay within 12 * blocks + 4; the SSSE3 loop takes
       the rest, from the block a step stopped at. */
    #define FA_B64_LUTS \
        32 | 1 | 4, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, 32 | 1, \
        32 | 1 | 2, 32 | (std_ok ? 0 : 1) | 2 | 8 | 16, 32 | 1 | 2 | 8 | 16, 32 | 2 | 8 | 16, \
        32 | 1 | 2 | 8 | 16, 32 | (std_ok ? 0 : 1) | 2 | 16
    #define FA_B64_HI 32, 32, 1, 2, 4, 8, 4, 16, 32, 32, 32, 32, 32, 32, 32, 32
    #define FA_B64_OFF 0, 0, 62 - 45, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0
    #define FA_B64_ORDER 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1
    __attribute__((target("avx2"), always_inline))
    static inline Py_ssize_t fa_b64_blocks_avx2(const unsigned char* p, Py_ssize_t blocks, unsigned char* o, const int std_ok) {
        const __m256i lut_hi = _mm256_setr_epi8(FA_B64_HI, FA_B64_HI);
        const __m256i lut_lo = _mm256_setr_epi8(FA_B64_LUTS, FA_B64_LUTS);
        const __m256i lut_off = _mm256_setr_epi8(FA_B64_OFF, FA_B64_OFF);
        const __m256i nibble = _mm256_set1_epi8(0x0F), under = _mm256_set1_epi8(95), under_fix = _mm256_set1_epi8(-32 + 65);
        const __m256i plus = _mm256_set1_epi8(43), plus_fix = _mm256_set1_epi8(62 - 43 - (62 - 45));
        const __m256i slash = _mm256_set1_epi8(47), slash_fix = _mm256_set1_epi8(63 - 47 - (62 - 45));
        const __m256i pair = _mm256_set1_epi32(0x01400140), quad = _mm256_set1_epi32(0x00011000);
        const __m256i order = _mm256_setr_epi8(FA_B64_ORDER, FA_B64_ORDER);
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
        Py_ssize_t k = 0;
        while (k + 3 <= blocks) {
            __m256i c = _mm256_loadu_si256((const __m256i*)(p + 16 * k));
            __m256i hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nibble), lo = _mm256_and_si256(c, nibble);
            __m256i bad = _mm256_and_si256(_mm256_shuffle_epi8(lut_hi, hi), _mm256_shuffle_epi8(lut_lo, lo));
            if (!_mm256_testz_si256(bad, bad))
                break;
            __m256i off = _mm256_add_epi8(_mm256_shuffle_epi8(lut_off, hi), _mm256_and_si256(_mm256_cmpeq_epi8(c, under), under_fix));
            if (std_ok)
                off = _mm256_add_epi8(off, _mm256_or_si256(_mm256_and_si256(_mm256_cmpeq_epi8(c, plus), plus_fix),
                                                           _mm256_and_si256(_mm256_cmpeq_epi8(c, slash), slash_fix)));
            __m256i v = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_add_epi8(c, off), pair), quad);
            _mm256_storeu_si256((__m256i*)(o + 12 * k), _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, order), lanes));
            k += 2;
        }
        return k + fa_b64_blocks_ssse3(p + 16 * k, blocks - k, o + 12 * k, std_ok);
    }
    __attribute__((target("ssse3")))
    static Py_ssize_t fa_b64_url_blocks_ssse3(const unsigned char* p, Py_ssize_t blocks, unsigned char* o) {
        return fa_b64_blocks_ssse3(p, blocks, o, 0);
    }
    __attribute__((target("ssse3")))
    static Py_ssize_t fa_b64_any_blocks_ssse3(const unsigned char* p, Py_ssize_t blocks, unsigned char* o) {
        return fa_b64_blocks_ssse3(p, blocks, o, 1);
    }
    __attribute__((target("avx2")))
    static Py_ssize_t fa_b64_url_blocks_avx2(const unsigned char* p, Py_ssize_t blocks, unsigned char* o) {
        return fa_b64_blocks_avx2(p, blocks, o, 0);
    }
    __attribute__((target("avx2")))
    static Py_ssize_t fa_b64_any_blocks_avx2(const unsigned char* p, Py_ssize_t blocks, unsigned char* o) {
        return fa_b64_blocks_avx2(p, blocks, o, 1);
    }
    static int fa_b64_simd_ok = 0;  /* 2: AVX2, 1: SSSE3, 0: none; set once at import, read-only after */
    static int fa_b64_simd_setup(void) {
        __builtin_cpu_init();  /* libgcc reports AVX2 only where the OS saves the YMM state */
        fa_b64_simd_ok = __builtin_cpu_supports("avx2") ? 2 : __builtin_cpu_supports("ssse3") ? 1 : 0;
        return fa_b64_simd_ok;
    }
    static Py_ssize_t fa_b64_blocks(const unsigned char* p, Py_ssize_t blocks, unsigned char* o, int std_ok) {
        if (!fa_b64_simd_ok)
            return 0;
        if (fa_b64_simd_ok == 2)
            return std_ok ? fa_b64_any_blocks_avx2(p, blocks, o) : fa_b64_url_blocks_avx2(p, blocks, o);
        return std_ok ? fa_b64_any_blocks_ssse3(p, blocks, o) : fa_b64_url_blocks_ssse3(p, blocks, o);
    }
    #else
    static int fa_b64_simd_setup(void) { return 0; }
    static Py_ssize_t fa_b64_blocks(const unsigned char* p, Py_ssize_t blocks, unsigned char* o, int std_ok) {
        (void)p; (void)blocks; (void)o; (void)std_ok;
        return 0;
    }
    #endif
    """
    Py_ssize_t fa_b64_blocks(const unsigned char* p, Py_ssize_t blocks, unsigned char* o, int std_ok) nogil
    int fa_b64_simd_setup()


fa_b64_simd_setup()


cdef inline uint32_t _b64_quad(const unsigned char* p) noexcept nogil:
    """p[0..3] as 24 bits, plus the flag bits of any bad or standard-alphabet character."""
    return _D0[p[0]] | _D1[p[1]] | _D2[p[2]] | _D3[p[3]]


cdef Py_ssize_t _b64_run(const unsigned char* p, Py_ssize_t n, unsigned char* o, uint32_t bad) noexcept nogil:
    """Decode n characters (n % 4 != 1, no padding) into o; return -1 at a bad character."""
    cdef Py_ssize_t i = 0, j = 0, quads = n >> 2
    cdef uint32_t x, y, z, u, acc = 0
    cdef Py_ssize_t q = 0, blocks
    # 16-character blocks with SIMD where available (fa_b64_blocks; either alphabet unless a
    # standard-alphabet character is refused here): each block writes o[12k .. 12k+15], and
    # 12 * blocks + 4 <= 3 * quads; the scalar loops below resume at the first block it did not
    # decode (a character it does not take, or the end)
    if quads >= 8:
        blocks = min(quads >> 2, (3 * quads - 4) // 12)
        blocks = fa_b64_blocks(p, blocks, o, (bad & _B64_STD) == 0)
        i = 16 * blocks
        j = 12 * blocks
        q = 4 * blocks
    # 16 characters (reads p[i .. i+15] < n) to 12 bytes (two 8-byte stores, writes o[j .. j+13])
    # per step while a fifth quad follows: o holds 3 * quads bytes at least, and
    # 3 * (q + 4) + 2 <= 3 * quads when q + 5 <= quads. The flags OR into acc: one test at the end.
    while q + 5 <= quads:
        x = _b64_quad(p + i)
        y = _b64_quad(p + i + 4)
        z = _b64_quad(p + i + 8)
        u = _b64_quad(p + i + 12)
        acc |= x | y | z | u
        fa_b64_store6(o + j, x, y)
        fa_b64_store6(o + j + 6, z, u)
        i += 16
        j += 12
        q += 4
    # two quads at a time while 8 bytes fit in the output (3 * (q + 2) + 2 <= 3 * quads)
    while q + 3 <= quads:
        x = _D0[p[i]] | _D1[p[i + 1]] | _D2[p[i + 2]] | _D3[p[i + 3]]
        y = _D0[p[i + 4]] | _D1[p[i + 5]] | _D2[p[i + 6]] | _D3[p[i + 7]]
        acc |= x | y
        fa_b64_store6(o + j, x, y)
        i += 8
        j += 6
        q += 2
    for q in range(q, quads):
        x = _D0[p[i]] | _D1[p[i + 1]] | _D2[p[i + 2]] | _D3[p[i + 3]]
        acc |= x
        o[j] = <unsigned char>(x >> 16)
        o[j + 1] = <unsigned char>(x >> 8)
        o[j + 2] = <unsigned char>x
        i += 4
        j += 3
    if n - i == 2:  # one byte from two characters; the last character's low 4 bits unused
        x = _D0[p[i]] | _D1[p[i + 1]]
        acc |= x
        o[j] = <unsigned char>(x >> 16)
        if x & 0x0000F000:
            acc |= _B64_BAD  # RFC 4648 §3.5: non-zero pad bits, not the canonical encoding
    elif n - i == 3:  # two bytes from three characters; the last character's low 2 bits unused
        x = _D0[p[i]] | _D1[p[i + 1]] | _D2[p[i + 2]]
        acc |= x
        o[j] = <unsigned char>(x >> 16)
        o[j + 1] = <unsigned char>(x >> 8)
        if x & 0x000000C0:
            acc |= _B64_BAD
    return -1 if acc & bad else 0


cdef bytes _b64_decode(const unsigned char* p, Py_ssize_t start, Py_ssize_t end, bint url_only, str field):
    """Decode p[start:end] (no padding left): either alphabet, or base64url only."""
    cdef Py_ssize_t n = end - start
    if n % 4 == 1:
        _fail("response.invalid_base64", "%s is not valid base64url" % field)
    cdef Py_ssize_t out_len = (n // 4) * 3 + (0 if n % 4 == 0 else (n % 4) - 1)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, out_len)
    cdef unsigned char* o = <unsigned char*>PyBytes_AS_STRING(out)
    cdef uint32_t bad = (_B64_BAD | _B64_STD) if url_only else _B64_BAD
    cdef Py_ssize_t rc
    if n > 65536:  # large inputs (the MDS BLOB) decode without the GIL
        with nogil:
            rc = _b64_run(p + start, n, o, bad)
    else:
        rc = _b64_run(p + start, n, o, bad)
    if rc < 0:
        _fail("response.invalid_base64", "%s is not valid base64url" % field)
    return out


def b64decode(value, str field="value") -> bytes:
    """Decode base64url or standard base64, padded or not; anything else raises
    ``response.invalid_base64``: a character outside both alphabets, padding that does not
    complete the last quad exactly, non-zero pad bits (RFC 4648 §3.5: one canonical text per
    value). Leading/trailing whitespace is ignored; bytes pass through."""
    return _b64decode_value(value, field)


cdef bytes _b64decode_value(object value, str field):
    cdef const unsigned char* p = NULL
    cdef Py_ssize_t start = 0, end = 0, pads = 0
    if type(value) is str:
        FA_UNICODE_READY(value)
        if not PyUnicode_IS_ASCII(value):  # compact ASCII: one byte per character, read in place
            _fail("response.invalid_base64", "%s is not valid base64url" % field)
        p = <const unsigned char*>PyUnicode_DATA(value)
        end = PyUnicode_GET_LENGTH(value)
    elif isinstance(value, (bytes, bytearray)):
        return bytes(value)  # already binary
    else:
        _fail("response.invalid_base64", "%s is not a base64url string" % field)
    if end > _MAX_INPUT * 2:
        _fail("input.too_large", "%s is larger than the size limit" % field)
    while start < end and (p[start] == 32 or 9 <= p[start] <= 13):
        start += 1
    while end > start and (p[end - 1] == 32 or 9 <= p[end - 1] <= 13):
        end -= 1
    while end > start and p[end - 1] == 61:  # '='
        end -= 1
        pads += 1
    if pads and (pads > 2 or (end - start + pads) % 4 != 0):
        # RFC 4648 §3.2: padding, when present, completes the last quad exactly ("AA==", "AAA=")
        _fail("response.invalid_base64", "%s has malformed base64 padding" % field)
    return _b64_decode(p, start, end, False, field)


def b64url_decode(data, str field="value") -> bytes:
    """RFC 7515 §2 base64url without padding, strictly (JWS segments): no '+', '/', '=' or
    whitespace. The GIL is released while decoding."""
    if type(data) is not bytes:
        _fail("response.invalid_base64", "%s is not a byte string" % field)
    return _b64_decode(<const unsigned char*>PyBytes_AS_STRING(data), 0, PyBytes_GET_SIZE(data), True, field)


cdef const unsigned char* _URL_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url_encode(data) -> str:
    """RFC 4648 §5 base64url without padding (WebAuthn L3 §5.8.1 challenge; stored records)."""
    if type(data) is not bytes:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("b64url_encode takes bytes, not %s" % type(data).__name__)
        data = bytes(data)
    return _b64url_encode(<bytes>data)


cdef str _b64url_encode(bytes data):
    cdef const unsigned char* b = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)  # every read below is below n: 3*full + rem == n
    cdef Py_ssize_t full = n // 3, rem = n % 3
    if full > (PY_SSIZE_T_MAX - 4) // 4:  # out_len below cannot overflow
        raise OverflowError("value too large to encode")
    cdef Py_ssize_t out_len = full * 4 + (rem + 1 if rem else 0)
    cdef object out = PyUnicode_New(out_len, 127)
    cdef unsigned char* o = <unsigned char*>PyUnicode_DATA(out)
    cdef Py_ssize_t i = 0, j = 0, q
    cdef uint32_t x
    for q in range(full):
        x = (<uint32_t>b[i] << 16) | (<uint32_t>b[i + 1] << 8) | b[i + 2]
        o[j] = _URL_ALPHABET[x >> 18]
        o[j + 1] = _URL_ALPHABET[(x >> 12) & 63]
        o[j + 2] = _URL_ALPHABET[(x >> 6) & 63]
        o[j + 3] = _URL_ALPHABET[x & 63]
        i += 3
        j += 4
    if rem:
        x = <uint32_t>b[i] << 16
        if rem == 2:
            x |= <uint32_t>b[i + 1] << 8
        o[j] = _URL_ALPHABET[x >> 18]
        o[j + 1] = _URL_ALPHABET[(x >> 12) & 63]
        if rem == 2:
            o[j + 2] = _URL_ALPHABET[(x >> 6) & 63]
    return out


include "_tpm.pxi"
include "_x509.pxi"
include "_asn1.pxi"
include "_json.pxi"
include "_envelope.pxi"
