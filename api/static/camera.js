/* The camera for reading a QR label: the browser's BarcodeDetector, otherwise the
   vendored jsQR decoder, loaded only then (it is most of the weight). Loaded by the
   stocktake page when the camera is first opened; the service worker keeps it. */
(function () {
  "use strict";
  var stream = null, decoderReady = null;

  function loadDecoder() {
    if ("BarcodeDetector" in window) {
      var detector = new BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function (canvas) {
        return detector.detect(canvas).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      });
    }
    decoderReady = decoderReady || new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/static/vendor/jsQR.min.js"; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    }).then(function () {
      return function (canvas) {
        var image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
    return decoderReady;
  }

  function stop(video, button) {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; video.hidden = true; button.textContent = "Quét bằng camera";
  }

  /* Opens the camera (or closes it when open); ``found(text)`` returns true to stop. */
  function toggle(video, button, found, fail) {
    if (stream) { stop(video, button); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { fail("Máy không cho dùng camera ở đây: hãy gõ mã."); return; }
    var canvas = document.createElement("canvas");
    Promise.all([loadDecoder(), navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })])
      .then(function (ready) {
        var decode = ready[0]; stream = ready[1];
        video.srcObject = stream; video.hidden = false; video.play();
        button.textContent = "Tắt camera";
        (function tick() {
          if (!stream) return;
          if (video.videoWidth) {
            canvas.width = video.videoWidth; canvas.height = video.videoHeight;
            canvas.getContext("2d").drawImage(video, 0, 0);
            decode(canvas).then(function (text) {
              if (text && found(text)) stop(video, button); else setTimeout(tick, 200);
            }, function () { setTimeout(tick, 400); });
          } else setTimeout(tick, 200);
        })();
      }).catch(function () { stop(video, button); fail("Không mở được camera: hãy gõ mã trên nhãn."); });
  }

  window.FieldCamera = { toggle: toggle, loadDecoder: loadDecoder };
})();
