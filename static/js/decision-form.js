/*
 * The review page's decision forms: show only what the chosen outcome needs. The accept
 * section's countersignature notice shows for the checked levels that need one, and the
 * override reason when the choice disagrees with the engine. Without this script every
 * section shows under its heading and the server ignores the other outcomes' fields.
 */
(function () {
  "use strict";

  function checked(form, suffix) {
    return Array.prototype.filter.call(form.querySelectorAll("input:checked"), function (input) {
      return input.name === suffix || input.name.slice(-suffix.length - 1) === "-" + suffix;
    });
  }

  function update(form) {
    var outcomes = checked(form, "outcome");
    var outcome = outcomes.length ? outcomes[0].value : "";
    form.querySelectorAll("[data-outcome-section]").forEach(function (section) {
      section.hidden = section.getAttribute("data-outcome-section") !== outcome;
    });
    var levels = checked(form, "levels_to_treat").map(function (input) {
      return input.value;
    });
    var notice = form.querySelector("[data-testid='countersignature-notice']");
    if (notice) {
      var any = false;
      notice.querySelectorAll("[data-countersign-level]").forEach(function (line) {
        var shown = levels.indexOf(line.getAttribute("data-countersign-level")) !== -1;
        line.hidden = !shown;
        any = any || shown;
      });
      notice.hidden = !any;
    }
    var eligible = (form.getAttribute("data-eligible-levels") || "").split(" ").filter(Boolean);
    var labels = {};
    form.querySelectorAll("input[type='checkbox']").forEach(function (input) {
      labels[input.value] = eligible.indexOf(input.value) !== -1;
    });
    var override =
      (outcome === "accept" &&
        levels.some(function (level) {
          return !labels[level];
        })) ||
      (outcome === "decline" && eligible.length > 0);
    var overrideSection = form.querySelector("[data-override-section]");
    var hasError = overrideSection && overrideSection.querySelector(".is-invalid");
    if (overrideSection) {
      overrideSection.hidden = !override && !hasError;
    }
  }

  function setUp(form) {
    form.addEventListener("change", function () {
      update(form);
    });
    update(form);
  }

  document.querySelectorAll("form[data-decision-form]").forEach(setUp);
})();
