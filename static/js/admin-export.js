/* The Django admin's export page (templates/admin/import_export/export.html): the "select all"
   toggle, wired here instead of an inline onchange=, which the Content-Security-Policy forbids.
   onSelectToggleChange comes from django-import-export's export_selectable_fields.js. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
      toggle.addEventListener("change", function (event) {
        if (typeof window.onSelectToggleChange === "function") window.onSelectToggleChange(event);
      });
    });
  });
})();
