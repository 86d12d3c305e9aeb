// The fapiao console's only script (no inline script: the Content-Security-Policy allows this file alone).
// 1. The login form goes back to the page that asked for it, which the server never echoes.
// 2. A <main data-src="PATH"> is fetched again every few seconds and replaced when it changed, keeping
//    open <details> open, so the page stays current without a reload.
(function () {
  "use strict";
  var REFRESH_MS = 2000;

  var next = document.querySelector('form.login input[name="next"]');
  if (next) { next.value = window.location.pathname; }

  var main = document.getElementById("live");
  if (!main || !main.dataset.src) { return; }
  var source = main.dataset.src;
  var busy = false;

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(source, {credentials: "same-origin", cache: "no-store", headers: {"X-Console-Fragment": "1"}})
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || html === main.innerHTML) { return; }
        var open = Array.prototype.map.call(main.querySelectorAll("details[open][id]"), function (d) { return d.id; });
        main.innerHTML = html;
        open.forEach(function (id) {
          var details = document.getElementById(id);
          if (details) { details.open = true; }
        });
        main.dataset.refreshed = String(Date.now());
      })
      .catch(function () { /* the console is restarting: try again on the next tick */ })
      .then(function () { busy = false; });
  }

  window.setInterval(refresh, REFRESH_MS);
}());
