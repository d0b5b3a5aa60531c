// fastattest example relying party: the browser half of registration and sign-in.
// Test-only query flags: ?tamper=signature flips a byte of the assertion signature before it
// is posted; ?manual=1 builds the JSON by hand instead of PublicKeyCredential.toJSON();
// ?downgrade=uv asks the authenticator for no user verification whatever the server's options
// say (a client ignoring them: the server's ceremony state must refuse the response).
"use strict";
(() => {
  const params = new URLSearchParams(location.search);
  const TAMPER = params.get("tamper");
  const MANUAL = params.get("manual") === "1";
  const DOWNGRADE = params.get("downgrade");
  const $ = (id) => document.getElementById(id);

  // ---- base64url helpers ----------------------------------------------------------------
  function toBytes(buf) {
    if (buf instanceof Uint8Array) return buf;
    if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    return new Uint8Array(buf);
  }
  function b64urlEncode(buf) {
    let s = "";
    for (const b of toBytes(buf)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function b64urlDecode(str) {
    let s = str.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  // ---- options JSON -> WebAuthn dictionaries (WebAuthn L3 §5.1.9 parse*FromJSON) ----------
  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: b64urlDecode(c.id) }));
  function creationOptions(o) {
    if (DOWNGRADE === "uv") o = { ...o, authenticatorSelection: { ...o.authenticatorSelection, userVerification: "discouraged" } };
    if (!MANUAL && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      demo.parsedWith = "parseCreationOptionsFromJSON";
      return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    }
    demo.parsedWith = "manual";
    return { ...o, challenge: b64urlDecode(o.challenge), user: { ...o.user, id: b64urlDecode(o.user.id) },
             excludeCredentials: descriptors(o.excludeCredentials) };
  }
  function requestOptions(o) {
    if (DOWNGRADE === "uv") o = { ...o, userVerification: "discouraged" };
    if (!MANUAL && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      demo.parsedWith = "parseRequestOptionsFromJSON";
      return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    }
    demo.parsedWith = "manual";
    return { ...o, challenge: b64urlDecode(o.challenge), allowCredentials: descriptors(o.allowCredentials) };
  }

  // ---- PublicKeyCredential -> JSON (WebAuthn L3 §5.1.8 toJSON) -----------------------------
  function credentialJSON(cred) {
    if (!MANUAL && typeof cred.toJSON === "function") return cred.toJSON();
    const r = cred.response;
    const json = {
      id: cred.id, rawId: b64urlEncode(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: b64urlEncode(r.clientDataJSON) },
    };
    if (cred.authenticatorAttachment) json.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      json.response.attestationObject = b64urlEncode(r.attestationObject);
      json.response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      json.response.authenticatorData = b64urlEncode(r.authenticatorData);
      json.response.signature = b64urlEncode(r.signature);
      if (r.userHandle) json.response.userHandle = b64urlEncode(r.userHandle);
    }
    return json;
  }

  // ---- server calls -------------------------------------------------------------------------
  async function post(url, body) {
    const resp = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                    body: JSON.stringify(body) });
    let data;
    try { data = await resp.json(); } catch (e) { data = { ok: false, error: { code: "http." + resp.status, message: resp.statusText } }; }
    return data;
  }

  const demo = { lastVerify: null, lastResult: null, manual: MANUAL, tamper: TAMPER, parsedWith: null };
  window.fastattestDemo = demo;

  // ---- result area --------------------------------------------------------------------------
  const text = (v) => (v === null || v === undefined || v === "" ? "\u2014" : String(v));
  function setState(state, operation) {
    $("result").dataset.state = state;
    $("result-status").textContent = state;
    $("result-operation").textContent = operation ? "(" + operation + ")" : "";
  }
  function render(data, operation) {
    demo.lastResult = data;
    if (!data || !data.ok) {
      const err = (data && data.error) || { code: "unknown", message: "no response" };
      $("result-table").hidden = true;
      $("error").hidden = false;
      $("error-code").textContent = err.code;
      $("error-message").textContent = err.message;
      setState("error", operation);
      return data;
    }
    const r = data.result;
    $("error").hidden = true;
    $("result-table").hidden = false;
    $("result-username").textContent = data.username;
    $("result-name").textContent = text(r.name);
    renderPasskeys(data.passkeys);
    $("result-credential-id").textContent = r.credentialId;
    $("result-fmt").textContent = r.fmt;
    $("result-attestation-type").textContent = r.attestationType;
    $("result-trusted").textContent = r.trusted ? "trusted" : "not trusted";
    $("result-trust-error").textContent = text(r.trustError);
    $("result-aaguid").textContent = r.aaguid;
    $("result-algorithm").textContent = r.algorithmName + " (" + r.algorithm + ")";
    $("result-metadata-description").textContent = r.metadataConfigured ? text(r.metadataDescription) : "(metadata not configured)";
    $("result-metadata-status").textContent = r.metadataConfigured ? text(r.metadataStatus) : "(metadata not configured)";
    $("result-sign-count").textContent = String(r.signCount);
    $("result-uv").textContent = r.userVerified ? "yes" : "no";
    $("result-backup").textContent = text(r.backupEligible) + " / " + text(r.backedUp);
    $("result-transports").textContent = text((r.transports || []).join(", "));
    $("result-discoverable").textContent = r.discoverable === undefined ? "\u2014" : (r.discoverable ? "yes" : "no");
    setState("ok", operation);
    return data;
  }
  // the user's passkeys, each under its display name (Credential.authenticator_name)
  function renderPasskeys(list) {
    const ul = $("passkey-list");
    ul.textContent = "";
    for (const p of list || []) {
      const li = document.createElement("li");
      li.dataset.credentialId = p.credentialId;
      const name = document.createElement("strong");
      name.className = "passkey-name";
      name.textContent = p.name;
      const meta = document.createElement("span");
      meta.className = "muted small";
      meta.textContent = " " + (p.synced ? "synced" : "device-bound") + " \u00b7 created " +
        new Date(p.created * 1000).toLocaleString() + (p.lastUsed ? " \u00b7 last used " + new Date(p.lastUsed * 1000).toLocaleString() : "");
      li.append(name, meta);
      ul.append(li);
    }
    $("passkeys").hidden = !(list && list.length);
  }
  function browserError(e, operation) {
    return render({ ok: false, error: { code: "browser." + (e && e.name || "Error"), message: String(e && e.message || e) } }, operation);
  }

  // ---- ceremonies ---------------------------------------------------------------------------
  async function register() {
    setState("pending", "register");
    try {
      const alg = $("algorithm").value;
      const opts = await post("/register/options", {
        username: $("username").value,
        attestation: $("attestation").value,
        residentKey: $("resident-key").value,
        userVerification: $("user-verification").value,
        algorithms: alg === "all" ? [-7, -257, -8] : [parseInt(alg, 10)],
      });
      if (opts.ok === false) return render(opts, "register");
      const cred = await navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) });
      const body = { ceremonyId: opts.ceremonyId, credential: credentialJSON(cred) };
      demo.lastVerify = { url: "/register/verify", body };
      return render(await post("/register/verify", body), "register");
    } catch (e) {
      return browserError(e, "register");
    }
  }

  async function login() {
    setState("pending", "sign in");
    try {
      const opts = await post("/login/options", {
        username: $("username").value,
        userVerification: $("user-verification").value,
      });
      if (opts.ok === false) return render(opts, "sign in");
      const cred = await navigator.credentials.get({ publicKey: requestOptions(opts.publicKey) });
      const json = credentialJSON(cred);
      if (TAMPER === "signature") {
        // test only: an attacker altering the signature in transit must be refused
        const sig = new Uint8Array(b64urlDecode(json.response.signature));
        sig[sig.length - 1] ^= 0x01;
        json.response = { ...json.response, signature: b64urlEncode(sig) };
      }
      const body = { ceremonyId: opts.ceremonyId, credential: json };
      demo.lastVerify = { url: "/login/verify", body };
      return render(await post("/login/verify", body), "sign in");
    } catch (e) {
      return browserError(e, "sign in");
    }
  }

  // Post the last verify request again, unchanged: the server must refuse the used challenge.
  demo.replayLast = async () => {
    if (!demo.lastVerify) return render({ ok: false, error: { code: "demo.nothing_to_replay", message: "nothing to replay" } }, "replay");
    setState("pending", "replay");
    return render(await post(demo.lastVerify.url, demo.lastVerify.body), "replay");
  };
  demo.register = register;
  demo.login = login;

  $("register").addEventListener("click", register);
  $("login").addEventListener("click", login);
  if (TAMPER || MANUAL || DOWNGRADE) {
    const banner = $("test-banner");
    banner.hidden = false;
    banner.textContent = "Test mode:" + (TAMPER ? " tampering with the " + TAMPER + " before posting;" : "") +
                         (MANUAL ? " JSON built by hand;" : "") + (DOWNGRADE ? " downgrading " + DOWNGRADE + ";" : "");
  }
})();
