/*
 * The Link dialog of the telegraf-plaid Plaid emulator. It runs inside the
 * iframe that link-initialize.js creates (or as the Hosted Link page), talks
 * to the emulator with fetch (same origin) and reports to the embedding
 * page with postMessage, to that page's origin only.
 */
(function () {
  "use strict";
  var MESSAGE_TYPE = "plaid-emulator-link";
  var params = new URLSearchParams(window.location.search);
  var hostedMatch = window.location.pathname.match(/^\/link\/hosted\/([A-Za-z0-9]+)$/);
  var hosted = hostedMatch !== null;
  var parentOrigin = hosted ? "" : (params.get("origin") || "");
  var session = null;          // from /link/emulator/session
  var linkSessionID = "";      // the open Link session
  var institution = null;      // chosen institution
  var result = null;           // successful completion
  var busy = false;

  function $(id) { return document.getElementById(id); }

  function show(view) {
    ["institutions", "credentials", "success", "done"].forEach(function (v) {
      $("view-" + v).hidden = v !== view;
    });
    $("cancel").hidden = view === "success" || view === "done";
    $("close").hidden = view === "success" || view === "done";
    $("loading").hidden = true;
  }

  function setError(message) {
    var el = $("error");
    el.textContent = message || "";
    el.hidden = !message;
  }

  function post(message) {
    if (hosted || !parentOrigin || window.parent === window) {
      return;
    }
    message.type = MESSAGE_TYPE;
    window.parent.postMessage(message, parentOrigin);
  }

  function institutionMetadata() {
    return institution ? { name: institution.name, institution_id: institution.institution_id } : null;
  }

  function emit(eventName, extra) {
    var metadata = {
      link_session_id: linkSessionID,
      timestamp: new Date().toISOString(),
      institution_id: institution ? institution.institution_id : null,
      institution_name: institution ? institution.name : null
    };
    Object.keys(extra || {}).forEach(function (k) { metadata[k] = extra[k]; });
    post({ action: "event", eventName: eventName, metadata: metadata });
  }

  function request(method, path, body) {
    var init = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var err = new Error(data.display_message || data.error || ("HTTP " + res.status));
          err.data = data;
          throw err;
        }
        return data;
      });
    });
  }

  function chooseInstitution(inst) {
    institution = inst;
    setError("");
    $("institution-name").textContent = "Log in to " + inst.name;
    $("username").value = "";
    $("password").value = "";
    $("back").hidden = session.mode === "update";
    show("credentials");
    $("username").focus();
  }

  function renderInstitutions() {
    var list = $("institutions");
    list.textContent = "";
    session.institutions.forEach(function (inst) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.id = "institution-" + inst.institution_id;
      button.setAttribute("data-testid", "institution-" + inst.institution_id);
      button.textContent = inst.name;
      button.addEventListener("click", function () {
        chooseInstitution(inst);
        emit("SELECT_INSTITUTION");
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // start shows the first view of a new Link session.
  function start() {
    result = null;
    institution = null;
    setError("");
    if (session.expired) {
      show("institutions");
      $("view-institutions").hidden = true;
      setError("This link has expired. Please start again.");
      return;
    }
    request("POST", "/link/emulator/open", { link_token: session.link_token }).then(function (data) {
      linkSessionID = data.link_session_id;
      emit("OPEN");
      if (session.mode === "update") {
        chooseInstitution(session.institution);
      } else {
        show("institutions");
      }
    }).catch(function (err) {
      show("institutions");
      $("view-institutions").hidden = true;
      setError(err.message);
    });
  }

  function submit(event) {
    event.preventDefault();
    if (busy || !institution) {
      return;
    }
    busy = true;
    $("submit").disabled = true;
    setError("");
    emit("SUBMIT_CREDENTIALS");
    request("POST", "/link/emulator/complete", {
      link_token: session.link_token,
      link_session_id: linkSessionID,
      institution_id: institution.institution_id,
      username: $("username").value,
      password: $("password").value
    }).then(function (data) {
      result = data;
      $("success-detail").textContent = "Your " + institution.name + " account is connected.";
      show("success");
      $("continue").focus();
    }).catch(function (err) {
      var d = err.data || {};
      setError(err.message);
      $("password").value = "";
      $("password").focus();
      emit("ERROR", { error_code: d.error_code || null, error_message: d.error_message || null, error_type: "ITEM_ERROR" });
    }).then(function () {
      busy = false;
      $("submit").disabled = false;
    });
  }

  function finishSuccess() {
    if (!result) {
      return;
    }
    emit("HANDOFF");
    var metadata = {
      institution: result.institution,
      accounts: result.accounts || [],
      link_session_id: result.link_session_id,
      transfer_status: null,
      public_token: result.public_token
    };
    post({ action: "success", publicToken: result.public_token, metadata: metadata });
    if (hosted) {
      $("done-message").textContent = "Your account is connected.";
      show("done");
    }
    result = null;
  }

  function exit() {
    if (busy) {
      return;
    }
    busy = true;
    request("POST", "/link/emulator/cancel", {
      link_token: session ? session.link_token : "",
      link_session_id: linkSessionID,
      institution_id: institution ? institution.institution_id : ""
    }).catch(function () {
      return { link_session_id: linkSessionID, status: "institution_not_found", request_id: "" };
    }).then(function (data) {
      busy = false;
      emit("EXIT", { exit_status: data.status });
      post({
        action: "exit",
        error: null,
        metadata: {
          institution: institutionMetadata(),
          status: data.status,
          link_session_id: data.link_session_id || linkSessionID,
          request_id: data.request_id
        }
      });
      if (hosted) {
        $("done-message").textContent = "You exited without connecting an account.";
        show("done");
      }
    });
  }

  function onParentMessage(event) {
    if (hosted || event.source !== window.parent || event.origin !== parentOrigin) {
      return;
    }
    var m = event.data;
    if (!m || m.type !== MESSAGE_TYPE || !session) {
      return;
    }
    if (m.action === "open") {
      start();
    } else if (m.action === "exit") {
      exit();
    }
  }

  function init() {
    $("credentials").addEventListener("submit", submit);
    $("back").addEventListener("click", function () {
      institution = null;
      setError("");
      show("institutions");
    });
    $("continue").addEventListener("click", finishSuccess);
    $("cancel").addEventListener("click", exit);
    $("close").addEventListener("click", exit);
    window.addEventListener("message", onParentMessage);

    var query = hosted ? "hosted=" + encodeURIComponent(hostedMatch[1]) : "token=" + encodeURIComponent(params.get("token") || "");
    request("GET", "/link/emulator/session?" + query).then(function (data) {
      session = data;
      $("client-name").textContent = data.client_name ? "for " + data.client_name : "";
      renderInstitutions();
      if (hosted) {
        start();
      } else {
        post({ action: "ready" });
      }
    }).catch(function (err) {
      $("loading").hidden = true;
      setError(err.message || "This link is not valid.");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
