"""TCG TPM vendor IDs, for the tcg-at-tpmManufacturer attribute of an AIK certificate.

WebAuthn L3 §8.3.1 requires the AIK certificate's subject alternative name to follow the TCG EK
Credential Profile §3.2.9, whose TPMManufacturer attribute is ``"id:"`` followed by the vendor's
4-byte TPM_PT_MANUFACTURER value in hexadecimal. The values below are the TCG "TPM Vendor ID
Registry, Family 1.2 and 2.0", Version 1.07 Revision 0.02
(https://trustedcomputinggroup.org/resource/vendor-id-registry/), cross-checked against the
lists other WebAuthn servers ship (WebAuthn.Net, Shark.Fido2, fido2-net-lib).

The FIDO conformance tools sign with the test vendor ``id:FFFFF1D0``; it is *not* accepted by
default: ``Policy(allow_fido_conformance_tpm_vendor=True)`` accepts it (``extra`` of
:func:`is_registered` takes it and any ``Policy.tpm_vendors``).
"""
from __future__ import annotations

from typing import Collection

#: TPM_PT_MANUFACTURER (as 8 upper-case hex digits) -> vendor, TCG registry v1.07 rev 0.02
TPM_VENDORS: dict[str, str] = {
    "414D4400": "AMD",
    "414E5400": "Ant Group",
    "41544D4C": "Atmel",
    "4252434D": "Broadcom",
    "4353434F": "Cisco",
    "464C5953": "Flyslice Technologies",
    "524F4343": "Fuzhou Rockchip",
    "474F4F47": "Google",
    "48504900": "HPI",
    "48504500": "HPE",
    "48495349": "Huawei (HiSilicon)",
    "49424D00": "IBM",
    "49465800": "Infineon",
    "494E5443": "Intel",
    "4C454E00": "Lenovo",
    "4D534654": "Microsoft",
    "4E534D20": "National Semiconductor",
    "4E545A00": "Nationz",
    "4E534700": "NSING",
    "4E544300": "Nuvoton Technology",
    "51434F4D": "Qualcomm",
    "534D534E": "Samsung",
    "53454345": "SecEdge",
    "534E5300": "Sinosun",
    "534D5343": "SMSC",
    "53544D20": "STMicroelectronics",
    "54584E00": "Texas Instruments",
    "57454300": "Winbond",
    "5345414C": "Wisekey",
}

#: The FIDO Alliance conformance tools' test vendor; never accepted unless asked for.
CONFORMANCE_TEST_VENDOR = "FFFFF1D0"

_HEX = frozenset("0123456789ABCDEF")


def vendor_id(value: str) -> str | None:
    """``"id:4E544300"`` -> ``"4E544300"``; None when the value is not ``id:`` + 8 hex digits.

    The hex digits are compared case-insensitively (some certificates use lower case)."""
    if not isinstance(value, str) or len(value) != 11 or value[:3].lower() != "id:":
        return None
    digits = value[3:].upper()
    return digits if set(digits) <= _HEX else None


def vendor_name(value: str, extra: Collection[str] = ()) -> str | None:
    """The registered vendor named by a tcg-at-tpmManufacturer value, or None."""
    vid = vendor_id(value)
    if vid is None:
        return None
    if vid in TPM_VENDORS:
        return TPM_VENDORS[vid]
    if vid in {e.upper() for e in extra}:
        return vid
    return None


def is_registered(value: str, extra: Collection[str] = ()) -> bool:
    """Is ``value`` (``"id:XXXXXXXX"``) a TCG-registered TPM manufacturer (or one of ``extra``)?"""
    return vendor_name(value, extra) is not None
