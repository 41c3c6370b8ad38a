// The invoice editor's VAT categories, without a framework:
// - the exemption reason inputs of a category are shown only while a line uses it;
// - a standard-rate line typed at 0% becomes zero rated, a zero-rated one typed above 0%
//   standard (the other categories are left as chosen: the server explains a wrong rate).
(function () {
  "use strict";

  function updateReasons() {
    var used = {};
    document.querySelectorAll("select[data-vat-category]").forEach(function (select) {
      used[select.value] = true;
    });
    document.querySelectorAll("[data-vat-reasons]").forEach(function (container) {
      var any = false;
      container.querySelectorAll("[data-vat-reason]").forEach(function (group) {
        group.hidden = !used[group.getAttribute("data-vat-reason")];
        any = any || !group.hidden;
      });
      var fieldset = container.closest("fieldset[data-vat-reasons-fieldset]");
      if (fieldset) fieldset.hidden = !any;
    });
  }

  function followRate(input) {
    var select = document.getElementById(input.id.replace(/-tax_rate$/, "-vat_category"));
    var text = input.value.trim().replace(",", ".");
    if (!select || text === "" || isNaN(Number(text))) return;
    var rate = Number(text);
    if (rate === 0 && select.value === "S") select.value = "Z";
    else if (rate > 0 && select.value === "Z") select.value = "S";
    else return;
    updateReasons();
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[id$='-tax_rate']")) followRate(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-vat-category]")) updateReasons();
  });
  document.addEventListener("htmx:afterSettle", updateReasons);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", updateReasons);
  else updateReasons();
})();
