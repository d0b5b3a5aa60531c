"""A minimal DER reader (X.690 §8.1, §10) for the fields of an X.509 certificate that checks read.

It splits a certificate into its parts and hands back the exact bytes of each, so signatures are
verified over the TBS bytes as received. It is tolerant of encodings that change no meaning
(non-minimal long-form lengths) and refuses what is ambiguous: indefinite lengths, lengths past
the end, trailing bytes. Every read is bounds-checked; a failure raises ``DerError``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

__all__ = ["DerError", "tlv", "children", "oid", "integer", "parse_time", "parse_name", "decode_string"]


#: no OID in a certificate comes near this (the longest registered ones are under 40 bytes)
MAX_OID = 128


class DerError(ValueError):
    """The bytes are not the DER structure expected here."""


def tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """The TLV at ``pos``: (tag byte, start of contents, end of contents); ``end`` bounds it."""
    if pos + 2 > end:
        raise DerError("truncated TLV")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used in X.509 structures")
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0:
            raise DerError("indefinite length")
        if k > 4 or pos + k > end:
            raise DerError("length of length out of range")
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + n > end:
        raise DerError("length runs past the end")
    return tag, pos, pos + n


def children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The TLVs filling ``buf[start:end]`` exactly: (tag, header start, contents start, end)."""
    out = []
    pos = start
    while pos < end:
        tag, s, e = tlv(buf, pos, end)
        out.append((tag, pos, s, e))
        pos = e
    return out


@lru_cache(maxsize=2048)
def oid(body: bytes) -> str:
    """Dotted form of OBJECT IDENTIFIER contents (X.690 §8.19); a handful of OIDs recur in every
    certificate, so each distinct encoding is converted once."""
    if not body or body[-1] & 0x80:
        raise DerError("malformed OBJECT IDENTIFIER")
    if len(body) > MAX_OID:  # decoding one huge arc costs time quadratic in its length
        raise DerError(f"OBJECT IDENTIFIER longer than {MAX_OID} bytes")
    arcs: list[int] = []
    value = 0
    for b in body:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + arcs[1:]))


def integer(body: bytes) -> int:
    if not body:
        raise DerError("empty INTEGER")
    return int.from_bytes(body, "big", signed=True)


def parse_time(tag: int, body: bytes) -> datetime:
    """UTCTime (tag 23) or GeneralizedTime (24) in UTC, RFC 5280 §4.1.2.5 (seconds optional,
    fractional seconds ignored: they change no validity decision worth refusing a device for)."""
    # The forms RFC 5280 §4.1.2.5.1/.2 require (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ), read by digit:
    # a new device's certificate brings new times. Anything else, or a date that does not exist,
    # takes the general reading below (which gives every refusal its message).
    if type(body) is bytes and body[-1:] == b"Z" and body[:-1].isdigit():  # ASCII digits only
        n = len(body)
        if (tag == 23 and n == 13) or (tag == 24 and n == 15):
            v = int(body[:-1])  # (YY)YYMMDDHHMMSS
            year = v // 10000000000
            if tag == 23:
                year += 1900 if year >= 50 else 2000
            try:
                return datetime(year, v // 100000000 % 100, v // 1000000 % 100, v // 10000 % 100, v // 100 % 100, v % 100,
                                tzinfo=timezone.utc)
            except ValueError:
                pass
    return _parse_time(tag, body)


def _parse_time(tag: int, body: bytes) -> datetime:
    """parse_time, any form: the reference its fast path is tested against."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise DerError("time is not ASCII") from None
    if not text.endswith("Z"):
        raise DerError("time is not in UTC (Z)")
    text = text[:-1].split(".", 1)[0]
    if tag == 23:
        if len(text) not in (10, 12) or not text.isdigit():
            raise DerError("malformed UTCTime")
        yy = int(text[:2])
        text = ("19" if yy >= 50 else "20") + text  # RFC 5280 §4.1.2.5.1
    elif tag == 24:
        if len(text) not in (12, 14) or not text.isdigit():
            raise DerError("malformed GeneralizedTime")
    else:
        raise DerError("validity time is neither UTCTime nor GeneralizedTime")
    try:
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                        int(text[12:14] or 0), tzinfo=timezone.utc)
    except ValueError as exc:
        raise DerError(f"invalid time: {exc}") from None


# X.520 string types -> codec. PrintableString, IA5String, VisibleString and NumericString are
# decoded without checking their character sets: a PrintableString holding '@' or '_' means the
# same text, and peers (Go's x509 among them) read it too.
_STRINGS = {
    0x0C: "utf-8",  # UTF8String: invalid UTF-8 is refused (no meaning can be read)
    0x13: "latin-1",  # PrintableString
    0x16: "latin-1",  # IA5String
    0x14: "latin-1",  # TeletexString (T.61: latin-1 is what every implementation does)
    0x1A: "latin-1",  # VisibleString
    0x12: "latin-1",  # NumericString
    0x1E: "utf-16-be",  # BMPString
    0x1C: "utf-32-be",  # UniversalString
}
_X500_UNIQUE_IDENTIFIER = "2.5.4.45"


def decode_string(tag: int, body: bytes) -> str:
    codec = _STRINGS.get(tag)
    if codec is None:
        raise DerError(f"tag 0x{tag:02x} is not a directory string")
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        raise DerError(f"invalid {codec} text in a directory string") from None


def parse_name(buf: bytes, start: int, end: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """RFC 5280 §4.1.2.4 Name (the contents of its SEQUENCE): RDNs of (OID, text) pairs, each
    RDN's attributes sorted so a multi-valued RDN compares whatever its SET order."""
    rdns = []
    pos = start
    while pos < end:
        tag, s, e = tlv(buf, pos, end)
        if tag != 0x31:
            raise DerError("a RelativeDistinguishedName is not a SET")
        attrs = []
        apos = s
        while apos < e:  # AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
            atag, a_s, a_e = tlv(buf, apos, e)
            otag, o_s, o_e = tlv(buf, a_s, a_e)
            if atag != 0x30 or otag != 0x06 or o_e >= a_e:
                raise DerError("an AttributeTypeAndValue is not SEQUENCE { OID, value }")
            vtag, v_s, v_e = tlv(buf, o_e, a_e)
            if v_e != a_e:
                raise DerError("an AttributeTypeAndValue is not SEQUENCE { OID, value }")
            kind = oid(buf[o_s:o_e])
            if vtag == 0x03 and kind == _X500_UNIQUE_IDENTIFIER:
                value = buf[v_s:v_e].hex()
            else:
                value = decode_string(vtag, buf[v_s:v_e])
            attrs.append((kind, value))
            apos = a_e
        if not attrs:
            raise DerError("an empty RelativeDistinguishedName")
        rdns.append(tuple(sorted(attrs)) if len(attrs) > 1 else (attrs[0],))
        pos = e
    return tuple(rdns)
