/*
 * Any page: when one of the page's own (htmx) requests meets an ended session, the server
 * answers with the "vpselect:session-ended" event and swaps nothing. Unless the page keeps
 * its answers itself (the intake cancels the event), go to the login page, coming back here.
 */
(function () {
  "use strict";

  window.addEventListener("vpselect:session-ended", function (event) {
    if (event.defaultPrevented) {
      return;
    }
    var login = document.body.getAttribute("data-login-url");
    if (login) {
      window.location.assign(login + "?next=" + encodeURIComponent(window.location.pathname));
    }
  });
})();
