// yidang review workbench: keyboard shortcuts and the lease countdown.
// Served by the app itself; the pages work without it, only slower to use.
(function () {
  "use strict";

  var DECISION_KEYS = {
    "1": "match", "y": "match",
    "2": "not_match", "n": "not_match",
    "3": "unsure", "u": "unsure"
  };

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function submitDecision(form, value) {
    var button = form.querySelector('button[name="decision"][value="' + value + '"]');
    if (!button || form.dataset.sent === "1") { return; }
    form.dataset.sent = "1";
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button);
    } else {
      button.click();
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var key = (event.key || "").toLowerCase();
    var form = document.getElementById("decision-form");
    if (form && DECISION_KEYS[key]) {
      event.preventDefault();
      submitDecision(form, DECISION_KEYS[key]);
      return;
    }
    var reveal = document.getElementById("reveal-form");
    if (key === "r" && reveal) { event.preventDefault(); reveal.submit(); return; }
    var skip = document.getElementById("skip-form");
    if (key === "s" && skip) { event.preventDefault(); skip.submit(); return; }
    var note = document.getElementById("note");
    if (key === "e" && note) { event.preventDefault(); note.focus(); }
  }

  function disableOnSubmit(form) {
    form.addEventListener("submit", function () {
      form.dataset.sent = "1";
      window.setTimeout(function () {
        var buttons = form.querySelectorAll("button");
        for (var i = 0; i < buttons.length; i += 1) { buttons[i].disabled = true; }
      }, 0);
    });
  }

  function countdown() {
    var lease = document.getElementById("lease");
    if (!lease) { return; }
    var left = parseInt(lease.dataset.seconds, 10);
    var ends = Date.now() + left * 1000;
    function tick() {
      var seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      var rest = seconds % 60;
      lease.textContent = minutes + ":" + (rest < 10 ? "0" : "") + rest;
      if (seconds <= 60) { lease.classList.add("expiring"); }
      if (seconds === 0) {
        lease.textContent = "已过期";
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.addEventListener("keydown", onKey);
    var form = document.getElementById("decision-form");
    if (form) { disableOnSubmit(form); }
    countdown();
  });
})();
