/* The label scanner: the browser's BarcodeDetector where it exists, otherwise the vendored jsQR decoder,
   loaded only when needed. A decoded label opens through /scan/open, which checks it is a registry label. */
(function () {
  "use strict";
  var box = document.getElementById("scanner");
  if (!box || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var start = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var status = document.getElementById("scan-status");
  var detector = null;
  var stream = null;
  start.hidden = false;

  function say(text) { status.textContent = text; }

  function found(text) {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    if (!/^https?:\/\//i.test(text)) { say(box.dataset.msgForeign + " " + text); return; }
    say(box.dataset.msgFound);
    window.location.href = "/scan/open?url=" + encodeURIComponent(text);
  }

  function loadDecoder() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var s = document.createElement("script");
      s.src = box.dataset.decoder;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function tick() {
    if (!stream || video.readyState < 2) { window.requestAnimationFrame(tick); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); } else { window.setTimeout(tick, 150); }
      }).catch(function () { window.setTimeout(tick, 300); });
      return;
    }
    var w = video.videoWidth, h = video.videoHeight;
    var scale = Math.min(1, 640 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (code && code.data) { found(code.data); } else { window.setTimeout(tick, 120); }
  }

  function chooseDecoder() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); return; }
        return loadDecoder();
      });
    }
    return loadDecoder();
  }

  start.addEventListener("click", function () {
    say(box.dataset.msgLooking);
    chooseDecoder()
      .then(function () { return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }); })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        start.hidden = true;
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(tick); })
      .catch(function () { say(box.dataset.msgDenied); });
  });
})();
