# The PublicKeyCredential JSON envelope (WebAuthn L3 §5.1, toJSON()) once JSON-decoded: the
# members a ceremony reads, binary ones base64-decoded (b64decode: base64url or standard,
# padding optional, canonical). Included by _core.pyx. It runs in front of every check of
# every ceremony, so it is compiled; the rules are response.py's docstring.


cdef class Envelope:
    cdef readonly bytes credential_id         # rawId (id when rawId is absent), checked equal to id (D10)
    cdef readonly bytes client_data_json
    cdef readonly object attestation_object   # bytes for a registration, else None
    cdef readonly object authenticator_data   # bytes for an assertion, else None
    cdef readonly object signature            # bytes for an assertion, else None
    cdef readonly object user_handle          # bytes or None
    cdef readonly tuple transports            # str items
    cdef readonly object authenticator_attachment  # str or None
    cdef readonly object client_extension_results  # a mapping

    def __repr__(self) -> str:
        return "Envelope(credential_id=%s, transports=%r)" % (self.credential_id.hex(), self.transports)


cdef object _member(dict d, str name, str where):
    v = d.get(name, _MISSING)
    if v is _MISSING:
        _fail("response.missing_field", "%s lacks %s" % (where, name))
    return v


cdef dict _as_dict(object m, str what):
    if type(m) is dict:
        return <dict>m
    if isinstance(m, Mapping):
        return dict(m)
    _fail("response.malformed", "%s is not an object" % what)


def parse_envelope(obj, bint registration) -> Envelope:
    """The decoded envelope of a registration (attestationObject) or an assertion
    (authenticatorData, signature, userHandle). Codes: response.type, response.malformed,
    response.missing_field, response.invalid_base64, response.credential_id_mismatch."""
    cdef dict o = _as_dict(obj, "response")
    if o.get("type", "public-key") != "public-key":
        _fail("response.type", "credential type is not public-key")
    cdef dict inner = _as_dict(_member(o, "response", "response"), "response.response")
    raw = o.get("rawId", _MISSING)
    cdef bytes raw_id = _b64decode_value(_member(o, "id", "response") if raw is _MISSING else raw, "rawId")
    id_ = o.get("id", _MISSING)  # when rawId is absent, raw_id was decoded from id itself
    if raw is not _MISSING and id_ is not _MISSING and id_ != raw and _b64decode_value(id_, "id") != raw_id:
        _fail("response.credential_id_mismatch", "id and rawId differ")
    cdef Envelope env = Envelope.__new__(Envelope)
    env.credential_id = raw_id
    env.client_data_json = _b64decode_value(_member(inner, "clientDataJSON", "response.response"), "clientDataJSON")
    transports = inner.get("transports", o.get("transports", ())) or ()
    if type(transports) is not list and not isinstance(transports, tuple):
        _fail("response.malformed", "transports is not a list of strings")
    for t in transports:
        if not isinstance(t, str):
            _fail("response.malformed", "transports is not a list of strings")
    env.transports = tuple(transports)
    ext = o.get("clientExtensionResults") or {}
    if type(ext) is not dict and not isinstance(ext, Mapping):
        _fail("response.malformed", "clientExtensionResults is not an object")
    env.client_extension_results = ext
    attachment = o.get("authenticatorAttachment")
    env.authenticator_attachment = attachment if isinstance(attachment, str) else None
    if registration:
        env.attestation_object = _b64decode_value(
            _member(inner, "attestationObject", "response.response"), "attestationObject")
        return env
    env.authenticator_data = _b64decode_value(
        _member(inner, "authenticatorData", "response.response"), "authenticatorData")
    env.signature = _b64decode_value(_member(inner, "signature", "response.response"), "signature")
    uh = inner.get("userHandle")
    env.user_handle = _b64decode_value(uh, "userHandle") if uh else None
    return env


cdef extern from "Python.h":
    int PyObject_GenericSetDict(object o, object value, void* context) except -1


def registration_record(cls, AuthenticatorData ad not None, Envelope env not None, res, alg, now, user_handle):
    """``cls`` (relying_party.Credential) for a verified registration, built from authenticator
    data, the envelope and the AttestationResult with its instance dict set in one step: the
    frozen dataclass ``__init__`` would make 20 ``object.__setattr__`` calls (~3 us; the values
    are already normalised). The field list is Credential's, in its order (a test compares)."""
    trust_path = res.trust_path
    cdef dict d = {
        "credential_id": ad.credential_id,
        "public_key": ad.credential_public_key,
        "sign_count": ad.sign_count,
        "algorithm": alg,
        "aaguid": res.aaguid,
        "fmt": res.fmt,
        "attestation_type": res.attestation_type,
        "trusted": res.trusted,
        "trust_path": trust_path if type(trust_path) is tuple else tuple(trust_path),
        "metadata": res.metadata,
        "user_verified": ad.user_verified,
        "backup_eligible": ad.backup_eligible,
        "backed_up": ad.backed_up,
        "transports": env.transports,
        "attestation_object": env.attestation_object,
        "client_data_json": env.client_data_json,
        "registered_at": now,
        "status": res.status,
        "trust_error": res.trust_error,
        "user_handle": user_handle,
    }
    obj = object.__new__(cls)
    PyObject_GenericSetDict(obj, d, NULL)
    return obj
