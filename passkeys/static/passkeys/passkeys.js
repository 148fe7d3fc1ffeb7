/* Passkeys (WebAuthn) for the portal's pages: register, sign in, confirm. No inline script (the
   CSP allows only the portal's static files): each ceremony is a
   <div data-passkey="register|signin|confirm|verify" data-begin=".." data-complete=".."
        data-next=".."> holding the CSRF token's hidden input with a button, an optional name field and a status line;
   the translated sentences come from the page (<ul data-passkey-messages>). */
(function () {
  "use strict";

  function toBuffer(value) {
    var b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBuffer(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    var pk = Object.assign({}, o);
    pk.challenge = toBuffer(o.challenge);
    pk.user = Object.assign({}, o.user, { id: toBuffer(o.user.id) });
    pk.excludeCredentials = descriptors(o.excludeCredentials);
    return pk;
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o);
    pk.challenge = toBuffer(o.challenge);
    pk.allowCredentials = descriptors(o.allowCredentials);
    return pk;
  }

  function credentialJSON(c, response) {
    return {
      id: c.id,
      rawId: toB64url(c.rawId),
      type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || null,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: Object.assign({ clientDataJSON: toB64url(c.response.clientDataJSON) }, response)
    };
  }

  function registrationJSON(c) {
    var r = c.response;
    return credentialJSON(c, {
      attestationObject: toB64url(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : []
    });
  }

  function assertionJSON(c) {
    var r = c.response;
    return credentialJSON(c, {
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      userHandle: toB64url(r.userHandle)
    });
  }

  function messages() {
    var found = {};
    var list = document.querySelector("[data-passkey-messages]");
    if (!list) return found;
    list.querySelectorAll("[data-key]").forEach(function (li) {
      found[li.getAttribute("data-key")] = li.textContent;
    });
    return found;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || "");
          error.name = "ServerRefusal";
          error.code = data.code || "";
          throw error;
        }
        return data;
      });
    });
  }

  function browserMessage(error, mode, text) {
    switch (error && error.name) {
      case "NotAllowedError":
        return mode === "register" ? text.cancelled : text.not_allowed;
      case "AbortError":
        return text.cancelled;
      case "InvalidStateError":
        return text.already_registered;
      case "SecurityError":
        return text.security;
      case "NotSupportedError":
        return text.not_supported;
      case "ServerRefusal":
        return error.message || text.failed;
      case "TypeError":
        return text.network;
      default:
        return text.failed;
    }
  }

  function run(box, text) {
    var mode = box.getAttribute("data-passkey");
    var button = box.querySelector("[data-passkey-start]");
    var status = box.querySelector("[data-passkey-status]");
    var nameField = box.querySelector("input[name=name]");
    var token = box.querySelector("input[name=csrfmiddlewaretoken]");
    var csrf = token ? token.value : "";
    var busy = false;

    function say(message, kind) {
      status.textContent = message;
      status.className = kind === "error" ? "errorlist" : "muted";
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(text.not_supported, "error");
      button.disabled = true;
      return;
    }

    button.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      button.disabled = true;
      say(text.waiting, "");
      post(box.getAttribute("data-begin"), csrf)
        .then(function (options) {
          if (mode === "register") {
            return navigator.credentials.create({ publicKey: creationOptions(options) }).then(function (c) {
              return post(box.getAttribute("data-complete"), csrf, {
                name: nameField ? nameField.value : "",
                credential: registrationJSON(c)
              });
            });
          }
          return navigator.credentials.get({ publicKey: requestOptions(options) }).then(function (c) {
            var body = assertionJSON(c);
            body.next = box.getAttribute("data-next") || "";
            return post(box.getAttribute("data-complete"), csrf, body);
          });
        })
        .then(function (data) {
          say(text.done, "ok");
          box.dispatchEvent(new CustomEvent("passkey:done", { bubbles: true, detail: data }));
          var submit = box.getAttribute("data-submit");
          if (data.confirmed && submit) document.getElementById(submit).submit();
          else if (data.redirect_url) window.location.assign(data.redirect_url);
        })
        .catch(function (error) {
          say(browserMessage(error, mode, text), "error");
        })
        .then(function () {
          busy = false;
          button.disabled = false;
        });
    });
  }

  function start() {
    var text = messages();
    document.querySelectorAll("[data-passkey]").forEach(function (box) {
      box.hidden = false;
      run(box, text);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
