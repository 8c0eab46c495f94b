// lienthong monitor: live updates, filters that apply on change, the print button. No external code.
(function () {
  "use strict";

  function two(n) { return (n < 10 ? "0" : "") + n; }

  // dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, whatever the browser's own zone
  function vnTime(iso) {
    var parts = {};
    var fmt = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false
    });
    fmt.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.day + "/" + parts.month + "/" + parts.year + " " + parts.hour + ":" + parts.minute;
  }

  function wireFilters(root) {
    root.querySelectorAll("form.filters select").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }

  function wirePrint(root) {
    root.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
  }

  function live() {
    var body = document.body;
    var main = document.getElementById("main");
    var state = document.getElementById("live-state");
    var url = body.getAttribute("data-live");
    var every = parseFloat(body.getAttribute("data-refresh") || "0") * 1000;
    if (!main || !url || !every) { return; }
    var busy = false;

    function mark(ok, when) {
      if (!state) { return; }
      state.textContent = ok ? state.getAttribute("data-ok") + " · " + when : state.getAttribute("data-failed");
      state.className = ok ? "live" : "live failed";
    }

    function tick() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) {
          var when = vnTime(data.as_of);
          var stamp = document.querySelector("footer time");
          if (stamp) { stamp.textContent = when; }
          if (data.version === main.getAttribute("data-version")) { mark(true, when); return null; }
          return fetch(window.location.href, { credentials: "same-origin", headers: { "X-Partial": "main" } })
            .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
            .then(function (html) {
              main.innerHTML = html;
              main.setAttribute("data-version", data.version);
              wireFilters(main);
              wirePrint(main);
              mark(true, when);
            });
        })
        .catch(function () { mark(false, ""); })
        .then(function () { busy = false; });
    }

    window.setInterval(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireFilters(document);
    wirePrint(document);
    live();
  });
})();
