# X.509 certificate framing (RFC 5280 §4.1) for fastattest.certificates: the certificate split
# into the byte ranges its checks read, with the same rules as fastattest/_der.py (X.690 §8.1:
# definite lengths only, long-form lengths up to 4 octets, no high tag numbers, nothing past the
# end) and the same refusals as certificates._parse, which decodes the parts (names, times,
# extensions, the key). Structural errors raise ValueError, which certificates.load turns into
# certificate.malformed. Every read is checked against the end of the enclosing TLV.

cdef struct _Tlv:
    int tag
    Py_ssize_t hdr      # first byte of the header
    Py_ssize_t s        # first byte of the contents
    Py_ssize_t e        # one past the last byte of the contents


@cython.boundscheck(False)
cdef int _x_tlv(const unsigned char* p, Py_ssize_t pos, Py_ssize_t end, _Tlv* t) except -1:
    cdef uint64_t n
    cdef Py_ssize_t k, i
    if pos < 0 or end - pos < 2:
        raise ValueError("truncated TLV")
    t.hdr = pos
    t.tag = p[pos]
    if (t.tag & 0x1F) == 0x1F:
        raise ValueError("high tag numbers are not used in X.509 structures")
    n = p[pos + 1]
    pos += 2
    if n & 0x80:
        k = <Py_ssize_t>(n & 0x7F)
        if k == 0:
            raise ValueError("indefinite length")
        if k > 4 or k > end - pos:
            raise ValueError("length of length out of range")
        n = 0
        for i in range(k):
            n = (n << 8) | p[pos + i]
        pos += k
    if n > <uint64_t>(end - pos):
        raise ValueError("length runs past the end")
    t.s = pos
    t.e = pos + <Py_ssize_t>n
    return 0


cdef inline bytes _x_slice(const unsigned char* p, Py_ssize_t s, Py_ssize_t e):
    return PyBytes_FromStringAndSize(<const char*>p + s, e - s)


_EXTENSION_SHAPE = "an extension is not SEQUENCE { OID, critical?, OCTET STRING }"


@cython.boundscheck(False)
cdef int _x_extension(const unsigned char* p, _Tlv* ext, _Tlv* part) except -1:
    """RFC 5280 §4.1 Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT
    FALSE, extnValue OCTET STRING } at ``ext``: every child a well-formed TLV within it, the
    shape checked, a critical flag one octet. Fills part[0..2] (extnID, critical, extnValue;
    critical's tag is 0 when absent)."""
    cdef _Tlv c
    cdef Py_ssize_t pos = ext.s
    cdef int count = 0
    while pos < ext.e:  # walk every child (a malformed one refuses the certificate), keep three
        _x_tlv(p, pos, ext.e, &c)
        if count < 3:
            part[count] = c
        count += 1
        pos = c.e
    if ext.tag != 0x30 or count < 2 or count > 3 or part[0].tag != 0x06 or part[count - 1].tag != 0x04:
        raise ValueError(_EXTENSION_SHAPE)
    if count == 3:
        if part[1].tag != 0x01 or part[1].e - part[1].s != 1:
            raise ValueError("an extension's critical flag is not a BOOLEAN")
    else:
        part[2] = part[1]
        part[1].tag = 0
    return 0


@cython.boundscheck(False)
def split_extension(bytes der not None):
    """One Extension DER, as split_certificate gives it (checked there already) -> (extnID
    contents, critical, extnValue contents); a critical octet other than zero is TRUE (read
    leniently: the meaning is unambiguous). ValueError if ``der`` is not exactly one Extension."""
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(der)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(der)
    cdef _Tlv ext
    cdef _Tlv part[3]
    _x_tlv(p, 0, n, &ext)
    if ext.e != n:
        raise ValueError(_EXTENSION_SHAPE)
    _x_extension(p, &ext, part)
    return (_x_slice(p, part[0].s, part[0].e), part[1].tag == 0x01 and p[part[1].s] != 0, _x_slice(p, part[2].s, part[2].e))


@cython.boundscheck(False)
def split_certificate(bytes der not None):
    """Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
    -> (tbs, signatureAlgorithm DER, its OID contents, signature, version INTEGER contents or None,
    serialNumber contents, issuer DER, issuer header length, subject DER, subject header length,
    notBefore tag, contents, notAfter tag, contents, subjectPublicKeyInfo DER, [Extension DER, ...]),
    each Extension's shape checked (``split_extension`` reads one), with the refusals
    certificates._parse made when it read them (ValueError)."""
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(der)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(der)
    cdef _Tlv top, tbs, alg, sig, x, y, g, seq, ext
    cdef _Tlv f[6]
    cdef _Tlv part[3]
    cdef Py_ssize_t pos, q, i
    cdef bytes alg_oid
    cdef object version = None
    cdef list extensions = []
    _x_tlv(p, 0, n, &top)
    if top.tag != 0x30 or top.e != n:
        raise ValueError("not a single SEQUENCE")
    _x_tlv(p, top.s, top.e, &tbs)
    _x_tlv(p, tbs.e, top.e, &alg)
    _x_tlv(p, alg.e, top.e, &sig)
    if sig.e != top.e or tbs.tag != 0x30 or alg.tag != 0x30 or sig.tag != 0x03:
        raise ValueError("not SEQUENCE { tbsCertificate, signatureAlgorithm, signature }")
    if sig.s == sig.e or p[sig.s] != 0:
        raise ValueError("signature BIT STRING has unused bits")
    # tbsCertificate: [0] EXPLICIT version DEFAULT v1, then six fields, then optional ones
    pos = tbs.s
    if pos < tbs.e:
        _x_tlv(p, pos, tbs.e, &x)
        if x.tag == 0xA0:
            if x.s == x.e:
                raise ValueError("malformed version")
            _x_tlv(p, x.s, x.e, &y)
            if y.e != x.e or y.tag != 0x02:
                raise ValueError("malformed version")
            version = _x_slice(p, y.s, y.e)
            pos = x.e
    for i in range(6):
        if pos >= tbs.e:
            raise ValueError("tbsCertificate lacks serial, signature, issuer, validity, subject or key")
        _x_tlv(p, pos, tbs.e, &f[i])
        pos = f[i].e
    if f[0].tag != 0x02 or f[1].tag != 0x30 or f[2].tag != 0x30 or f[3].tag != 0x30 or f[4].tag != 0x30 or f[5].tag != 0x30:
        raise ValueError("tbsCertificate lacks serial, signature, issuer, validity, subject or key")
    # RFC 5280 §4.1.1.2: the signed algorithm MUST be the outer one
    if f[1].e - f[1].hdr != alg.e - alg.hdr or memcmp(p + f[1].hdr, p + alg.hdr, alg.e - alg.hdr) != 0:
        raise ValueError("signatureAlgorithm differs from the tbsCertificate signature field")
    if f[1].s == f[1].e:
        raise ValueError("malformed AlgorithmIdentifier")
    _x_tlv(p, f[1].s, f[1].e, &x)
    if x.tag != 0x06:
        raise ValueError("malformed AlgorithmIdentifier")
    alg_oid = _x_slice(p, x.s, x.e)
    pos = x.e
    while pos < f[1].e:  # the parameters: well-formed TLVs
        _x_tlv(p, pos, f[1].e, &y)
        pos = y.e
    # Validity ::= SEQUENCE { notBefore Time, notAfter Time }
    if f[3].s == f[3].e:
        raise ValueError("validity is not two times")
    _x_tlv(p, f[3].s, f[3].e, &x)
    if x.e == f[3].e:
        raise ValueError("validity is not two times")
    _x_tlv(p, x.e, f[3].e, &y)
    if y.e != f[3].e:
        raise ValueError("validity is not two times")
    # [1] issuerUniqueID, [2] subjectUniqueID, [3] EXPLICIT Extensions
    pos = f[5].e
    while pos < tbs.e:
        _x_tlv(p, pos, tbs.e, &g)
        pos = g.e
        if g.tag != 0xA3:
            continue
        if g.s == g.e:
            raise ValueError("extensions is not a SEQUENCE")
        _x_tlv(p, g.s, g.e, &seq)
        if seq.e != g.e or seq.tag != 0x30:
            raise ValueError("extensions is not a SEQUENCE")
        q = seq.s
        while q < seq.e:
            _x_tlv(p, q, seq.e, &ext)
            _x_extension(p, &ext, part)  # its shape, as certificates._parse requires it
            extensions.append(_x_slice(p, ext.hdr, ext.e))
            q = ext.e
    return (_x_slice(p, tbs.hdr, tbs.e), _x_slice(p, alg.hdr, alg.e), alg_oid, _x_slice(p, sig.s + 1, sig.e),
            version, _x_slice(p, f[0].s, f[0].e),
            _x_slice(p, f[2].hdr, f[2].e), f[2].s - f[2].hdr, _x_slice(p, f[4].hdr, f[4].e), f[4].s - f[4].hdr,
            x.tag, _x_slice(p, x.s, x.e), y.tag, _x_slice(p, y.s, y.e),
            _x_slice(p, f[5].hdr, f[5].e), extensions)


from fastattest import _der as _pyder  # OID text and directory strings: one implementation, there


cdef dict _NAME_OIDS = {}  # attribute type OID contents -> dotted text (bounded)
cdef list _X520_TYPES = [_pyder.oid(bytes((0x55, 0x04, n))) for n in range(0x80)]  # "2.5.4.0" .. "2.5.4.127"


@cython.boundscheck(False)
def split_name(bytes der not None, object header):
    """RFC 5280 §4.1.2.4 Name (``der`` the whole SEQUENCE, its contents from ``header``) -> RDNs
    of (OID, text) pairs, each RDN's attributes sorted: what ``_der.parse_name`` returns, with
    the same refusals (ValueError), the TLV walk compiled."""
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(der)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(der)
    cdef Py_ssize_t pos, apos
    cdef _Tlv rdn, atv, o, v
    cdef list rdns = [], attrs
    if type(header) is not int or not 0 <= header <= n:  # any int, however large: ValueError
        raise ValueError("name header out of range")
    pos = header
    oid, decode_string, unique_identifier = _pyder.oid, _pyder.decode_string, _pyder._X500_UNIQUE_IDENTIFIER
    while pos < n:
        _x_tlv(p, pos, n, &rdn)
        if rdn.tag != 0x31:
            raise ValueError("a RelativeDistinguishedName is not a SET")
        attrs = []
        apos = rdn.s
        while apos < rdn.e:  # AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
            _x_tlv(p, apos, rdn.e, &atv)
            _x_tlv(p, atv.s, atv.e, &o)
            if atv.tag != 0x30 or o.tag != 0x06 or o.e >= atv.e:
                raise ValueError("an AttributeTypeAndValue is not SEQUENCE { OID, value }")
            _x_tlv(p, o.e, atv.e, &v)
            if v.e != atv.e:
                raise ValueError("an AttributeTypeAndValue is not SEQUENCE { OID, value }")
            if o.e - o.s == 3 and p[o.s] == 0x55 and p[o.s + 1] == 0x04 and p[o.s + 2] < 0x80:
                kind = _X520_TYPES[p[o.s + 2]]  # id-at (2.5.4.N, X.520): C, O, OU, CN, ...
            else:
                raw = _x_slice(p, o.s, o.e)
                kind = _NAME_OIDS.get(raw)
                if kind is None:  # decoded (or refused) by _der.oid; a few attribute types recur
                    kind = oid(raw)
                    if len(_NAME_OIDS) < 256:
                        _NAME_OIDS[raw] = kind
            if v.tag == 0x0C:  # UTF8String, decoded here; invalid UTF-8 is refused by _der's message
                try:
                    value = (<const char*>p)[v.s:v.e].decode("utf-8")
                except UnicodeDecodeError:
                    value = decode_string(v.tag, _x_slice(p, v.s, v.e))
            elif v.tag == 0x13 or v.tag == 0x16 or v.tag == 0x14 or v.tag == 0x1A or v.tag == 0x12:
                value = (<const char*>p)[v.s:v.e].decode("latin-1")  # _der._STRINGS: these read as latin-1
            elif v.tag == 0x03 and kind == unique_identifier:  # a BIT STRING
                value = _x_slice(p, v.s, v.e).hex()
            else:
                value = decode_string(v.tag, _x_slice(p, v.s, v.e))
            attrs.append((kind, value))
            apos = atv.e
        if not attrs:
            raise ValueError("an empty RelativeDistinguishedName")
        if len(attrs) > 1:
            attrs.sort()
        rdns.append(tuple(attrs))
        pos = rdn.e
    return tuple(rdns)
