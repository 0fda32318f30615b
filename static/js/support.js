/* A technical case's conversation adds new lines by itself (every 15 s, while the page is visible). */
(function () {
  "use strict";
  var list = document.querySelector("[data-updates]");
  if (!list) return;
  var busy = false;
  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    var url = list.getAttribute("data-updates") + "?after=" + encodeURIComponent(list.getAttribute("data-last") || "0");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.last) return;
        list.insertAdjacentHTML("beforeend", data.html);
        list.setAttribute("data-last", String(data.last));
        var status = document.querySelector("[data-testid=case-status]");
        if (status && data.status) status.textContent = data.status;
      })
      .catch(function () {})
      .finally(function () { busy = false; });
  }
  window.setInterval(poll, 15000);
  document.addEventListener("visibilitychange", poll);
})();
