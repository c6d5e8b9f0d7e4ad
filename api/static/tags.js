/* Asset tags, as labels/tags.py: 6 symbols + 1 check symbol, weighted sum mod 31.
   Must accept and refuse exactly what the server does (a test runs both on many tags). */
(function (global) {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY", MODULUS = 31, LENGTH = 7;

  function canonical(text) {
    return String(text).toUpperCase().replace(/[ \-_.\t]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  }

  function parseTag(text) {
    var tag = canonical(text), symbols = Array.from(tag), total = 0, bad = "";
    if (symbols.length !== LENGTH) {
      return { reason: "length", message: "Mã tài sản phải có " + LENGTH + " ký tự (nhận được " + symbols.length + ")." };
    }
    symbols.forEach(function (s) { if (ALPHABET.indexOf(s) < 0) bad += s; });
    if (bad) return { reason: "symbol", message: "Mã tài sản có ký tự không hợp lệ: " + bad + "." };
    symbols.forEach(function (s, i) { total += (i + 1) * ALPHABET.indexOf(s); });
    if (total % MODULUS) {
      return { reason: "check", message: "Mã tài sản sai ký tự kiểm tra: có thể gõ nhầm hoặc đảo chỗ một ký tự." };
    }
    return { tag: tag };
  }

  function displayTag(tag) { return tag.slice(0, 3) + "-" + tag.slice(3); }

  /* A scanned QR holds ".../S/TAG" (older labels ".../s/TAG"); a typed tag is just the tag. */
  function tagFromText(text) {
    var at = text.toLowerCase().lastIndexOf("/s/");
    return parseTag(at >= 0 ? text.slice(at + 3) : text);
  }

  global.Tags = { parseTag: parseTag, displayTag: displayTag, tagFromText: tagFromText, canonical: canonical };
})(this);
