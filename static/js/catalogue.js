// The catalogue results: the filters open by themselves on a wide screen (on a phone they stay behind their
// one control, under the count and above nothing), and at most five products can be ticked for comparing.
(function () {
  "use strict";
  var filters = document.querySelector("details[data-open-wide]");
  if (filters && window.matchMedia("(min-width: 48rem)").matches) {
    filters.open = true;
  }
  var MAX = 5;
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-compare]"));
  var hint = document.getElementById("compare-limit");
  function update() {
    var ticked = boxes.filter(function (b) { return b.checked; }).length;
    boxes.forEach(function (b) { b.disabled = !b.checked && ticked >= MAX; });
    if (hint) { hint.hidden = ticked < MAX; }
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
})();
