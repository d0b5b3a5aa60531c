# Included by _core.pyx. Is an EC2 COSE key's point on its curve? (WebAuthn L3 §5.8.5 / D20)
#
# SEC 1 v2 §3.2.2.1 steps 1-3 for P-256, P-384 and P-521 (FIPS 186-5 / SP 800-186 §3.2.1):
# x, y < p and y^2 = x^3 - 3x + b (mod p). The curves have cofactor 1, so a point on the curve
# is in the prime-order group: this is full public-key validation. OpenSSL's check (building
# the key object) costs a scalar multiplication, ~20 us; Python integers ~1 us (a 768-bit
# remainder); this, Montgomery arithmetic on fixed 64-bit limbs, ~0.1 us.
#
# Every array is fixed-size (FA_EC_MAXL limbs) and every loop is bounded by the curve's limb
# count, which the caller never takes from the input. The coordinates' byte lengths were
# checked against the curve by _parse_cose before this runs.

cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    #define FA_EC_MAXL 9  /* P-521: 66-byte coordinates in 9 x 64-bit limbs */

    /* Three limb primitives, the only arithmetic wider than 64 bits. With a 128-bit integer
       type (GCC / Clang on 64-bit targets) the compiler emits mul/adc/sbb from them; without
       one (MSVC, 32-bit targets), or built with FASTATTEST_PORTABLE_INT=1 (setup.py) so CI
       tests this path, the product is assembled from 32-bit halves and carries are compared
       out. Both paths compute the same values (tests/test_ec_point.py runs against each). */
    #if !defined(FASTATTEST_PORTABLE_INT) && defined(__SIZEOF_INT128__)
    #define FA_EC_INT128 1
    typedef unsigned __int128 fa_u128;
    /* lo + 2^64 hi = a b + c + d: at most (2^64-1)^2 + 2 (2^64-1) = 2^128 - 1, no overflow */
    static CYTHON_INLINE uint64_t fa_mac(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t *hi) {
        fa_u128 s = (fa_u128)a * b + c + d;
        *hi = (uint64_t)(s >> 64);
        return (uint64_t)s;
    }
    /* a + b + cin (cin 0 or 1); *cout the carry out (0 or 1) */
    static CYTHON_INLINE uint64_t fa_adc(uint64_t a, uint64_t b, uint64_t cin, uint64_t *cout) {
        fa_u128 s = (fa_u128)a + b + cin;
        *cout = (uint64_t)(s >> 64);
        return (uint64_t)s;
    }
    /* a - b - bin (bin 0 or 1) mod 2^64; *bout the borrow out (0 or 1) */
    static CYTHON_INLINE uint64_t fa_sbb(uint64_t a, uint64_t b, uint64_t bin, uint64_t *bout) {
        fa_u128 s = (fa_u128)a - b - bin;
        *bout = (uint64_t)(s >> 64) & 1;
        return (uint64_t)s;
    }
    #else
    #define FA_EC_INT128 0
    static CYTHON_INLINE uint64_t fa_mac(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t *hi) {
        const uint64_t M = 0xffffffffu;
        uint64_t a0 = a & M, a1 = a >> 32, b0 = b & M, b1 = b >> 32;
        uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
        uint64_t mid = (p00 >> 32) + (p01 & M) + (p10 & M);       /* < 3 * 2^32: no overflow */
        uint64_t lo = (p00 & M) | (mid << 32);
        uint64_t h = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);  /* a b = lo + 2^64 h */
        lo += c;
        h += lo < c;
        lo += d;
        h += lo < d;                                               /* the sum fits in 128 bits */
        *hi = h;
        return lo;
    }
    static CYTHON_INLINE uint64_t fa_adc(uint64_t a, uint64_t b, uint64_t cin, uint64_t *cout) {
        uint64_t s = a + b, c1 = s < a;
        s += cin;
        *cout = c1 | (s < cin);  /* at most one of the two additions wraps */
        return s;
    }
    static CYTHON_INLINE uint64_t fa_sbb(uint64_t a, uint64_t b, uint64_t bin, uint64_t *bout) {
        uint64_t d = a - b, b1 = a < b;
        *bout = b1 | (d < bin);  /* at most one of the two subtractions wraps */
        return d - bin;
    }
    #endif
    typedef struct {
        int n;                  /* limbs */
        uint64_t p[FA_EC_MAXL]; /* the field prime, little-endian limbs */
        uint64_t n0;            /* -p^-1 mod 2^64 */
        uint64_t r2[FA_EC_MAXL];/* R^2 mod p, R = 2^(64n) */
        uint64_t bm[FA_EC_MAXL];/* b R mod p */
    } fa_curve;

    /* big-endian bytes (len <= 8 * n) -> little-endian limbs */
    static void fa_load(uint64_t *out, int n, const unsigned char *be, Py_ssize_t len) {
        Py_ssize_t i, bit;
        memset(out, 0, sizeof(uint64_t) * FA_EC_MAXL);
        for (i = 0; i < len; i++) {
            bit = (len - 1 - i) * 8;
            out[bit / 64] |= (uint64_t)be[i] << (bit % 64);
        }
        (void)n;
    }

    /* a >= b ? */
    static int fa_ge(const uint64_t *a, const uint64_t *b, int n) {
        int i;
        for (i = n - 1; i >= 0; i--) {
            if (a[i] != b[i]) return a[i] > b[i];
        }
        return 1;
    }

    /* r = a b R^-1 mod p for a, b < p (CIOS, Koc et al. 1996); r < p */
    static void fa_mont_mul(uint64_t *r, const uint64_t *a, const uint64_t *b, const fa_curve *c) {
        uint64_t t[FA_EC_MAXL + 2], d[FA_EC_MAXL], m, carry, borrow, hi;
        int i, j, n = c->n;
        memset(t, 0, sizeof(t));
        for (i = 0; i < n; i++) {
            carry = 0;
            for (j = 0; j < n; j++) {
                t[j] = fa_mac(a[j], b[i], t[j], carry, &carry);
            }
            t[n] = fa_adc(t[n], carry, 0, &t[n + 1]);
            m = t[0] * c->n0;
            (void)fa_mac(m, c->p[0], t[0], 0, &carry);  /* the low limb is 0 by choice of m */
            for (j = 1; j < n; j++) {
                t[j - 1] = fa_mac(m, c->p[j], t[j], carry, &carry);
            }
            t[n - 1] = fa_adc(t[n], carry, 0, &hi);
            t[n] = t[n + 1] + hi;
        }
        /* t < 2p: subtract p once if t >= p */
        borrow = 0;
        for (j = 0; j < n; j++) {
            d[j] = fa_sbb(t[j], c->p[j], borrow, &borrow);
        }
        memcpy(r, (t[n] || !borrow) ? d : t, sizeof(uint64_t) * n);
    }

    /* r = a - b mod p for a, b < p */
    static void fa_sub_mod(uint64_t *r, const uint64_t *a, const uint64_t *b, const fa_curve *c) {
        uint64_t borrow = 0, carry = 0;
        int j, n = c->n;
        for (j = 0; j < n; j++) {
            r[j] = fa_sbb(a[j], b[j], borrow, &borrow);
        }
        if (borrow) {
            for (j = 0; j < n; j++) {
                r[j] = fa_adc(r[j], c->p[j], carry, &carry);
            }
        }
    }

    /* r = a + b mod p for a, b < p */
    static void fa_add_mod(uint64_t *r, const uint64_t *a, const uint64_t *b, const fa_curve *c) {
        uint64_t carry = 0, borrow = 0, d[FA_EC_MAXL];
        int j, n = c->n;
        for (j = 0; j < n; j++) {
            r[j] = fa_adc(a[j], b[j], carry, &carry);
        }
        for (j = 0; j < n; j++) {
            d[j] = fa_sbb(r[j], c->p[j], borrow, &borrow);
        }
        if (carry || !borrow) memcpy(r, d, sizeof(uint64_t) * n);
    }

    /* 1: (x, y) is on the curve; 0: it is not, or a coordinate is >= p */
    static int fa_on_curve(const fa_curve *c, const unsigned char *xb, const unsigned char *yb, Py_ssize_t len) {
        uint64_t x[FA_EC_MAXL], y[FA_EC_MAXL], xm[FA_EC_MAXL], ym[FA_EC_MAXL];
        uint64_t y2[FA_EC_MAXL], x2[FA_EC_MAXL], rhs[FA_EC_MAXL];
        if (c->n <= 0 || c->n > FA_EC_MAXL || len <= 0 || len > 8 * c->n) return 0;
        fa_load(x, c->n, xb, len);
        fa_load(y, c->n, yb, len);
        if (fa_ge(x, c->p, c->n) || fa_ge(y, c->p, c->n)) return 0;
        fa_mont_mul(xm, x, c->r2, c);     /* x R */
        fa_mont_mul(ym, y, c->r2, c);     /* y R */
        fa_mont_mul(y2, ym, ym, c);       /* y^2 R */
        fa_mont_mul(x2, xm, xm, c);       /* x^2 R */
        fa_mont_mul(rhs, x2, xm, c);      /* x^3 R */
        fa_sub_mod(rhs, rhs, xm, c);
        fa_sub_mod(rhs, rhs, xm, c);
        fa_sub_mod(rhs, rhs, xm, c);      /* (x^3 - 3x) R */
        fa_add_mod(rhs, rhs, c->bm, c);   /* (x^3 - 3x + b) R */
        return memcmp(y2, rhs, sizeof(uint64_t) * c->n) == 0;
    }
    """
    ctypedef struct fa_curve:
        int n
        uint64_t p[9]
        uint64_t n0
        uint64_t r2[9]
        uint64_t bm[9]
    int fa_on_curve(const fa_curve* c, const unsigned char* xb, const unsigned char* yb, Py_ssize_t length) nogil
    int FA_EC_INT128


# COSE crv (RFC 9053 §7.1) -> (p, b): P-256, P-384, P-521 (SP 800-186 §3.2.1; a = -3 for all)
_EC_P_B = {
    1: (2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B),
    2: (2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF),
    3: (2**521 - 1,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00),
}
cdef fa_curve _EC_CURVE[4]  # indexed by COSE crv 1..3


cdef void _ec_init() except *:
    cdef int crv, i, n
    cdef object mask = (1 << 64) - 1
    for crv, (p, b) in _EC_P_B.items():
        n = (p.bit_length() + 63) // 64
        R = (<object>1) << (64 * n)  # a Python int: 2^256 and up
        _EC_CURVE[crv].n = n
        _EC_CURVE[crv].n0 = (-pow(p, -1, 1 << 64)) & mask
        r2, bm = R * R % p, b * R % p
        for i in range(9):
            _EC_CURVE[crv].p[i] = (p >> (64 * i)) & mask
            _EC_CURVE[crv].r2[i] = (r2 >> (64 * i)) & mask
            _EC_CURVE[crv].bm[i] = (bm >> (64 * i)) & mask


_ec_init()


cdef bint _ec_on_curve(int crv, bytes x, bytes y):
    """x and y: big-endian coordinates of equal length (checked by the caller)."""
    if crv < 1 or crv > 3 or PyBytes_GET_SIZE(x) != PyBytes_GET_SIZE(y):
        return False
    return fa_on_curve(&_EC_CURVE[crv], <const unsigned char*>PyBytes_AS_STRING(x),
                       <const unsigned char*>PyBytes_AS_STRING(y), PyBytes_GET_SIZE(x)) == 1


#: True when the limb arithmetic above uses the compiler's 128-bit integers; False for the
#: portable 32-bit-halves path (MSVC, or a build with FASTATTEST_PORTABLE_INT=1).
EC_INT128 = FA_EC_INT128 == 1


def ec_point_on_curve(crv, x, y) -> bool:
    """Is (x, y) (big-endian, equal lengths) a point of COSE curve ``crv`` (1, 2, 3: P-256,
    P-384, P-521)? For tests and callers outside the COSE parser."""
    if type(crv) is not int or type(x) is not bytes or type(y) is not bytes:
        _fail("input.type", "ec_point_on_curve takes an int curve and two byte strings")
    if crv < 1 or crv > 3:
        return False
    return _ec_on_curve(crv, x, y)
