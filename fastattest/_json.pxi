# Strict JSON (RFC 8259) for clientDataJSON (WebAuthn L3 §5.8.1; §7.1 steps 5-6, §7.2 steps 9-10).
# Included by _core.pyx. Every read is checked against r.end before it happens.
#
# Stricter than Python's json module, and the same otherwise: NaN/Infinity, escapes that decode
# to a lone surrogate, numbers longer than 256 characters and nesting deeper than 32 are refused;
# a duplicate key at any depth raises client_data.duplicate_key (catalogue J11).

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


cdef str _j_string(_JReader* r):
    """A string; r.p[r.pos] is the opening quote. Runs without escapes are decoded in place."""
    cdef Py_ssize_t start, run
    cdef unsigned char c, e
    cdef int cp, lo
    r.pos += 1
    start = r.pos
    while r.pos < r.end:
        c = r.p[r.pos]
        if c == 34:  # '"'
            r.pos += 1
            return PyUnicode_DecodeUTF8(<const char*>r.p + start, r.pos - 1 - start, "strict")
        if c == 92:  # '\\'
            break
        if c < 32:
            _jfail(r, "control character in a string")
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
