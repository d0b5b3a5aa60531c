# Strict JSON (RFC 8259) for clientDataJSON (WebAuthn L3 §5.8.1; §7.1 steps 5-6, §7.2 steps 9-10).
# Included by _core.pyx. Every read is checked against r.end before it happens.
#
# Stricter than Python's json module, and the same otherwise: NaN/Infinity, escapes that decode
# to a lone surrogate, numbers longer than 256 characters and nesting deeper than 32 are refused;
# a duplicate key at any depth raises client_data.duplicate_key (catalogue J11).

from libc.string cimport memcpy

MAX_CLIENT_DATA = 64 * 1024  # J13: real clientDataJSON is a few hundred bytes
cdef Py_ssize_t _CD_MAX = MAX_CLIENT_DATA
cdef int _J_MAX_DEPTH = 32
cdef Py_ssize_t _J_MAX_NUMBER = 256


cdef struct _JReader:
    const unsigned char* p
    Py_ssize_t pos
    Py_ssize_t end
    int depth


cdef object _jfail(_JReader* r, str what):
    raise VerificationError("client_data.malformed", "clientDataJSON is not valid JSON: %s at offset %d" % (what, r.pos))


cdef inline void _j_ws(_JReader* r) noexcept:
    cdef unsigned char c
    while r.pos < r.end:
        c = r.p[r.pos]
        if c == 32 or c == 10 or c == 13 or c == 9:
            r.pos += 1
        else:
            return


cdef inline int _j_hex(unsigned char c) noexcept:
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


cdef int _j_u4(_JReader* r) except -1:
    """Four hex digits of a \\u escape."""
    cdef int v = 0, h, k
    if r.end - r.pos < 4:
        _jfail(r, "truncated \\u escape")
    for k in range(4):
        h = _j_hex(r.p[r.pos + k])
        if h < 0:
            _jfail(r, "bad \\u escape")
        v = (v << 4) | h
    r.pos += 4
    return v


cdef str _j_ascii(const unsigned char* p, Py_ssize_t n):
    """An ASCII run as a str: the member names clientDataJSON has are the interned constants
    (so the checks' lookups match by identity); anything else is copied (no UTF-8 decoding)."""
    if n == 4 and memcmp(p, b"type", 4) == 0:
        return "type"
    if n == 9 and memcmp(p, b"challenge", 9) == 0:
        return "challenge"
    if n == 6 and memcmp(p, b"origin", 6) == 0:
        return "origin"
    if n == 11 and memcmp(p, b"crossOrigin", 11) == 0:
        return "crossOrigin"
    if n == 15 and memcmp(p, b"webauthn.create", 15) == 0:  # the type values (§5.8.1)
        return "webauthn.create"
    if n == 12 and memcmp(p, b"webauthn.get", 12) == 0:
        return "webauthn.get"
    cdef object s = PyUnicode_New(n, 127)
    memcpy(PyUnicode_DATA(s), p, n)
    return <str>s


cdef str _j_string(_JReader* r):
    """A string; r.p[r.pos] is the opening quote. Runs without escapes are decoded in place."""
    cdef Py_ssize_t start, run
    cdef unsigned char c, e, high = 0
    cdef int cp, lo
    r.pos += 1
    start = r.pos
    while r.pos < r.end:
        c = r.p[r.pos]
        if c == 34:  # '"'
            r.pos += 1
            if high < 128:  # ASCII: valid UTF-8 as it stands
                return _j_ascii(r.p + start, r.pos - 1 - start)
            return PyUnicode_DecodeUTF8(<const char*>r.p + start, r.pos - 1 - start, "strict")
        if c == 92:  # '\\'
            break
        if c < 32:
            _jfail(r, "control character in a string")
        high |= c
        r.pos += 1
    else:
        _jfail(r, "unterminated string")
    # escapes: rebuild the UTF-8, then decode it once
    buf = bytearray(r.p[start:r.pos])
    while True:
        if r.pos >= r.end:
            _jfail(r, "unterminated string")
        c = r.p[r.pos]
        if c == 34:
            r.pos += 1
            return buf.decode("utf-8")
        if c < 32:
            _jfail(r, "control character in a string")
        if c != 92:
            run = r.pos
            while r.pos < r.end and r.p[r.pos] != 34 and r.p[r.pos] != 92 and r.p[r.pos] >= 32:
                r.pos += 1
            buf += r.p[run:r.pos]
            continue
        r.pos += 1
        if r.pos >= r.end:
            _jfail(r, "unterminated escape")
        e = r.p[r.pos]
        r.pos += 1
        if e == 34 or e == 92 or e == 47:  # " \ /
            buf.append(e)
        elif e == 98:
            buf.append(8)
        elif e == 102:
            buf.append(12)
        elif e == 110:
            buf.append(10)
        elif e == 114:
            buf.append(13)
        elif e == 116:
            buf.append(9)
        elif e == 117:  # \uXXXX, a surrogate pair as two escapes (RFC 8259 §7)
            cp = _j_u4(r)
            if 0xDC00 <= cp <= 0xDFFF:
                _jfail(r, "lone low surrogate")
            if 0xD800 <= cp <= 0xDBFF:
                if r.end - r.pos < 2 or r.p[r.pos] != 92 or r.p[r.pos + 1] != 117:
                    _jfail(r, "lone high surrogate")
                r.pos += 2
                lo = _j_u4(r)
                if not 0xDC00 <= lo <= 0xDFFF:
                    _jfail(r, "lone high surrogate")
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
            buf += chr(cp).encode("utf-8")
        else:
            _jfail(r, "bad escape")


cdef object _j_number(_JReader* r):
    """RFC 8259 §6: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?"""
    cdef Py_ssize_t start = r.pos, digits
    cdef bint is_float = False
    if r.p[r.pos] == 45:  # '-'
        r.pos += 1
    if r.pos >= r.end:
        _jfail(r, "bad number")
    if r.p[r.pos] == 48:  # a leading 0 stands alone
        r.pos += 1
    elif 49 <= r.p[r.pos] <= 57:
        while r.pos < r.end and 48 <= r.p[r.pos] <= 57:
            r.pos += 1
    else:
        _jfail(r, "bad number")
    if r.pos < r.end and r.p[r.pos] == 46:  # '.'
        is_float = True
        r.pos += 1
        digits = r.pos
        while r.pos < r.end and 48 <= r.p[r.pos] <= 57:
            r.pos += 1
        if r.pos == digits:
            _jfail(r, "bad number")
    if r.pos < r.end and (r.p[r.pos] == 101 or r.p[r.pos] == 69):  # 'e' 'E'
        is_float = True
        r.pos += 1
        if r.pos < r.end and (r.p[r.pos] == 43 or r.p[r.pos] == 45):
            r.pos += 1
        digits = r.pos
        while r.pos < r.end and 48 <= r.p[r.pos] <= 57:
            r.pos += 1
        if r.pos == digits:
            _jfail(r, "bad number")
    if r.pos - start > _J_MAX_NUMBER:
        _jfail(r, "number too long")
    text = r.p[start:r.pos]
    return float(text) if is_float else int(text)


cdef object _j_value(_JReader* r):
    cdef unsigned char c
    _j_ws(r)
    if r.pos >= r.end:
        _jfail(r, "unexpected end")
    c = r.p[r.pos]
    if c == 123:  # '{'
        return _j_object(r)
    if c == 91:  # '['
        return _j_array(r)
    if c == 34:
        return _j_string(r)
    if c == 116 and r.end - r.pos >= 4 and memcmp(r.p + r.pos, b"true", 4) == 0:
        r.pos += 4
        return True
    if c == 102 and r.end - r.pos >= 5 and memcmp(r.p + r.pos, b"false", 5) == 0:
        r.pos += 5
        return False
    if c == 110 and r.end - r.pos >= 4 and memcmp(r.p + r.pos, b"null", 4) == 0:
        r.pos += 4
        return None
    if c == 45 or 48 <= c <= 57:
        return _j_number(r)
    _jfail(r, "unexpected character")


cdef dict _j_object(_JReader* r):
    cdef dict d = {}
    cdef unsigned char c
    r.depth += 1
    if r.depth > _J_MAX_DEPTH:
        _jfail(r, "nested too deeply")
    r.pos += 1  # '{'
    _j_ws(r)
    if r.pos < r.end and r.p[r.pos] == 125:  # '}'
        r.pos += 1
        r.depth -= 1
        return d
    while True:
        _j_ws(r)
        if r.pos >= r.end or r.p[r.pos] != 34:
            _jfail(r, "expected a string key")
        k = _j_string(r)
        _j_ws(r)
        if r.pos >= r.end or r.p[r.pos] != 58:  # ':'
            _jfail(r, "expected ':'")
        r.pos += 1
        v = _j_value(r)
        if PyDict_Contains(d, k):  # J11: {"challenge": A, "challenge": B} is refused
            raise VerificationError("client_data.duplicate_key", "clientDataJSON has a duplicate key %r" % (k[:64],))
        PyDict_SetItem(d, k, v)
        _j_ws(r)
        if r.pos >= r.end:
            _jfail(r, "unterminated object")
        c = r.p[r.pos]
        r.pos += 1
        if c == 44:  # ','
            continue
        if c == 125:
            break
        r.pos -= 1
        _jfail(r, "expected ',' or '}'")
    r.depth -= 1
    return d


cdef list _j_array(_JReader* r):
    cdef list a = []
    cdef unsigned char c
    r.depth += 1
    if r.depth > _J_MAX_DEPTH:
        _jfail(r, "nested too deeply")
    r.pos += 1  # '['
    _j_ws(r)
    if r.pos < r.end and r.p[r.pos] == 93:  # ']'
        r.pos += 1
        r.depth -= 1
        return a
    while True:
        a.append(_j_value(r))
        _j_ws(r)
        if r.pos >= r.end:
            _jfail(r, "unterminated array")
        c = r.p[r.pos]
        r.pos += 1
        if c == 44:
            continue
        if c == 93:
            break
        r.pos -= 1
        _jfail(r, "expected ',' or ']'")
    r.depth -= 1
    return a


def parse_client_data(raw) -> dict:
    """clientDataJSON bytes -> dict (§7.1 steps 5-6): UTF-8 (a leading BOM is dropped, J12),
    one JSON object, no duplicate keys. Raises client_data.malformed / too_large / duplicate_key."""
    return _parse_client_data(raw)


cdef dict _parse_client_data(object raw):
    if type(raw) is not bytes or PyBytes_GET_SIZE(raw) == 0:
        _fail("client_data.malformed", "clientDataJSON is empty")
    cdef _JReader r
    r.p = <const unsigned char*>PyBytes_AS_STRING(raw)
    r.end = PyBytes_GET_SIZE(raw)
    r.pos = 0
    r.depth = 0
    if r.end > _CD_MAX:
        _fail("client_data.too_large", "clientDataJSON is larger than %d bytes" % _CD_MAX)
    if r.end >= 3 and r.p[0] == 0xEF and r.p[1] == 0xBB and r.p[2] == 0xBF:
        r.pos = 3
    _j_ws(&r)
    if r.pos >= r.end or r.p[r.pos] != 123:
        _fail("client_data.malformed", "clientDataJSON is not a JSON object")
    try:
        obj = _j_object(&r)
    except UnicodeDecodeError as exc:
        _fail("client_data.malformed", "clientDataJSON is not valid UTF-8: %s" % exc.reason)
    _j_ws(&r)
    if r.pos != r.end:
        _jfail(&r, "data after the object")
    return obj


# ------------------------------------------------------------------------------------------
# CollectedClientData members (WebAuthn L3 §5.8.1; §7.1 steps 7-11, §7.2 steps 11-15), checked
# on the parsed dict. fastattest/client_data.py's verify() is this, after its argument checks;
# RelyingParty parses, checks and hashes in one call (check_client_data).
# ------------------------------------------------------------------------------------------
cdef object _TOKEN_BINDING_STATUS = frozenset({"present", "supported"})  # WebAuthn L2 §5.8.1
from hashlib import sha256 as _sha256  # OpenSSL's, as hashlib.sha256 is
cdef object _SHA256_EMPTY = _sha256()


def verify_client_data(dict cd, str type_, challenge, origins, bint allow_cross_origin, top_origins) -> None:
    """The checks of client_data.verify on a parsed clientDataJSON; ``challenge`` is the issued
    bytes (the caller has refused anything else)."""
    _verify_client_data(cd, type_, challenge, origins, allow_cross_origin, top_origins)


def check_client_data(raw, str type_, challenge, origins, bint allow_cross_origin, top_origins) -> bytes:
    """parse_client_data(raw), verify_client_data on it (§7.1 steps 5-11 / §7.2 steps 9-15), then
    the SHA-256 of raw (§7.1 step 12 / §7.2 step 16), which the ceremony signs over."""
    _verify_client_data(_parse_client_data(raw), type_, challenge, origins, allow_cross_origin, top_origins)
    h = _SHA256_EMPTY.copy()  # a copy of an initialised context: no digest lookup per call
    h.update(raw)
    return h.digest()


cdef bint _is_b64url_of(str s, bytes data) except -1:
    """s == _b64url_encode(data), without building the encoding: s is ASCII of the encoded
    length and each of its characters is the one encoded there (RFC 4648 §5, no padding)."""
    cdef const unsigned char* b = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t full = n // 3, rem = n % 3
    FA_UNICODE_READY(s)
    if not PyUnicode_IS_ASCII(s) or PyUnicode_GET_LENGTH(s) != full * 4 + (rem + 1 if rem else 0):
        return False
    cdef const unsigned char* o = <const unsigned char*>PyUnicode_DATA(s)  # length checked above
    cdef Py_ssize_t i = 0, j = 0, q
    cdef uint32_t x
    cdef unsigned char diff = 0
    for q in range(full):
        x = (<uint32_t>b[i] << 16) | (<uint32_t>b[i + 1] << 8) | b[i + 2]
        diff |= (o[j] ^ _URL_ALPHABET[x >> 18]) | (o[j + 1] ^ _URL_ALPHABET[(x >> 12) & 63])
        diff |= (o[j + 2] ^ _URL_ALPHABET[(x >> 6) & 63]) | (o[j + 3] ^ _URL_ALPHABET[x & 63])
        i += 3
        j += 4
    if rem:
        x = <uint32_t>b[i] << 16
        if rem == 2:
            x |= <uint32_t>b[i + 1] << 8
        diff |= (o[j] ^ _URL_ALPHABET[x >> 18]) | (o[j + 1] ^ _URL_ALPHABET[(x >> 12) & 63])
        if rem == 2:
            diff |= o[j + 2] ^ _URL_ALPHABET[(x >> 6) & 63]
    return diff == 0


cdef int _verify_client_data(dict cd, str type_, object challenge, object origins, bint allow_cross_origin,
                             object top_origins) except -1:
    if type(challenge) is not bytes:
        if not isinstance(challenge, bytearray):
            raise TypeError("challenge must be bytes, not %s" % type(challenge).__name__)
        challenge = bytes(challenge)
    if PyBytes_GET_SIZE(challenge) == 0:
        raise ValueError("challenge must not be empty")
    # §7.1 step 7 / §7.2 step 11: the ceremony type, exactly (J02)
    t = cd.get("type")
    if t != type_:
        _fail("client_data.type_mismatch", "clientDataJSON type is %r, expected %r" % (t, type_))
    # step 8 / 12: challenge is the base64url (no padding) encoding of the issued challenge (J03)
    got = cd.get("challenge")
    if not isinstance(got, str) or not _is_b64url_of(<str>got, <bytes>challenge):
        _fail("client_data.challenge_mismatch", "clientDataJSON challenge does not match the issued challenge")
    # step 9 / 13: origin is one the RP expects, compared exactly (J05-J07)
    origin = cd.get("origin")
    if not isinstance(origin, str) or origin not in origins:
        _fail("client_data.origin_mismatch", "origin %r is not an expected origin" % (origin,))
    # step 10 / 14: crossOrigin only where the RP expects to be embedded (J08)
    cross = cd.get("crossOrigin", False)
    if not isinstance(cross, bool):
        _fail("client_data.cross_origin", "crossOrigin is not a boolean")
    if cross and not allow_cross_origin:
        _fail("client_data.cross_origin", "cross-origin ceremonies are not allowed")
    # step 11 / 15: topOrigin only when expected, and then one of the allowed top origins (J09)
    top = cd.get("topOrigin", _MISSING)
    if top is not _MISSING:
        if not cross or not isinstance(top, str) or top not in top_origins:
            _fail("client_data.top_origin", "topOrigin %r is not allowed" % (top,))
    # tokenBinding (L2 §5.8.1; conformance F-15..17): an object with a known status (J10). A string
    # (pre-L1 clients with U2F keys send "unused") carries no binding and is ignored, as peers do
    # (docs/stricter-than-peers.md, issue 16).
    tb = cd.get("tokenBinding", _MISSING)
    if tb is not _MISSING and not isinstance(tb, str):
        status = tb.get("status") if isinstance(tb, dict) else None
        if not isinstance(status, str) or status not in _TOKEN_BINDING_STATUS:  # a list or object status is unhashable
            _fail("client_data.token_binding", "tokenBinding must be an object with a valid status")
        if tb["status"] == "present":
            _fail("client_data.token_binding", "token binding is not supported by this relying party")
    return 0
