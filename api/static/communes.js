/* Commune fields: type a name (diacritics optional: "an vien" finds "Xã An Viễn")
   or the 5-digit code. Suggestions come from /api/communes; the field keeps sending
   the code, so the forms behind it do not change. Without this script the field
   still takes a code. */
(function () {
  "use strict";
  var CODE = /^\d{5}$/;

  function key(text) {  // as the server's search key: no diacritics, lower case
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }
  function label(c) { return c.name + " · " + c.province_name + " (" + c.code + ")"; }

  function search(text) {
    return fetch("/api/communes?limit=20&q=" + encodeURIComponent(key(text)), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (page) { return page.items; });
  }

  /* The one commune a typed name means: a whole-word match ("an vien" is Xã An Viễn,
     not Xã Xuân Viên), and only when there is exactly one. */
  function only(text, items) {
    var wanted = " " + key(text) + " ";
    var whole = items.filter(function (c) { return (" " + key(c.name) + " ").indexOf(wanted) >= 0; });
    return whole.length === 1 ? whole[0] : null;
  }

  function attach(input, n) {
    var list = document.createElement("datalist"), note = document.createElement("small");
    list.id = "commune-options-" + n;
    note.className = "muted commune-name";
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.insertAdjacentElement("afterend", note);
    note.insertAdjacentElement("afterend", list);
    var known = {}, timer = null, asked = "";

    function show(items) {
      list.innerHTML = "";
      items.forEach(function (c) {
        known[c.code] = c;
        var option = document.createElement("option");
        option.value = c.code; option.label = label(c); option.textContent = label(c);
        list.appendChild(option);
      });
    }
    function name() {
      var value = input.value.trim(), c = known[value];
      note.className = "muted commune-name";
      note.textContent = c ? label(c) : "";
      if (!c && CODE.test(value)) fetch("/api/communes/" + value, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) {
          if (!found || input.value.trim() !== value) return;
          known[value] = found; note.textContent = label(found);
        });
    }
    input.addEventListener("input", function () {
      var value = input.value.trim();
      name();
      clearTimeout(timer);
      if (value.length < 2 || CODE.test(value) || value === asked) return;
      timer = setTimeout(function () { asked = value; search(value).then(show); }, 200);
    });
    // A name typed but not picked: use it when it means one commune, else say so.
    input.form && input.form.addEventListener("submit", function (event) {
      var value = input.value.trim();
      if (!value || CODE.test(value) || input.form.dataset.communeChecked === "1") return;
      event.preventDefault();
      search(value).then(function (items) {
        var c = only(value, items);
        if (c) {
          input.value = c.code; known[c.code] = c; name();
          input.form.dataset.communeChecked = "1";
          input.form.requestSubmit ? input.form.requestSubmit(event.submitter || undefined) : input.form.submit();
          return;
        }
        show(items);
        note.textContent = items.length ? "Có nhiều xã/phường khớp \"" + value + "\": chọn một trong danh sách."
          : "Không tìm thấy xã/phường \"" + value + "\".";
        note.className = "field-error commune-name";
        input.focus();
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-commune-picker]"), attach);
})();
