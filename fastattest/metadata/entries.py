"""Metadata BLOB payload entries (FIDO MDS3 §3.1.1 MetadataBLOBPayloadEntry), their status
reports (§3.1.3 StatusReport) and the AuthenticatorStatus values (§3.1.4), with the status
semantics in effect at a given moment (catalogue B12, :meth:`MetadataEntry.status_at`).

Ingest is tolerant (§3.2 step 8): what cannot be read in an entry is listed in
``entry.problems`` and left out; unknown statuses are kept in the raw statement and ignored by
the status logic ("Unknown AuthenticatorStatus values MUST be ignored", §3.1.4).

Status policy: the latest report in effect decides, unknown statuses are ignored, and a
compromise (ATTESTATION_KEY_COMPROMISE, USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE,
USER_KEY_PHYSICAL_COMPROMISE, REVOKED) is never undone by a later report: authenticators already
in the field stay affected.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from .. import certificates, trust
from ..errors import FastAttestError
from ._common import b64, parse_date

__all__ = ["CERTIFIED_STATUSES", "COMPROMISE_STATUSES", "KNOWN_STATUSES", "MetadataEntry", "StatusReport"]

# FIDO MDS3 §3.1.4 AuthenticatorStatus (3.1.1 adds RETIRED)
CERTIFIED_STATUSES = frozenset(
    {
        "FIDO_CERTIFIED",
        "FIDO_CERTIFIED_L1",
        "FIDO_CERTIFIED_L1plus",
        "FIDO_CERTIFIED_L2",
        "FIDO_CERTIFIED_L2plus",
        "FIDO_CERTIFIED_L3",
        "FIDO_CERTIFIED_L3plus",
    }
)
COMPROMISE_STATUSES = frozenset(
    {
        "ATTESTATION_KEY_COMPROMISE",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
        "REVOKED",
    }
)
KNOWN_STATUSES = (
    CERTIFIED_STATUSES
    | COMPROMISE_STATUSES
    | frozenset({"NOT_FIDO_CERTIFIED", "SELF_ASSERTION_SUBMITTED", "UPDATE_AVAILABLE", "RETIRED"})
)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One MDS3 StatusReport (§3.1.3). ``effective_date`` None: in effect since always."""

    status: str
    effective_date: date | None = None
    certificate: bytes | None = None  # DER, for ATTESTATION_KEY_COMPROMISE
    authenticator_version: int | None = None
    url: str | None = None
    certification_descriptor: str | None = None
    certificate_number: str | None = None
    certification_policy_version: str | None = None
    certification_requirements_version: str | None = None
    sunset_date: date | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def known(self) -> bool:
        return self.status in KNOWN_STATUSES


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _report(raw: Mapping[str, Any]) -> StatusReport:
    version = raw.get("authenticatorVersion")
    return StatusReport(
        status=raw["status"],
        effective_date=parse_date(raw.get("effectiveDate")),
        certificate=b64(raw.get("certificate")),
        authenticator_version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        url=_str(raw.get("url")),
        certification_descriptor=_str(raw.get("certificationDescriptor")),
        certificate_number=_str(raw.get("certificateNumber")),
        certification_policy_version=_str(raw.get("certificationPolicyVersion")),
        certification_requirements_version=_str(raw.get("certificationRequirementsVersion")),
        sunset_date=parse_date(raw.get("sunsetDate")),
        raw=raw,
    )


_LOCK = threading.Lock()


class MetadataEntry:
    """One MDS3 MetadataBLOBPayloadEntry (§3.1.1) with its metadata statement.

    Immutable: attributes cannot be set. The raw entry dict is in ``raw``, the raw metadata
    statement in ``statement``. ``problems`` lists what was ignored while reading the entry
    (undecodable certificates, malformed reports).
    """

    __slots__ = (
        "aaguid",
        "aaid",
        "attestation_certificate_key_identifiers",
        "description",
        "status",
        "status_reports",
        "attestation_root_certificates",
        "statement",
        "certification_level",
        "time_of_last_status_change",
        "raw",
        "problems",
        "_effective",
        "_trust_store",
        "_in_effect_memo",
    )

    aaguid: uuid.UUID | None
    aaid: str | None
    attestation_certificate_key_identifiers: tuple[str, ...]
    description: str
    status: str | None
    status_reports: tuple[StatusReport, ...]
    attestation_root_certificates: tuple[bytes, ...]
    statement: Mapping[str, Any]
    certification_level: str | None
    time_of_last_status_change: date | None
    raw: Mapping[str, Any]
    problems: tuple[str, ...]
    _effective: tuple[StatusReport, ...]
    _trust_store: trust.TrustStore | None
    _in_effect_memo: tuple[Any, date, tuple[StatusReport, ...]]

    def __init__(self, raw: Mapping[str, Any], *, aaguid: uuid.UUID | None = None, key_identifiers: tuple[str, ...] = ()) -> None:
        put = object.__setattr__
        problems: list[str] = []
        statement = raw.get("metadataStatement")
        if not isinstance(statement, dict):
            statement = {}
        put(self, "raw", raw)
        put(self, "statement", statement)
        put(self, "aaguid", aaguid)
        aaid = raw.get("aaid", statement.get("aaid"))
        put(self, "aaid", aaid if isinstance(aaid, str) else None)
        put(self, "attestation_certificate_key_identifiers", key_identifiers)
        description = statement.get("description")
        put(self, "description", description if isinstance(description, str) else "")
        reports: list[StatusReport] = []
        raw_reports = raw.get("statusReports")
        for i, r in enumerate(raw_reports if isinstance(raw_reports, list) else ()):
            if not isinstance(r, dict) or not isinstance(r.get("status"), str):
                problems.append(f"statusReports[{i}] is not a report with a status string")
                continue
            report = _report(r)
            if r.get("effectiveDate") is not None and report.effective_date is None:
                problems.append(f"statusReports[{i}] effectiveDate is not YYYY-MM-DD")
            if r.get("certificate") is not None and report.certificate is None:
                problems.append(f"statusReports[{i}] certificate is not base64 DER")
            reports.append(report)
        put(self, "status_reports", tuple(reports))
        # Reports in the order they took effect (a report without a date counts as the oldest);
        # the BLOB lists them chronologically, which the stable sort keeps for equal dates.
        effective = sorted((r for r in reports if r.known), key=lambda r: r.effective_date or date.min)
        put(self, "_effective", tuple(effective))
        put(self, "status", effective[-1].status if effective else None)
        certified = [r.status for r in effective if r.status in CERTIFIED_STATUSES]
        put(self, "certification_level", certified[-1] if certified else None)
        put(self, "time_of_last_status_change", parse_date(raw.get("timeOfLastStatusChange")))
        roots: list[bytes] = []
        raw_roots = statement.get("attestationRootCertificates")
        for i, c in enumerate(raw_roots if isinstance(raw_roots, list) else ()):
            der = b64(c)
            if der is None:
                problems.append(f"attestationRootCertificates[{i}] is not base64 DER")
            else:
                roots.append(der)
        put(self, "attestation_root_certificates", tuple(dict.fromkeys(roots)))
        put(self, "problems", tuple(problems))
        put(self, "_trust_store", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"MetadataEntry is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        ident = self.aaguid or self.aaid or ",".join(self.attestation_certificate_key_identifiers[:2])
        return f"MetadataEntry({ident}, {self.description!r}, status={self.status!r})"

    @property
    def metadata_statement(self) -> Mapping[str, Any]:
        return self.statement

    @property
    def trust_store(self) -> trust.TrustStore:
        """The entry's attestationRootCertificates as a TrustStore, built once (on first use).

        These anchors vouch for this entry only (X06). A root that does not parse is left out
        (and listed in ``problems``) rather than disabling the others.
        """
        store = self._trust_store
        if store is not None:
            return store
        with _LOCK:
            if self._trust_store is None:
                good: list[bytes] = []
                bad: list[str] = []
                for i, der in enumerate(self.attestation_root_certificates):
                    try:
                        certificates.load(der)
                        good.append(der)
                    except FastAttestError as exc:
                        bad.append(f"attestationRootCertificates[{i}] is not a usable certificate: {exc.message}")
                try:
                    store = trust.store_from(good)
                except FastAttestError:  # cannot happen after load(); stay safe: no anchors
                    store = trust.store_from(())
                if bad:
                    object.__setattr__(self, "problems", self.problems + tuple(bad))
                object.__setattr__(self, "_trust_store", store)
            assert self._trust_store is not None
            return self._trust_store

    def _in_effect(self, now: datetime | date | None) -> tuple[StatusReport, ...]:
        memo: tuple[Any, date, tuple[StatusReport, ...]] | None = getattr(self, "_in_effect_memo", None)  # (now, day, reports): a batch asks with one `now` object
        if memo is not None and memo[0] is now and now is not None:
            return memo[2]
        if now is None:
            today = datetime.now(timezone.utc).date()
        elif isinstance(now, datetime):
            today = now.date() if now.tzinfo is None else now.astimezone(timezone.utc).date()
        else:
            today = now
        if memo is not None and memo[1] == today:  # one day remembered: every call of a batch asks about today
            reports = memo[2]
        else:
            reports = tuple(r for r in self._effective if r.effective_date is None or r.effective_date <= today)
        object.__setattr__(self, "_in_effect_memo", (now, today, reports))
        return reports

    def status_at(self, now: datetime | date | None = None) -> str | None:
        """The authenticator status in effect at ``now`` (MDS3 §3.1.3-§3.1.4, catalogue B12).

        Policy: reports with a future effectiveDate are not yet in effect; reports with an
        unknown status are ignored (MDS3: unknown values MUST be ignored); the latest report in
        effect decides, except that a compromise (ATTESTATION_KEY_COMPROMISE,
        USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE, USER_KEY_PHYSICAL_COMPROMISE,
        REVOKED) is sticky: a later FIDO_CERTIFIED*, UPDATE_AVAILABLE or other non-compromise
        report does not undo it, because authenticators already in the field stay affected
        (go-webauthn #736; fido2-net-lib #288 reads UPDATE_AVAILABLE differently, which is why
        this is stated here). A later compromise replaces an earlier one.
        """
        reports = self._in_effect(now)
        if not reports:
            return None
        for r in reversed(reports):
            if r.status in COMPROMISE_STATUSES:
                return r.status
        return reports[-1].status

    def rejection(self, path: Sequence[bytes], now: datetime | date | None, rejected_statuses: Iterable[str]) -> str | None:
        """The status that rejects a registration whose validated chain is ``path``, or None.

        A compromise status in effect rejects even when a later report exists (sticky, see
        :meth:`status_at`); any other status in ``rejected_statuses`` rejects only while it is
        the latest report in effect. ATTESTATION_KEY_COMPROMISE with a ``certificate`` rejects
        only chains that contain that certificate (DER comparison, MDS3 §3.1.3); without one it
        rejects every chain.
        """
        rejected = rejected_statuses if isinstance(rejected_statuses, (set, frozenset)) else frozenset(rejected_statuses)
        reports = self._in_effect(now)
        if not reports:
            return None
        latest = reports[-1]
        chain = set(path)
        for r in reversed(reports):
            if r.status not in rejected:
                continue
            if r is not latest and r.status not in COMPROMISE_STATUSES:
                continue
            if r.status == "ATTESTATION_KEY_COMPROMISE" and r.certificate is not None and r.certificate not in chain:
                continue
            return r.status
        return None
