// The embedding page of the browser tests: it opens Link with the token in
// its <meta> tag and writes what Link reports into #results, where the test
// reads it.
(function () {
  "use strict";
  var events = [];
  var violations = [];

  function record(id, value) {
    var el = document.createElement("pre");
    el.id = id;
    el.textContent = JSON.stringify(value);
    document.getElementById("results").appendChild(el);
  }

  document.addEventListener("securitypolicyviolation", function (e) {
    violations.push(e.violatedDirective + " " + e.blockedURI);
  });

  var token = document.querySelector('meta[name="link-token"]').content;
  var handler = window.Plaid.create({
    token: token,
    onLoad: function () {
      document.getElementById("open").disabled = false;
    },
    onSuccess: function (publicToken, metadata) {
      record("success", { public_token: publicToken, metadata: metadata, events: events, violations: violations });
    },
    onExit: function (err, metadata) {
      record("exit", { error: err, metadata: metadata, events: events, violations: violations });
    },
    onEvent: function (name) {
      events.push(name);
    }
  });
  document.getElementById("open").addEventListener("click", function () {
    handler.open();
  });
})();
