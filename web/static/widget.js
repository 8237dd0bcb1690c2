// Embeddable help-center search. On any page (a company site, a chat window):
//   <script src="https://help.example.com/widget.js" data-lang="en" defer></script>
// Optional: data-target="element-id" (where to put it), data-limit="5", data-title="...".
// It calls the public JSON API of the help center it was loaded from; that help center
// must list the page's origin in KB_CORS_ORIGINS. Everything is rendered as text (no
// innerHTML), inside a shadow root so the page's styles and the widget's don't mix.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, document.baseURI).origin;
  var lang = script.dataset.lang || document.documentElement.lang.slice(0, 2) || "";
  var limit = Math.min(parseInt(script.dataset.limit || "5", 10) || 5, 10);
  // the help center's catalogues (web/locales), put in when the server sends this file
  var texts = /*TEXTS*/{};
  var text = texts[lang] || texts.en;

  var host = document.createElement("div");
  host.className = "kb-widget";
  var target = script.dataset.target && document.getElementById(script.dataset.target);
  if (target) target.appendChild(host); else script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var style = document.createElement("style");
  style.textContent =
    ":host{display:block;font:15px/1.45 system-ui,sans-serif;color:#1b1b1b;max-width:36rem}" +
    "form{display:flex;gap:.4rem}input{flex:1;padding:.45rem .6rem;font:inherit;" +
    "border:1px solid #9aa5b1;border-radius:6px}button{padding:.45rem .9rem;font:inherit;" +
    "border:0;border-radius:6px;background:#0b5cab;color:#fff;cursor:pointer}" +
    "ol{list-style:none;padding:0;margin:.6rem 0}li{padding:.45rem 0;border-bottom:1px solid #e3e7eb}" +
    "p{margin:.1rem 0}a{color:#0b5cab;font-weight:600}.section{font-size:.85rem;color:#555}" +
    ".snippet{margin:.15rem 0 0;font-size:.9rem}.note{font-size:.9rem;color:#555;margin:.5rem 0 0}" +
    ".box{position:relative;flex:1;display:flex}.box input{flex:1}" +
    "[role=listbox]{position:absolute;top:100%;left:0;right:0;z-index:10;margin:.2rem 0 0;" +
    "padding:.2rem 0;background:#fff;border:1px solid #9aa5b1;border-radius:6px;" +
    "box-shadow:0 6px 18px rgba(0,0,0,.15)}[role=listbox][hidden]{display:none}" +
    "[role=option]{display:flex;justify-content:space-between;gap:.8rem;padding:.4rem .6rem;" +
    "border:0;cursor:pointer}[role=option][aria-selected=true]{background:#e8eefc;" +
    "outline:2px solid #1b1b1b;outline-offset:-2px}.kind{font-size:.8rem;color:#555}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";
  root.appendChild(style);

  var form = document.createElement("form");
  form.setAttribute("role", "search");
  var input = document.createElement("input");
  input.type = "search";
  input.name = "q";
  input.maxLength = 500;
  input.placeholder = text.placeholder;
  input.setAttribute("aria-label", script.dataset.title || text.title);
  var button = document.createElement("button");
  button.type = "submit";
  button.textContent = text.button;
  var box = document.createElement("div");
  box.className = "box";
  box.appendChild(input);
  form.appendChild(box);
  form.appendChild(button);
  var results = document.createElement("div");
  results.setAttribute("aria-live", "polite");
  root.appendChild(form);
  root.appendChild(results);

  function safeLink(url) {
    var link = new URL(url, base);
    return link.protocol === "https:" || link.protocol === "http:" ? link.href : base + "/";
  }

  function paragraph(cls, value) {
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = value;
    return p;
  }

  function show(data) {
    results.textContent = "";
    // when nothing answers, a few related articles at most, and only those with evidence
    var hits = data.answered ? data.results : data.results.filter(function (hit) {
      return hit.confidence_score > 0;
    }).slice(0, 3);
    if (data.corrected_query) {
      results.appendChild(paragraph("note", text.showing_for + " " + data.corrected_query));
    }
    if (!data.answered) {
      results.appendChild(paragraph("note", hits.length ? text.none + " " + text.maybe : text.none));
    }
    var list = document.createElement("ol");
    hits.forEach(function (hit) {
      var item = document.createElement("li");
      var a = document.createElement("a");
      a.href = safeLink(hit.url);
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = hit.title;
      item.appendChild(a);
      if (hit.section) item.appendChild(paragraph("section", hit.section));
      if (hit.snippet) item.appendChild(paragraph("snippet", hit.snippet));
      list.appendChild(item);
    });
    if (hits.length) results.appendChild(list);
    if (!data.answered) {
      var contact = document.createElement("a");
      var page = (data.lang || lang || "en") + "/contact?q=" + encodeURIComponent(data.query);
      contact.href = base + "/" + page;
      contact.target = "_blank";
      contact.rel = "noopener";
      contact.textContent = text.contact;
      results.appendChild(contact);
    }
  }

  // suggestions while typing: the same ARIA combobox as the help center's own search box
  var list = document.createElement("ul");
  list.id = "kb-widget-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", text.suggestions);
  list.hidden = true;
  box.appendChild(list);
  var announce = document.createElement("div");
  announce.className = "sr";
  announce.setAttribute("role", "status");
  announce.setAttribute("aria-live", "polite");
  root.appendChild(announce);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.autocomplete = "off";
  var options = [];
  var active = -1;
  var timer = null;
  var suggesting = null;

  function closeList() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function pick(option) {
    closeList();
    if (option.kind === "query") {
      input.value = option.text;
      search();
    } else {
      window.open(safeLink(option.url), "_blank", "noopener");
    }
  }

  function highlight(index) {
    active = index;
    options.forEach(function (o, i) { o.el.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index < 0) input.removeAttribute("aria-activedescendant");
    else input.setAttribute("aria-activedescendant", options[index].el.id);
  }

  function showSuggestions(data) {
    list.textContent = "";
    options = (data.suggestions || []).map(function (s, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var label = document.createElement("span");
      label.textContent = s.text;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = text["kind_" + s.kind] || "";
      li.appendChild(label);
      li.appendChild(kind);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); });
      li.addEventListener("click", function () { pick(s); });
      list.appendChild(li);
      return { el: li, kind: s.kind, text: s.text, url: s.url };
    });
    active = -1;
    if (options.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce.textContent = text.suggestions_count.replace("{count}", String(options.length));
    } else {
      closeList();
      announce.textContent = text.no_suggestions;
    }
  }

  function suggest() {
    var q = input.value;
    if (q.trim().length < 2) { closeList(); return; }
    if (suggesting) suggesting.abort();
    suggesting = new AbortController();
    var url = base + "/api/typeahead?" + new URLSearchParams(
      Object.assign({ q: q }, lang ? { lang: lang } : {}));
    fetch(url, { signal: suggesting.signal, credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { if (input.value === q) showSuggestions(data); })
      .catch(function (err) { if (err.name !== "AbortError") closeList(); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) {
        if (options.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        else suggest();
        return;
      }
      var next = active + (event.key === "ArrowDown" ? 1 : -1);
      if (next >= options.length) next = -1;
      if (next < -1) next = options.length - 1;
      highlight(next);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      pick(options[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      closeList();
    }
  });
  input.addEventListener("blur", function () { setTimeout(closeList, 100); });

  var pending = null;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    closeList();
    search();
  });

  function search() {
    var q = input.value.trim();
    if (!q) return;
    if (pending) pending.abort();
    pending = new AbortController();
    var url = base + "/api/search?" + new URLSearchParams(
      Object.assign({ q: q, limit: String(limit) }, lang ? { lang: lang } : {}));
    fetch(url, { signal: pending.signal, credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(show)
      .catch(function (err) {
        if (err.name === "AbortError") return;
        results.textContent = "";
        results.appendChild(paragraph("note", text.error));
      });
  }
})();
