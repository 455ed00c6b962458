/*
 * The intake form's small behaviours that htmx does not cover. A static file, never inline
 * script, so a strict Content-Security-Policy can forbid inline scripts.
 *
 * - Tumour-only questions show only for the etiologies in their data-show-for; hidden ones go
 *   back to "Unknown" (the server ignores them then as well).
 * - "Remove this level" folds the row; the live panel re-evaluates without it.
 * - Ticking an allergy answers "Yes, allergic to"; "None known" or "unknown" unticks them.
 * - After each live update, questions the panel lists as missing are outlined, and links to a
 *   question move the focus to its first input.
 */
(function () {
  "use strict";

  var MISSING_CLASSES = ["question-missing", "border-start", "border-3", "border-warning", "ps-2"];

  function rowOf(element) {
    return element.closest("[data-level-row]");
  }

  function applyEtiology(select) {
    var row = rowOf(select);
    if (!row) {
      return;
    }
    row.querySelectorAll("[data-show-for]").forEach(function (block) {
      var shown = block.getAttribute("data-show-for").split(" ").indexOf(select.value) !== -1;
      block.classList.toggle("d-none", !shown);
      if (!shown) {
        block.querySelectorAll('input[type="radio"][value="unknown"]').forEach(function (radio) {
          radio.checked = true;
        });
      }
    });
  }

  function applyRemove(checkbox) {
    var row = rowOf(checkbox);
    var body = row && row.querySelector("[data-level-body]");
    if (body) {
      body.classList.toggle("d-none", checkbox.checked);
    }
  }

  function applyAllergy(input) {
    var form = input.form;
    if (input.name === "allergies" && input.checked) {
      var some = form.querySelector('input[name="allergy_status"][value="some"]');
      if (some) {
        some.checked = true;
      }
    } else if (input.name === "allergy_status" && input.value !== "some" && input.checked) {
      form.querySelectorAll('input[name="allergies"]').forEach(function (box) {
        box.checked = false;
      });
    }
  }

  function markMissing() {
    document.querySelectorAll(".question-missing").forEach(function (question) {
      question.classList.remove.apply(question.classList, MISSING_CLASSES);
    });
    document.querySelectorAll("#findings-panel [data-missing-target]").forEach(function (link) {
      var question = document.querySelector(link.getAttribute("data-missing-target"));
      if (question) {
        question.classList.add.apply(question.classList, MISSING_CLASSES);
      }
    });
  }

  // Capture phase: the form's own state is settled before htmx (on the form) reads it.
  document.addEventListener(
    "change",
    function (event) {
      var target = event.target;
      if (!(target instanceof HTMLElement) || !target.closest("#intake-form")) {
        return;
      }
      if (target.matches('select[name$="-etiology"]')) {
        applyEtiology(target);
      } else if (target.matches('input[name$="-DELETE"]')) {
        applyRemove(target);
      } else if (target.matches('input[name="allergies"], input[name="allergy_status"]')) {
        applyAllergy(target);
      }
    },
    true
  );

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest('a[href^="#div_"]');
    if (!link) {
      return;
    }
    var question = document.querySelector(link.getAttribute("href"));
    var input = question && question.querySelector("input:not([type=hidden]), select");
    if (input) {
      event.preventDefault();
      question.scrollIntoView({ block: "center" });
      input.focus();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "findings-panel") {
      markMissing();
    }
  });

  markMissing();
})();
