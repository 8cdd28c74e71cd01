/* The deal board: drag a card to another column to move the deal. The drop posts the card's own
   stage form (the same form that works without JavaScript) with the new stage, asking for JSON; the
   server runs the same service and checks as POST /api/v1/deals/{id}/stage. On refusal the card goes
   back and the reason is shown. No dependencies, no inline script (CSP-safe). */
(function () {
  "use strict";

  var board = document.getElementById("deal-board");
  if (!board) return;
  var status = document.getElementById("board-status");
  var dragged = null;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("board-error", !!isError);
  }

  function columnOf(node) {
    while (node && node !== board) {
      if (node.classList && node.classList.contains("board-column")) return node;
      node = node.parentNode;
    }
    return null;
  }

  function recount(column) {
    var cards = column.querySelectorAll(".board-card");
    var empty = column.querySelector(".board-empty");
    if (empty) empty.hidden = cards.length > 0;
  }

  function shiftCount(column, delta) {
    var counter = column.querySelector("[data-count]");
    if (counter) counter.textContent = String(Math.max(0, (parseInt(counter.textContent, 10) || 0) + delta));
  }

  function move(card, fromColumn, toColumn) {
    var form = card.querySelector("form.board-move");
    if (!form) return;
    var stage = toColumn.getAttribute("data-stage");
    var select = form.querySelector("select[name=stage]");
    var data = new FormData(form);
    data.set("stage", stage);
    var list = toColumn.querySelector(".board-cards");
    list.insertBefore(card, list.firstChild);
    shiftCount(fromColumn, -1);
    shiftCount(toColumn, 1);
    recount(fromColumn);
    recount(toColumn);
    say("Moving…", false);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.body.message || "The deal could not be moved.");
        if (select) select.value = stage;
        card.setAttribute("data-stage", stage);
        say(card.querySelector(".board-card-name").textContent + " moved to " + result.body.stage_label + ".", false);
      })
      .catch(function (error) {
        var back = fromColumn.querySelector(".board-cards");
        back.insertBefore(card, back.firstChild);
        shiftCount(toColumn, -1);
        shiftCount(fromColumn, 1);
        recount(fromColumn);
        recount(toColumn);
        say(error.message || "The deal could not be moved.", true);
      });
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".board-card[data-movable]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("board-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("board-dragging");
    dragged = null;
    var targets = board.querySelectorAll(".board-drop-target");
    for (var i = 0; i < targets.length; i++) targets[i].classList.remove("board-drop-target");
  });

  board.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("board-drop-target");
  });

  board.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("board-drop-target");
  });

  board.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();
    column.classList.remove("board-drop-target");
    var from = columnOf(dragged);
    if (from && from !== column) move(dragged, from, column);
  });
})();
