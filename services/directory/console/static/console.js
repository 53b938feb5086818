// Pathways admin console: small enhancements only. Every page works without this script.
(function () {
  "use strict";

  // Move focus to the error summary (or a plan just made), so keyboard and screen-reader
  // users land on what changed.
  var summary = document.getElementById("error-summary") || document.getElementById("result-title");
  if (summary) { summary.focus(); }

  // The pathway picture: pointing at or focusing a service lights up its arrows.
  var graph = document.querySelector(".pathway-graph");
  if (graph) {
    var arrows = graph.querySelectorAll(".arrow");
    var light = function (id) {
      graph.classList.add("focusing");
      arrows.forEach(function (a) {
        if (a.getAttribute("data-from") === id || a.getAttribute("data-to") === id) {
          a.classList.add("lit");
        }
      });
    };
    var dim = function () {
      graph.classList.remove("focusing");
      arrows.forEach(function (a) { a.classList.remove("lit"); });
    };
    graph.querySelectorAll(".node").forEach(function (node) {
      var id = node.getAttribute("data-node");
      node.addEventListener("mouseenter", function () { light(id); });
      node.addEventListener("mouseleave", dim);
      node.addEventListener("focus", function () { light(id); });
      node.addEventListener("blur", dim);
    });
  }

  // Ask before removing a pathway.
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
