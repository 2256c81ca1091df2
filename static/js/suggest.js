/* Suggestions as you type for the catalogue search box. Without JavaScript the box is a plain search form. */
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  var controller = null;
  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.text;
      list.appendChild(option);
    });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { fill([]); return; }
    timer = setTimeout(function () {
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      var url = input.getAttribute("data-suggest") + "?limit=8&q=" + encodeURIComponent(q);
      fetch(url, { signal: controller ? controller.signal : undefined, headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { fill(data.suggestions || []); })
        .catch(function () { /* typing on: an aborted request is normal */ });
    }, 150);
  });
})();
