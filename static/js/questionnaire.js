// Show the clinic's phone number as soon as an answer needs a call (the server shows it
// again after sending). No inline script: the CSP allows only our own files.
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  var panel = document.getElementById("needs-call");
  if (!form || !panel) {
    return;
  }
  function update() {
    var needsCall = form.querySelector("input[data-needs-call-answer]:checked") !== null;
    // The panel sticks to the bottom of the screen, so it shows wherever the patient is.
    panel.hidden = !needsCall;
  }
  form.addEventListener("change", update);
  update();
})();
