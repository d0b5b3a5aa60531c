"""Fuzz target: the compiled X.509 splitter (fastattest/_x509.pxi, RFC 5280 §4.1) and DER
element reader (fastattest/_asn1.pxi, X.690 §8.1, android-key's KeyDescription).

The first byte picks the function:
- even: ``_core.split_certificate(rest)``; oracle: it gives the same parts as the pure-Python
  ``_der``-based reference of tests/test_x509_split.py, or both refuse (ValueError); when it
  accepts, ``split_name`` on the issuer and subject it returned agrees with ``_der.parse_name``
  and ``split_extension`` on each extension with the reference's reading.
- 1 modulo 4: ``_core.split_name(rest[1:], header=rest[0])``, against ``_der.parse_name``.
- 3 modulo 4: ``_core.der_elements(rest)``; oracle: the same elements as
  tests/asn1_reference.py's ``python_elements``, or a ValueError with the same message.
Only ValueError (the core's refusal) and VerificationError may escape. Inputs over
certificates.MAX_CERT_SIZE are skipped: certificates.load refuses them before the core sees them."""
from __future__ import annotations

import _harness  # noqa: F401
from _harness import check, main
from fastattest import _core, _der
from fastattest.certificates import MAX_CERT_SIZE
from asn1_reference import python_elements  # tests/ is on sys.path (_harness)
from test_x509_split import _extension, reference  # one reference, there

_REFUSED = "refused"


def _outcome(fn, *args) -> object:
    try:
        return fn(*args)
    except ValueError:  # the core's refusal; _der.DerError is a ValueError too
        return _REFUSED


def _names_agree(name: bytes, header: int) -> None:
    got = _outcome(_core.split_name, name, header)
    want = _outcome(_der.parse_name, name, header, len(name))
    if got != want:
        raise AssertionError(f"split_name({name.hex()}, {header}) = {got!r}, _der.parse_name: {want!r}")


def _message(fn, data: bytes) -> object:
    try:
        return fn(data)
    except ValueError as exc:
        return (_REFUSED, str(exc))


def _one(data: bytes) -> None:
    if len(data) < 2 or len(data) - 1 > MAX_CERT_SIZE:
        return
    body = data[1:]
    if data[0] & 3 == 3:
        got, want = _message(_core.der_elements, body), _message(python_elements, body)
        if got != want:
            raise AssertionError(f"der_elements = {got!r}, python_elements: {want!r}")
    elif data[0] & 1 == 0:
        got = _outcome(_core.split_certificate, body)
        want = _outcome(reference, body)
        if got != want:
            raise AssertionError(f"split_certificate = {got!r}, reference: {want!r}")
        if got is not _REFUSED:
            _names_agree(got[6], got[7])  # issuer DER, header length
            _names_agree(got[8], got[9])  # subject
            for ext in got[15]:  # each Extension, read by split_extension as the reference reads it
                if _core.split_extension(ext) != _extension(ext):
                    raise AssertionError(f"split_extension({ext.hex()}) disagrees with the reference")
    else:
        header, name = body[0], body[1:]
        if header > len(name):  # the core refuses it; the reference reads nothing (start > end)
            if _outcome(_core.split_name, name, header) is not _REFUSED:
                raise AssertionError(f"split_name accepted header {header} past {len(name)} bytes")
            return
        _names_agree(name, header)


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
