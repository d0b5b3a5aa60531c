"""The pure-Python X.690 element reader android_key used before ``_core.der_elements``
(fastattest/_asn1.pxi): the reference of tests/test_android_key_elements.py and of the x509
fuzz target's der_elements selector (fuzz/fuzz_x509.py). Kept free of imports, so both load it
cheaply."""
from __future__ import annotations


def python_elements(data: bytes) -> list[tuple[int, int, int, bytes, bytes]]:
    """The pure-Python reader android_key used before ``_core.der_elements``: (class, method,
    tag, contents, whole encoding) per element; ValueError with the refusal message. One rule
    is new with the compiled reader: a tag number must fit in 64 bits."""
    out = []
    pos, n = 0, len(data)
    while pos < n:
        start = pos
        first = data[pos]
        pos += 1
        tag = first & 0x1F
        if tag == 0x1F:  # high tag number form, base 128
            tag = 0
            while True:
                if pos >= n:
                    raise ValueError("truncated tag")
                octet = data[pos]
                pos += 1
                if octet == 0x80 and tag == 0:
                    raise ValueError("non-minimal tag encoding")
                if tag >> 57:  # the number would not fit in 64 bits (added with the compiled reader)
                    raise ValueError("tag number too large")
                tag = (tag << 7) | (octet & 0x7F)
                if not octet & 0x80:
                    break
            if tag < 31:
                raise ValueError("non-minimal tag encoding")
        if pos >= n:
            raise ValueError("truncated length")
        length = data[pos]
        pos += 1
        if length & 0x80:
            k = length & 0x7F
            if k == 0:
                raise ValueError("indefinite-length encoding is not DER")
            if pos + k > n:
                raise ValueError("truncated length")
            length = int.from_bytes(data[pos:pos + k], "big")
            pos += k
        end = pos + length
        if end > n:
            raise ValueError("length runs past the end")
        out.append((first >> 6, (first >> 5) & 1, tag, data[pos:end], data[start:end]))
        pos = end
    return out
