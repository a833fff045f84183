// Renders /api/openapi.json as a list of routes. Text is inserted with textContent only.
(function () {
  "use strict";
  var box = document.getElementById("routes");
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  fetch("/api/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    box.textContent = "";
    var p = el("p", spec.info.description);
    box.appendChild(p);
    Object.keys(spec.paths).forEach(function (path) {
      var ops = spec.paths[path];
      Object.keys(ops).forEach(function (method) {
        var op = ops[method];
        var sec = el("section");
        var h = el("h2", method.toUpperCase() + " " + path);
        sec.appendChild(h);
        sec.appendChild(el("p", op.summary));
        sec.appendChild(el("p", op.description));
        if (op.requestBody) {
          var ref = op.requestBody.content["application/json"].schema["$ref"];
          sec.appendChild(el("p", "请求体 / body: " + ref.split("/").pop()));
        }
        box.appendChild(sec);
      });
    });
  }).catch(function (e) { box.textContent = "无法载入 / cannot load: " + e; });
})();
