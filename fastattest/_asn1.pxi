# X.690 §8.1 element splitter for fastattest.formats.android_key (the Android key attestation
# KeyDescription and its AuthorizationLists, whose KeyMint tags run past 30 into the high tag
# number form). Not the certificate walker of _x509.pxi: that one refuses high tag numbers and
# long-form lengths of more than 4 octets, as RFC 5280 structures never need them; this one keeps
# the rules android_key has always applied (its pure-Python reference is in
# tests/test_android_key_elements.py), with the same refusal messages.
# Every read is checked against the end of the input; no declared length or tag number can
# overflow: a length is compared with the bytes left as it is read, and a tag number that does
# not fit in 64 bits is refused (KeyMint's run to 2**28; a longer one would reach Python as an
# int too long to print: android_key names unknown tags in its result and its messages).


@cython.boundscheck(False)
def der_elements(data):
    """DER contents -> [(class, constructed bit, tag number, contents, whole encoding), ...]:
    high tag numbers minimally encoded (X.690 §8.1.2.4) and under 2**64, definite lengths only
    (§10.1), nothing past the end. ValueError (message: what is wrong) on anything else."""
    cdef bytes b
    if type(data) is bytes:
        b = <bytes>data
    elif isinstance(data, bytes):
        b = bytes(data)
    else:
        raise TypeError(f"der_elements takes bytes, not {type(data).__name__}")
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(b)
    cdef Py_ssize_t pos = 0, start, k, i, left
    cdef unsigned int first, octet
    cdef uint64_t tag, length
    cdef list out = []
    while pos < n:
        start = pos
        first = p[pos]
        pos += 1
        tag = first & 0x1F
        if tag == 0x1F:  # high tag number form (§8.1.2.4): base 128, bit 8 set on all but the last
            tag = 0
            while True:
                if pos >= n:
                    raise ValueError("truncated tag")
                octet = p[pos]
                pos += 1
                if octet == 0x80 and tag == 0:
                    raise ValueError("non-minimal tag encoding")
                if tag >> 57:  # 7 more bits would not fit in 64
                    raise ValueError("tag number too large")
                tag = (tag << 7) | (octet & 0x7F)
                if not octet & 0x80:
                    break
            if tag < 31:
                raise ValueError("non-minimal tag encoding")
        if pos >= n:
            raise ValueError("truncated length")
        length = p[pos]
        pos += 1
        if length & 0x80:
            k = <Py_ssize_t>(length & 0x7F)
            if k == 0:
                raise ValueError("indefinite-length encoding is not DER")
            if k > n - pos:
                raise ValueError("truncated length")
            left = n - pos - k  # the bytes after the length octets
            length = 0
            for i in range(k):  # the value only grows: past `left` once, past it at the end
                length = (length << 8) | p[pos + i]
                if length > <uint64_t>left:
                    raise ValueError("length runs past the end")
            pos += k
        if length > <uint64_t>(n - pos):
            raise ValueError("length runs past the end")
        out.append((first >> 6, (first >> 5) & 1, PyLong_FromUnsignedLongLong(tag),
                    PyBytes_FromStringAndSize(<const char*>p + pos, <Py_ssize_t>length),
                    PyBytes_FromStringAndSize(<const char*>p + start, pos + <Py_ssize_t>length - start)))
        pos += <Py_ssize_t>length
    return out
