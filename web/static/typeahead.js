// Progressive enhancement of the search boxes: suggestions while typing, as an ARIA
// combobox (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/). Without JavaScript the
// box is the plain form it always was. Arrow keys move through the list, Enter opens the
// chosen suggestion (or searches what was typed), Escape closes the list; a polite live
// region says how many suggestions there are. Requests wait for a pause in typing and a
// newer keystroke cancels an older request. Everything is rendered as text.
(function () {
  "use strict";
  var DELAY = 150;
  var MIN_CHARS = 2;
  var counter = 0;

  function enhance(input) {
    var form = input.form;
    if (!form || !window.fetch || !window.AbortController) return;
    var n = ++counter;
    var listId = "typeahead-list-" + n;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "typeahead";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.dataset.labelSuggestions || "Suggestions");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(list);
    form.appendChild(status);
    form.classList.add("has-typeahead");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var lastAsked = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      active = index;
      items.forEach(function (item, i) {
        item.el.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
      } else {
        input.setAttribute("aria-activedescendant", items[index].el.id);
        items[index].el.scrollIntoView({ block: "nearest" });
      }
    }

    function go(item) {
      close();
      window.location.assign(new URL(item.url, window.location.href).href);
    }

    function show(data) {
      list.textContent = "";
      items = (data.suggestions || []).map(function (s, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.className = "typeahead-option typeahead-" + s.kind;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var kind = document.createElement("span");
        kind.className = "typeahead-kind";
        kind.textContent = input.dataset["kind" + s.kind.charAt(0).toUpperCase() + s.kind.slice(1)] || "";
        var text = document.createElement("span");
        text.textContent = s.text;
        li.appendChild(text);
        li.appendChild(kind);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { go(s); });
        list.appendChild(li);
        return { el: li, url: s.url, text: s.text };
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = (input.dataset.announce || "{count}").replace("{count}", String(items.length));
      } else {
        close();
        status.textContent = input.dataset.none || "";
      }
    }

    function ask() {
      var q = input.value;
      if (q.trim().length < MIN_CHARS) { close(); status.textContent = ""; return; }
      if (q === lastAsked && !list.hidden) return;
      lastAsked = q;
      if (pending) pending.abort();
      pending = new AbortController();
      var params = new URLSearchParams({ q: q, lang: input.dataset.lang || "" });
      fetch(input.dataset.typeahead + "?" + params, {
        signal: pending.signal,
        headers: { Accept: "application/json" },
      })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) { if (input.value === q) show(data); })
        .catch(function (err) { if (err.name !== "AbortError") close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      lastAsked = "";
      timer = setTimeout(ask, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) {
          if (items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
          else { ask(); }
          event.preventDefault();
          return;
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= items.length) next = -1;
        if (next < -1) next = items.length - 1;
        choose(next);
        event.preventDefault();
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          go(items[active]);
        } else {
          close(); // the form is submitted as typed
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  var boxes = document.querySelectorAll("input[data-typeahead]");
  for (var i = 0; i < boxes.length; i++) enhance(boxes[i]);
})();
