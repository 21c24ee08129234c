/*
 * Plaid Link SDK stand-in served by the telegraf-plaid Plaid emulator.
 *
 * Like Plaid's own link-initialize.js it defines window.Plaid.create(config)
 * and shows Link in a full-page iframe served from the script's origin; the
 * dialog reports back through window.postMessage. Nothing is injected into
 * the embedding page but the iframe, so a strict Content-Security-Policy
 * (script-src and frame-src allowing the emulator's origin) is enough.
 */
(function () {
  "use strict";
  if (window.Plaid && window.Plaid.emulator) {
    return;
  }
  var MESSAGE_TYPE = "plaid-emulator-link";
  var script = document.currentScript;
  var scriptURL = new URL(script ? script.src : "/link/v2/stable/link-initialize.js", window.location.href);
  var emulatorOrigin = scriptURL.origin;
  var dialogURL = new URL("link.html", scriptURL).href;
  var frames = 0;

  function safeCall(fn, args) {
    if (typeof fn !== "function") {
      return;
    }
    try {
      fn.apply(null, args);
    } catch (err) {
      window.setTimeout(function () { throw err; }, 0);
    }
  }

  function create(config) {
    if (!config || typeof config.token !== "string" || config.token === "") {
      throw new Error("Plaid.create: config.token (a link token) is required");
    }
    var frame = null;
    var loaded = false;
    var wantOpen = false;
    var destroyed = false;

    function post(message) {
      if (!frame || !frame.contentWindow) {
        return;
      }
      message.type = MESSAGE_TYPE;
      frame.contentWindow.postMessage(message, emulatorOrigin);
    }

    function show() {
      frame.style.display = "block";
      post({ action: "open" });
    }

    function hide() {
      if (frame) {
        frame.style.display = "none";
      }
    }

    function onMessage(event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== emulatorOrigin) {
        return;
      }
      var m = event.data;
      if (!m || m.type !== MESSAGE_TYPE) {
        return;
      }
      switch (m.action) {
        case "ready":
          loaded = true;
          safeCall(config.onLoad, []);
          if (wantOpen) {
            show();
          }
          break;
        case "event":
          safeCall(config.onEvent, [m.eventName, m.metadata || {}]);
          break;
        case "success":
          wantOpen = false;
          hide();
          safeCall(config.onSuccess, [m.publicToken, m.metadata || {}]);
          break;
        case "exit":
          wantOpen = false;
          hide();
          safeCall(config.onExit, [m.error || null, m.metadata || {}]);
          break;
      }
    }

    function build() {
      if (destroyed || frame) {
        return;
      }
      frames += 1;
      frame = document.createElement("iframe");
      frame.id = "plaid-link-iframe-" + frames;
      frame.title = "Plaid Link";
      frame.setAttribute("data-testid", "plaid-link-iframe");
      frame.setAttribute("allow", "");
      // Style properties set through the CSSOM are not inline styles in the
      // sense of CSP, so this works under style-src 'self'.
      var s = frame.style;
      s.position = "fixed";
      s.top = "0";
      s.left = "0";
      s.width = "100%";
      s.height = "100%";
      s.border = "0";
      s.margin = "0";
      s.padding = "0";
      s.zIndex = "2147483647";
      s.display = "none";
      s.background = "transparent";
      frame.src = dialogURL + "?token=" + encodeURIComponent(config.token) +
        "&origin=" + encodeURIComponent(window.location.origin);
      document.body.appendChild(frame);
    }

    window.addEventListener("message", onMessage);
    if (document.body) {
      build();
    } else {
      document.addEventListener("DOMContentLoaded", build);
    }

    return {
      open: function () {
        if (destroyed) {
          return;
        }
        wantOpen = true;
        if (frame && loaded) {
          show();
        }
      },
      exit: function (options) {
        if (frame && loaded) {
          post({ action: "exit", force: !!(options && options.force) });
        }
      },
      submit: function () {},
      destroy: function () {
        destroyed = true;
        window.removeEventListener("message", onMessage);
        if (frame && frame.parentNode) {
          frame.parentNode.removeChild(frame);
        }
        frame = null;
      }
    };
  }

  window.Plaid = { create: create, version: "emulator", emulator: true };
})();
