/* Photos of a device from the phone. The photo is shrunk here (canvas -> JPEG, longest
   side 1280 px, quality lowered until it is under the server's limit), queued in the same
   IndexedDB queue as the offline actions (fieldqueue.js, loaded first; record {route:
   "photo", client_event_id, asset_id, tag, blob, caption, taken_at}) and sent once when the signal returns. Sending takes the same
   navigator.locks lock as the other actions ("field-queue-send"), so two tabs never send
   the same photo; the server stores each event id once anyway.

   The scan page loads this file itself (section #photo); the stocktake page (and a label
   opened with no signal) loads it when a photo is chosen, and sends the queue's photos
   through window.FieldPhotos.send. */
(function () {
  "use strict";
  var SIDE = 1280, DEFAULT_LIMIT = 200 * 1024;

  /* --- the queue: fieldqueue.js (the same store as stocktake.js's actions) --------- */
  var Q = window.FieldQueue;
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("field-queue") : null;
  function changed() { if (channel) channel.postMessage("changed"); }
  function photosQueued() { return Q.all("photo"); }
  function forget(id) { return Q.forget([id]).then(changed); }

  /* --- shrinking on the phone ---------------------------------------------------- */
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return viaImg(file); });
    }
    return viaImg(file);
  }
  function viaImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      img.src = url;
    });
  }
  function canvasOf(source, width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width)); canvas.height = Math.max(1, Math.round(height));
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }
  function jpeg(canvas, quality) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { if (blob) resolve(blob); else reject(new Error("encode")); }, "image/jpeg", quality);
    });
  }
  /* Lower the quality until the photo fits, then the size if it must. */
  function fit(canvas, quality, limit) {
    return jpeg(canvas, quality).then(function (blob) {
      if (blob.size <= limit) return blob;
      if (quality > 0.4) return fit(canvas, Math.round((quality - 0.1) * 100) / 100, limit);
      if (canvas.width < 64 || canvas.height < 64) throw new Error("too large");
      return fit(canvasOf(canvas, canvas.width * 0.75, canvas.height * 0.75), 0.7, limit);
    });
  }
  function shrink(file, limit) {
    limit = Math.floor((limit || DEFAULT_LIMIT) * 0.97);  // a little room below the server's limit
    return decode(file).then(function (image) {
      var scale = Math.min(1, SIDE / Math.max(image.width, image.height));
      var canvas = canvasOf(image, image.width * scale, image.height * scale);
      if (image.close) image.close();
      return fit(canvas, 0.85, limit);
    });
  }

  /* Shrink a chosen photo and queue it; it is sent by whichever page sends the queue. */
  function queue(file, device, caption, limit) {
    return shrink(file, limit).then(function (blob) {
      var record = {
        client_event_id: Q.eventId(), route: "photo", asset_id: device.id, tag: device.tag, blob: blob,
        caption: caption || "", taken_at: new Date().toISOString(), size: blob.size
      };
      return Q.add(record).then(function () { changed(); return record; });
    });
  }

  /* Send one queued photo. Resolves {done, ok, message, photo}: done = it may leave the
     queue (stored, or refused for good); not done = keep it and try again later. */
  function send(record) {
    var form = new FormData();
    form.append("file", record.blob, "anh.jpg");
    form.append("client_event_id", record.client_event_id);
    if (record.caption) form.append("caption", record.caption);
    if (record.taken_at) form.append("taken_at", record.taken_at);
    return fetch("/api/assets/" + record.asset_id + "/photos", { method: "POST", credentials: "same-origin", body: form })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          var tag = window.Tags ? Tags.displayTag(record.tag) : record.tag;
          if (r.ok) return { done: true, ok: true, message: "Đã gửi ảnh của thiết bị " + tag + ".", photo: data };
          if (r.status === 401) return { done: false, message: "Cần đăng nhập lại để gửi ảnh (ảnh vẫn trên máy)." };
          if (r.status === 408 || r.status === 429 || r.status >= 500) return { done: false, message: "" };
          // Breaks a rule (wrong type, too large, no longer this commune's): resending will not help.
          return { done: true, ok: false, message: "Không gửi được ảnh (" + tag + "): " + (data.detail || ("HTTP " + r.status)) };
        });
      }, function () { return { done: false, message: "" }; });  // no signal: keep it
  }

  /* The scan page sends the queue's photos itself (the other actions wait for stocktake.js). */
  var sending = false, retry = null;
  function locked(work) {
    return navigator.locks ? navigator.locks.request("field-queue-send", work) : work();
  }
  function sendQueued(onSent) {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true; clearTimeout(retry);
    function next() {
      return photosQueued().then(function (list) {
        if (!list.length || !navigator.onLine) return;
        return send(list[0]).then(function (result) {
          if (!result.done) { if (result.message && onSent) onSent(result, list[0]); return "later"; }
          return forget(list[0].client_event_id).then(function () { if (onSent) onSent(result, list[0]); return next(); });
        });
      });
    }
    return locked(next).catch(function () {}).then(function (outcome) {
      sending = false;
      if (outcome === "later") retry = setTimeout(function () { sendQueued(onSent); }, 15000);
    });
  }

  window.FieldPhotos = { shrink: shrink, queue: queue, send: send, sendQueued: sendQueued, queued: photosQueued };

  /* --- the scan page's own section ------------------------------------------------ */
  var section = document.getElementById("photo");
  if (!section) return;
  function $(id) { return document.getElementById(id); }
  function say(text, tone) { var m = $("ph-msg"); m.textContent = text; m.className = "st-msg " + (tone || ""); }
  var device = { id: Number(section.dataset.asset), tag: section.dataset.tag };
  var limit = Number(section.dataset.max) || DEFAULT_LIMIT;
  function shown(result, record) {
    say(result.message, result.ok ? "good" : "bad");
    if (!result.ok || !result.photo || record.asset_id !== device.id) return;
    var list = $("ph-list"), link = document.createElement("a"), img = document.createElement("img");
    link.href = "/assets/" + device.id + "/photos/" + result.photo.id;
    img.src = link.href; img.alt = result.photo.caption || "Ảnh thiết bị"; img.width = result.photo.width; img.height = result.photo.height;
    link.appendChild(img); list.insertBefore(link, list.firstChild); list.hidden = false;
  }
  function counted() {
    return photosQueued().then(function (list) {
      $("ph-queue").textContent = list.length ? list.length + " ảnh chờ gửi" : "";
    });
  }
  $("ph-file").addEventListener("change", function () {
    var input = $("ph-file"), file = input.files && input.files[0];
    if (!file) return;
    say("Đang thu nhỏ ảnh…", "");
    queue(file, device, $("ph-caption").value.trim(), limit).then(function (record) {
      input.value = ""; $("ph-caption").value = "";
      say((navigator.onLine ? "Đã lưu ảnh (" : "Đã lưu ảnh trên máy (") + Math.round(record.size / 1024) + " KB)" +
        (navigator.onLine ? ", đang gửi…" : "; sẽ gửi khi có sóng."), "good");
      return counted().then(function () { return sendQueued(shown); });
    }, function () { say("Không đọc được ảnh này: hãy chụp lại hoặc chọn ảnh khác.", "bad"); }).then(counted);
  });
  window.addEventListener("online", function () { sendQueued(shown).then(counted); });
  if (channel) channel.addEventListener("message", counted);
  sendQueued(shown).then(counted);
})();
