/*
 * The intake form's small behaviours that htmx does not cover. A static file, never inline
 * script, so a strict Content-Security-Policy can forbid inline scripts.
 *
 * - A question asked only after some answers (data-asked-when) shows when they hold; hidden,
 *   its answer is cleared (the server clears it as well).
 * - "Remove this level" folds the row; the live panel re-evaluates without it.
 * - Ticking an allergy answers "Yes, allergic to"; "None known" or "unknown" unticks them.
 * - After each live update, questions the panel lists as missing are outlined, and links to a
 *   question move the focus to its first input; inputs the server could not read are marked.
 * - Adding or removing a level refreshes the live panel.
 * - The live region announces the verdict line only, when it changes; the phone verdict bar
 *   stays open across live updates; after a failed submit the focus is on the error summary.
 * - Never lose an answer: the draft autosaves (debounced, and on leaving the page) and says
 *   "Saved 14:02"; leaving with unsaved changes asks first; two minutes before the idle timeout
 *   a warning offers "Stay signed in"; when the session has ended (the server says so to htmx,
 *   or the countdown ran out) the answers are kept in this tab's sessionStorage and, once
 *   signed in again, saved as the draft (the stash is then deleted).
 */
(function () {
  "use strict";

  var MISSING_CLASSES = ["question-missing", "border-start", "border-3", "border-warning", "ps-2"];

  function rowOf(element) {
    return element.closest("[data-level-row]");
  }

  // A question asked only after some answers (data-asked-when: posted names and the values
  // that ask it) shows when they hold; hidden, its answer is cleared, as the server does.
  function posted(form, name) {
    var input = form.elements.namedItem(name);
    if (!input) {
      return "";
    }
    var value = input.value || "";
    // A yes / no / unknown question left blank is unknown.
    return value === "" && input instanceof RadioNodeList ? "unknown" : value;
  }

  function clearAnswer(block) {
    block.querySelectorAll("input, select").forEach(function (input) {
      if (input.type === "radio") {
        input.checked = input.value === "unknown";
      } else if (input.type === "checkbox") {
        input.checked = false;
      } else if (input.type !== "hidden") {
        input.value = "";
      }
    });
  }

  function applyBranches(form) {
    form.querySelectorAll("[data-asked-when]").forEach(function (block) {
      var when = JSON.parse(block.getAttribute("data-asked-when"));
      var asked = Object.keys(when).every(function (name) {
        return when[name].indexOf(posted(form, name)) !== -1;
      });
      if (!asked && !block.classList.contains("d-none")) {
        clearAnswer(block);
      }
      block.classList.toggle("d-none", !asked);
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
      applyBranches(target.closest("#intake-form"));
      if (target.matches('input[name$="-DELETE"]')) {
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

  function markUnreadable() {
    document.querySelectorAll("#intake-form [data-feedback]").forEach(function (feedback) {
      var input = document.getElementById(feedback.id.replace(/^feedback_/, ""));
      if (input && input.classList.contains("form-control")) {
        input.classList.toggle("is-invalid", feedback.hasAttribute("data-feedback-invalid"));
      }
    });
  }

  // The live region says the verdict line alone, and only when it changes (not the panel).
  function verdictText() {
    var line = document.querySelector("#findings-panel [data-verdict-line]");
    if (!line) {
      return "";
    }
    var words = line.cloneNode(true);
    words.querySelectorAll("[aria-hidden]").forEach(function (icon) {
      icon.remove();
    });
    return words.textContent.replace(/\s+/g, " ").trim();
  }
  var announced = verdictText();

  function announceVerdict() {
    var announcer = document.getElementById("verdict-announcer");
    var text = verdictText();
    if (announcer && text && text !== announced) {
      announced = text;
      announcer.textContent = text;
    }
  }

  // The phone verdict bar is replaced on every answer: it stays open if it was.
  var barOpen = false;
  document.addEventListener(
    "toggle",
    function (event) {
      if (event.target instanceof Element && event.target.matches("[data-verdict-bar]")) {
        barOpen = event.target.open;
      }
    },
    true
  );

  function keepBarOpen() {
    var bar = document.querySelector("[data-verdict-bar]");
    if (bar && barOpen && !bar.open) {
      bar.open = true;
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "findings-panel") {
      markMissing();
      announceVerdict();
      keepBarOpen();
    }
  });

  // After a failed Submit (or a draft with answers not valid), start at what to correct.
  var formProblems = document.getElementById("form-problems");
  if (formProblems) {
    formProblems.focus();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "findings-panel") {
      markUnreadable();
    }
  });

  markMissing();

  // --- Never lose an answer ---------------------------------------------------------------

  var form = document.getElementById("intake-form");
  if (!form) {
    return;
  }
  var AUTOSAVE_DELAY_MS = 1500;
  var STASH_PREFIX = "vpselect:intake:";
  var status = document.getElementById("autosave-status");
  var idleWarning = document.getElementById("idle-warning");
  var sessionBanner = document.getElementById("session-ended");
  var idleMs = Number(form.getAttribute("data-idle-seconds")) * 1000;
  var warnMs = Number(form.getAttribute("data-idle-warning-seconds")) * 1000;
  var changes = 0; // answers changed since the page was loaded
  var savedChanges = 0; // of which saved
  var saving = false;
  var saveAgain = false;
  var saveTimer = null;
  var sessionEnded = false;
  var leaving = false;
  var waitingSubmitter = null;
  var lastActivity = Date.now();

  function unsaved() {
    return changes > savedChanges;
  }

  function setState(state) {
    status.setAttribute("data-state", state);
  }

  function say(attribute, values) {
    var text = status.getAttribute(attribute);
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("{" + key + "}", values[key]);
    });
    status.textContent = text;
  }

  function formBody() {
    var body = new FormData(form);
    body.delete("action");
    return body;
  }

  function pageHeaders() {
    var token = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return {
      "HX-Request": "true",
      "HX-Current-URL": window.location.href,
      "X-CSRFToken": token ? token.value : "",
    };
  }

  function endedByServer(response) {
    return (response.headers.get("HX-Trigger") || "").indexOf("vpselect:session-ended") !== -1;
  }

  function applySaved(saved) {
    if (form.getAttribute("action") !== saved.edit_url) {
      // The first autosave created the referral: from now on the page is that referral's.
      form.setAttribute("action", saved.edit_url);
      form.setAttribute("hx-post", saved.live_url);
      form.setAttribute("data-autosave-url", saved.autosave_url);
      window.htmx.process(form);
      window.history.replaceState(null, "", saved.edit_url);
    }
    Object.keys(saved.level_ids).forEach(function (prefix) {
      var id = form.querySelector('input[name="' + prefix + '-id"]');
      if (id) {
        id.value = String(saved.level_ids[prefix]);
      }
    });
  }

  function autosave() {
    window.clearTimeout(saveTimer);
    if (sessionEnded) {
      return;
    }
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = true;
    var sending = changes;
    setState("saving");
    say("data-saving-text");
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST",
      body: formBody(),
      headers: pageHeaders(),
      credentials: "same-origin",
    })
      .then(function (response) {
        if (endedByServer(response)) {
          endSession();
          return null;
        }
        return response.json();
      })
      .then(function (saved) {
        if (!saved) {
          return;
        }
        if (!saved.saved) {
          setState("failed");
          status.textContent = saved.message;
          return;
        }
        applySaved(saved);
        savedChanges = Math.max(savedChanges, sending);
        setState(unsaved() ? "unsaved" : "saved");
        lastActivity = Date.now();
        var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        if (saved.not_saved) {
          say("data-saved-except-text", { time: time, count: saved.not_saved });
        } else {
          say("data-saved-text", { time: time });
        }
      })
      .catch(function () {
        setState("failed");
        say("data-failed-text");
      })
      .finally(function () {
        saving = false;
        if (waitingSubmitter) {
          var submitter = waitingSubmitter;
          waitingSubmitter = null;
          form.requestSubmit(submitter);
        } else if (saveAgain) {
          saveAgain = false;
          autosave();
        }
      });
  }

  function changed() {
    if (sessionEnded) {
      return;
    }
    changes += 1;
    setState("unsaved");
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(autosave, AUTOSAVE_DELAY_MS);
  }

  function levelsChanged() {
    form.dispatchEvent(new CustomEvent("vpselect:levels-changed"));
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", function (event) {
    changed();
    if (event.target instanceof HTMLElement && event.target.matches('input[name$="-DELETE"]')) {
      levelsChanged();
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "level-rows") {
      changed();
      levelsChanged();
    }
  });

  function stash() {
    var answers = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "action") {
        answers.push([name, String(value)]);
      }
    });
    window.sessionStorage.setItem(STASH_PREFIX + window.location.pathname, JSON.stringify(answers));
  }

  function endSession() {
    if (sessionEnded) {
      return;
    }
    sessionEnded = true;
    window.clearTimeout(saveTimer);
    stash();
    savedChanges = changes; // kept in the stash: leaving to sign in must not ask
    idleWarning.classList.add("d-none");
    var login = sessionBanner.querySelector("[data-login-link]");
    var url = new URL(login.getAttribute("href"), window.location.href);
    url.searchParams.set("next", window.location.pathname);
    login.setAttribute("href", url.pathname + url.search);
    sessionBanner.classList.remove("d-none");
    setState("ended");
    say("data-ended-text");
    login.focus({ preventScroll: true });
  }

  // The server tells htmx requests (the live panel, the unread badge) that the session ended;
  // cancelled, so static/js/session.js does not leave the page for the login page.
  document.body.addEventListener("vpselect:session-ended", function (event) {
    event.preventDefault();
    endSession();
  });

  form.addEventListener("submit", function (event) {
    if (sessionEnded || Date.now() - lastActivity >= idleMs) {
      event.preventDefault();
      endSession();
      return;
    }
    if (saving) {
      // Let the autosave finish first: it may create the referral this form posts to.
      event.preventDefault();
      waitingSubmitter = event.submitter || null;
      return;
    }
    window.clearTimeout(saveTimer);
    leaving = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (unsaved() && !leaving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  window.addEventListener("pagehide", function () {
    if (unsaved() && !leaving && !sessionEnded && navigator.sendBeacon) {
      navigator.sendBeacon(form.getAttribute("data-autosave-url"), formBody());
    }
  });

  function keepAlive() {
    fetch(form.getAttribute("data-keepalive-url"), {
      method: "POST",
      headers: pageHeaders(),
      credentials: "same-origin",
    }).then(function (response) {
      if (endedByServer(response)) {
        endSession();
        return;
      }
      lastActivity = Date.now();
      idleWarning.classList.add("d-none");
    });
  }

  idleWarning.querySelector("[data-stay-signed-in]").addEventListener("click", keepAlive);

  window.setInterval(function () {
    if (sessionEnded) {
      return;
    }
    var idle = Date.now() - lastActivity;
    if (idle >= idleMs) {
      endSession();
    } else if (idle >= idleMs - warnMs) {
      idleWarning.classList.remove("d-none");
    }
  }, 1000);

  // Back to a page kept in the browser's memory: the panel evaluates what the page shows.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      levelsChanged();
    }
  });

  // Answers kept when the session ended: signed in again, save them as the draft.
  var key = STASH_PREFIX + window.location.pathname;
  var kept = window.sessionStorage.getItem(key);
  if (kept) {
    window.sessionStorage.removeItem(key);
    var restore = document.createElement("form");
    restore.method = "post";
    restore.action = form.getAttribute("action");
    restore.hidden = true;
    var fields = JSON.parse(kept).concat([
      ["csrfmiddlewaretoken", form.querySelector('input[name="csrfmiddlewaretoken"]').value],
      ["action", "draft"],
      ["restored", "1"],
    ]);
    fields.forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      restore.appendChild(input);
    });
    document.body.appendChild(restore);
    leaving = true;
    restore.submit();
  }
})();
