/* The schedule and the flow board: the appointment dialog, refusals shown in place, live clocks.
   Everything works without this file too (plain links and forms); it only makes it smoother. */
(function () {
  "use strict";

  // A refusal from the schedule (409 slot taken, 422 wrong input) carries the form with the
  // service's message: let htmx show it instead of treating it as a failed request.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Content loaded into a <dialog> opens it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.target.closest && event.target.closest("dialog");
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
  });

  // Clicking the dark backdrop of a dialog closes it.
  document.addEventListener("click", function (event) {
    if (event.target.tagName === "DIALOG" && event.target.open) {
      var box = event.target.getBoundingClientRect();
      var inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) event.target.close();
    }
  });

  // Minutes since each [data-since], measured on the server's clock (data-now on the page).
  var offset = 0;
  function syncClock(root) {
    var holder = (root || document).querySelector("[data-now]") || document.querySelector("[data-now]");
    if (holder) {
      var serverNow = Date.parse(holder.getAttribute("data-now"));
      if (!isNaN(serverNow)) offset = serverNow - Date.now();
    }
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) return;
      var minutes = Math.max(0, Math.floor((now - since) / 60000));
      var out = el.querySelector(".minutes") || el;
      out.textContent = minutes + " min";
      var warn = Number(el.getAttribute("data-warn") || 15);
      var bad = Number(el.getAttribute("data-bad") || 30);
      var card = el.closest("[data-wait]") || el;
      card.classList.toggle("wait-warn", minutes > warn && minutes <= bad);
      card.classList.toggle("wait-bad", minutes > bad);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { syncClock(); tick(); });
  document.addEventListener("htmx:afterSettle", function (event) { syncClock(event.target); tick(); });
  setInterval(tick, 15000);

  // The board refreshes itself unless someone is choosing a room on it right now.
  window.moBoardIdle = function () {
    var active = document.activeElement;
    var board = document.getElementById("board");
    var dialog = document.querySelector("dialog[open]");
    return !dialog && !(board && active && board.contains(active) && active.tagName === "SELECT");
  };
})();
