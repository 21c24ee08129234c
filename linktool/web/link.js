/*
 * The linktool page: opens Plaid Link with the link token linktool created
 * and reports onSuccess / onExit back to linktool, which is listening on
 * this page's own origin. The page token from the URL proves the report
 * comes from the page linktool printed.
 */
(function () {
  "use strict";

  var app = document.getElementById("app");
  var mode = app.getAttribute("data-mode");
  var linkToken = app.getAttribute("data-link-token");
  var pageToken = app.getAttribute("data-page-token");
  var sdkURL = app.getAttribute("data-sdk-url");
  var button = document.getElementById("open-link");
  var statusLine = document.getElementById("status");
  var resultSection = document.getElementById("result-section");
  var resultNote = document.getElementById("result-note");
  var resultText = document.getElementById("result");
  var over = false;

  function setStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.className = kind || "";
  }

  function report(path, body) {
    return fetch(path + "?token=" + encodeURIComponent(pageToken), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (res) {
      return res.text().then(function (text) {
        if (!res.ok) {
          throw new Error(text.trim() || ("HTTP " + res.status));
        }
      });
    });
  }

  function showResult(publicToken, metadata) {
    resultText.textContent = JSON.stringify({ public_token: publicToken, metadata: metadata }, null, 2);
    resultNote.textContent = mode === "update"
      ? "The login is repaired. No new token is needed: the existing access token keeps working."
      : "Keep this until linktool confirms the link: if saving fails, linktool prints the command that finishes the link with this public token (valid for 30 minutes).";
    resultSection.hidden = false;
  }

  function onSuccess(publicToken, metadata) {
    if (over) {
      return;
    }
    over = true;
    button.disabled = true;
    showResult(publicToken, metadata);
    setStatus("Sending the result to linktool…");
    report("/link/success", { public_token: publicToken, metadata: metadata }).then(function () {
      setStatus(mode === "update"
        ? "Done. linktool has the result; you can close this page."
        : "Done. linktool is saving the new item; see its output. You can close this page.", "ok");
    }, function (err) {
      setStatus("linktool did not take the result: " + err.message, "error");
    });
  }

  function onExit(err, metadata) {
    if (over) {
      return;
    }
    over = true;
    button.disabled = true;
    var why = err && (err.display_message || err.error_message || err.error_code);
    report("/link/exit", { error: err || null, metadata: metadata || {} }).then(function () {
      setStatus("Plaid Link was closed" + (why ? " (" + why + ")" : "") +
        ". Nothing was changed; linktool printed how to try again.", "error");
    }, function (e) {
      setStatus("Plaid Link was closed; linktool did not answer: " + e.message, "error");
    });
  }

  if (!window.Plaid || typeof window.Plaid.create !== "function") {
    setStatus("Plaid Link could not be loaded from " + sdkURL + ". Check the network connection and reload this page.", "error");
    return;
  }

  var handler = window.Plaid.create({
    token: linkToken,
    onSuccess: onSuccess,
    onExit: onExit,
    onEvent: function () {},
    onLoad: function () {
      if (!over) {
        button.disabled = false;
        setStatus("Ready.");
      }
    }
  });

  button.addEventListener("click", function () {
    if (!over) {
      setStatus("Plaid Link is open.");
      handler.open();
    }
  });
})();
