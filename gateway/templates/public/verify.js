// The verification page: the PDF is hashed here (WebCrypto), never uploaded; the inclusion
// proof is checked again here (RFC 9162 2.1.3.2) against the signed tree head's root.
(function () {
  "use strict";
  var hex = function (buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  };
  var bytes = function (h) {
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
    return out;
  };
  var subtle = window.crypto && window.crypto.subtle;
  var file = document.getElementById("file");
  var form = document.getElementById("check");
  var field = document.getElementById("sha256");
  if (file && form) {
    file.addEventListener("change", function () {
      if (!file.files.length) return;
      if (!subtle) {
        document.getElementById("result").textContent =
          "此浏览器在非 HTTPS 页面上不能计算摘要，请用 sha256sum 计算后填写。";
        return;
      }
      file.files[0].arrayBuffer().then(function (data) {
        return subtle.digest("SHA-256", data);
      }).then(function (digest) {
        field.value = hex(digest);
        file.value = "";
        form.submit();
      });
    });
  }
  var doc = document.getElementById("doc");
  var verdict = document.getElementById("proof-verdict");
  if (!doc || !verdict || !subtle) return;
  var v = JSON.parse(doc.getAttribute("data-proof"));
  if (!v.inclusion) return;
  var node = function (l, r) {
    var buf = new Uint8Array(1 + l.length + r.length);
    buf[0] = 1;
    buf.set(l, 1);
    buf.set(r, 1 + l.length);
    return subtle.digest("SHA-256", buf).then(function (d) { return new Uint8Array(d); });
  };
  var fn = v.inclusion.leaf_index, sn = v.inclusion.tree_head.tree_size - 1;
  var path = v.inclusion.audit_path.map(bytes);
  var step = function (r, i) {
    if (i === path.length) return Promise.resolve(sn === 0 ? r : null);
    if (sn === 0) return Promise.resolve(null);
    var next;
    if (fn % 2 === 1 || fn === sn) {
      next = node(path[i], r);
      while (fn % 2 === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      next = node(r, path[i]);
    }
    fn >>= 1; sn >>= 1;
    return next.then(function (x) { return step(x, i + 1); });
  };
  step(bytes(v.inclusion.leaf_hash), 0).then(function (root) {
    var ok = root && hex(root) === v.inclusion.tree_head.root_hash;
    verdict.setAttribute("data-browser", ok ? "ok" : "failed");
    verdict.textContent = (ok ? "✔ 本机核验：审计路径通向签名树头的根" :
      "✘ 本机核验失败：审计路径与签名树头的根不符");
  });
})();
