/* arxiv-feeds pages: copy buttons, and the feed builder with its live preview.
 *
 * Everything here is an enhancement: the profile lists and preview pages work without it,
 * and the builder form then submits to /preview. Text from arXiv is only ever put in the
 * page with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 350;
  var DEFAULT_TYPES = ["new", "cross"];
  var TYPE_ORDER = ["new", "cross", "replace", "replace-cross"];

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- copying ---------------------------------------------------------------------

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return legacyCopy(text); }
      );
    }
    return Promise.resolve(legacyCopy(text));
  }

  function legacyCopy(text) {
    var area = el("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function flash(button, text) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 1800);
  }

  function initCopying() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(button.dataset.copy).then(function (ok) {
          flash(button, ok ? "Copied" : "Press Ctrl+C");
        });
      });
    });
    var fields = document.querySelectorAll("input.copy-field");
    Array.prototype.forEach.call(fields, function (field) {
      field.addEventListener("focus", function () { field.select(); });
    });
  }

  // --- query strings (the same encoding as core/web/layout.py's qs_value) -------------

  function encodeValue(value) {
    return encodeURIComponent(value)
      .replace(/%2C/g, ",")
      .replace(/%3A/g, ":")
      .replace(/%40/g, "@")
      .replace(/%2F/g, "/")
      .replace(/%20/g, "+");
  }

  function queryString(pairs) {
    return pairs.map(function (pair) { return pair[0] + "=" + encodeValue(pair[1]); }).join("&");
  }

  function withQuery(url, pairs) {
    return pairs.length ? url + "?" + queryString(pairs) : url;
  }

  function splitList(value) {
    return value.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
  }

  function number(value) {
    var n = Number(value);
    return Number.isFinite(n) ? String(n) : value;
  }

  // --- the builder -------------------------------------------------------------------

  function initBuilder(form) {
    var base = form.dataset.base;
    var api = form.dataset.api;
    var previewPath = form.dataset.preview;
    var filter = $("cat-filter");
    var catList = $("cat-list");
    var chips = $("cat-selected");
    var empty = $("cat-empty");
    var output = $("builder-output");
    var feedUrl = $("feed-url");
    var copyButton = $("copy-url");
    var copyStatus = $("copy-status");
    var catStatus = $("cat-status");
    var openFeed = $("open-feed");
    var openPreview = $("open-preview");
    var status = $("preview-status");
    var list = $("preview-list");
    var options = Array.prototype.slice.call(catList.querySelectorAll("label.cat"));
    var boxes = options.map(function (label) { return label.querySelector("input"); });
    var names = {};
    options.forEach(function (label) {
      names[label.querySelector("input").value] = label.querySelector("span").textContent;
    });
    var order = boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
    var timer = null;
    var controller = null;
    var sequence = 0;
    var current = "";

    output.hidden = false;
    $("builder-submit").parentNode.hidden = true;

    function value(id) {
      return form.elements[id].value.trim();
    }

    function pairs() {
      var result = [];
      if (order.length) result.push(["cat", order.join(",")]);
      if (value("q")) result.push(["q", value("q")]);
      var exclude = splitList(value("exclude"));
      if (exclude.length) result.push(["exclude", exclude.join(",")]);
      var authors = splitList(value("author"));
      if (authors.length) result.push(["author", authors.join(",")]);
      ["like", "unlike"].forEach(function (name) {
        var ids = splitList(value(name));
        if (ids.length) result.push([name, ids.join(",")]);
      });
      var types = TYPE_ORDER.filter(function (type) {
        return form.querySelector('input[name="type"][value="' + type + '"]').checked;
      });
      var isDefault = types.length === DEFAULT_TYPES.length && DEFAULT_TYPES.every(function (t) { return types.indexOf(t) >= 0; });
      if (types.length && !isDefault) result.push(["type", types.join(",")]);
      var minScore = value("min_score");
      if (minScore !== "" && Number(minScore) !== 0) result.push(["min_score", number(minScore)]);
      if (value("limit") !== "") result.push(["limit", number(value("limit"))]);
      if (value("days") !== "") result.push(["days", number(value("days"))]);
      if (value("sort") !== "score") result.push(["sort", value("sort")]);
      return result;
    }

    function setEnabled(link, enabled) {
      if (enabled) {
        link.removeAttribute("aria-disabled");
      } else {
        link.setAttribute("aria-disabled", "true");
      }
    }

    function updateUrls() {
      var query = pairs();
      var format = value("format");
      var ready = order.length > 0;
      var url = withQuery(base + "/feed", query.concat(format !== "rss" ? [["format", format]] : []));
      feedUrl.value = ready ? url : "";
      feedUrl.placeholder = "Pick a category first";
      openFeed.href = url;
      openPreview.href = withQuery(previewPath, query);
      setEnabled(openFeed, ready);
      setEnabled(openPreview, ready);
      copyButton.disabled = !ready;
      return query;
    }

    function renderChips() {
      chips.replaceChildren();
      chips.hidden = order.length === 0;
      order.forEach(function (code) {
        var chip = el("button", "chip removable");
        chip.type = "button";
        chip.dataset.code = code;
        chip.setAttribute("aria-label", "Remove " + code + " " + (names[code] || ""));
        chip.appendChild(el("b", null, code));
        chip.appendChild(document.createTextNode(" " + (names[code] || "") + " "));
        chip.appendChild(el("span", "remove", "×")).setAttribute("aria-hidden", "true");
        chips.appendChild(chip);
      });
    }

    function applyFilter() {
      var tokens = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      options.forEach(function (label) {
        var show = tokens.every(function (token) { return label.dataset.search.indexOf(token) >= 0; });
        label.hidden = !show;
        if (show) shown += 1;
      });
      Array.prototype.forEach.call(catList.querySelectorAll(".cat-group"), function (group) {
        group.hidden = !group.querySelector("label.cat:not([hidden])");
      });
      empty.hidden = shown > 0;
    }

    function visibleBoxes() {
      return boxes.filter(function (box) { return !box.closest("label").hidden; });
    }

    function bestMatch() {
      var text = filter.value.trim().toLowerCase();
      var visible = visibleBoxes();
      var exact = visible.filter(function (box) { return box.value.toLowerCase() === text; });
      return exact[0] || visible[0] || null;
    }

    function syncOrder() {
      boxes.forEach(function (box) {
        var at = order.indexOf(box.value);
        if (box.checked && at < 0) order.push(box.value);
        if (!box.checked && at >= 0) order.splice(at, 1);
      });
      renderChips();
    }

    function schedule() {
      updateUrls();
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DEBOUNCE_MS);
    }

    function showStatus(text, kind) {
      status.className = "preview-status" + (kind ? " " + kind : "");
      status.textContent = text;
    }

    function refresh() {
      window.clearTimeout(timer);
      var query = updateUrls();
      var key = queryString(query);
      if (!order.length) {
        if (controller) controller.abort();
        current = "";
        list.replaceChildren();
        showStatus("Pick at least one category to see today’s papers.");
        return;
      }
      if (key === current) return;
      current = key;
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var mine = ++sequence;
      output.setAttribute("aria-busy", "true");
      showStatus("Looking for matching papers…", "busy");
      fetch(withQuery(api, query), { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
        })
        .then(function (answer) {
          if (mine !== sequence) return;
          if (!answer.ok) {
            list.replaceChildren();
            showStatus((answer.body && answer.body.error) || "The preview failed (HTTP " + answer.status + ").", "error");
            current = "";
            return;
          }
          render(answer.body);
        })
        .catch(function (err) {
          if (err && err.name === "AbortError") return;
          if (mine !== sequence) return;
          current = "";
          showStatus("The preview could not be loaded. Check your connection and try again.", "error");
        })
        .then(function () {
          if (mine === sequence) output.removeAttribute("aria-busy");
        });
    }

    function render(data) {
      var count = data.count;
      var text = count === 1 ? "1 paper matches" : count + " papers match";
      text += " (" + data.considered + " considered over " + data.days + (data.days === 1 ? " day" : " days") + " of listings";
      if (data.newest) text += ", newest " + data.newest;
      text += ")";
      if (data.items.length < count) text += "; showing the first " + data.items.length;
      if (data.stale) text += ". arXiv could not be reached at the last attempt: these are stored papers";
      showStatus(text + ".", count ? "" : "empty");
      var nodes = data.items.map(paperNode);
      list.replaceChildren.apply(list, nodes);
    }

    function appendSpans(parent, spans) {
      spans.forEach(function (span) {
        if (span.mark) {
          parent.appendChild(el("mark", null, span.text));
        } else {
          parent.appendChild(document.createTextNode(span.text));
        }
      });
    }

    function arxivLink(url, text) {
      var link = el("a", null, text);
      if (/^https:\/\/arxiv\.org\//.test(url)) link.href = url;
      return link;
    }

    function paperNode(item, index) {
      var li = el("li", "paper");
      var head = li.appendChild(el("div", "paper-head"));
      var score = head.appendChild(el("p", "score"));
      score.appendChild(el("span", "visually-hidden", "score "));
      score.appendChild(document.createTextNode(item.score));
      var heading = head.appendChild(el("div", "paper-heading"));
      var title = heading.appendChild(el("h3", "paper-title"));
      title.appendChild(el("span", "rank", index + 1 + "."));
      title.appendChild(document.createTextNode(" "));
      appendSpans(title.appendChild(arxivLink(item.url, "")), item.title);
      var authors = heading.appendChild(el("p", "authors"));
      item.authors.forEach(function (author, i) {
        if (i) authors.appendChild(document.createTextNode(", "));
        authors.appendChild(author.mark ? el("mark", null, author.text) : document.createTextNode(author.text));
      });
      var meta = li.appendChild(el("div", "paper-meta"));
      var cats = meta.appendChild(el("ul", "chips"));
      item.categories.forEach(function (category, i) {
        var chip = cats.appendChild(el("li", i === 0 ? "chip primary" : "chip", category.code));
        chip.title = category.code + " — " + category.name + (i === 0 ? " (primary)" : "");
      });
      meta.appendChild(el("span", "muted", item.announce_type + " · " + item.announced + " · arXiv:" + item.id + "v" + item.version));
      var why = li.appendChild(el("div", "why"));
      why.appendChild(el("p", "explanation", item.explanation));
      var abstract = li.appendChild(el("p", "abstract clamp"));
      abstract.id = "abstract-" + item.id;
      appendSpans(abstract, item.abstract);
      var more = li.appendChild(el("button", "link-button", "Show the whole abstract"));
      more.type = "button";
      more.setAttribute("aria-expanded", "false");
      more.setAttribute("aria-controls", abstract.id);
      more.addEventListener("click", function () {
        var open = abstract.classList.toggle("clamp") === false;
        more.setAttribute("aria-expanded", open ? "true" : "false");
        more.textContent = open ? "Show less" : "Show the whole abstract";
      });
      var links = li.appendChild(el("p", "paper-links"));
      links.appendChild(arxivLink(item.url, "Abstract page"));
      links.appendChild(document.createTextNode(" · "));
      links.appendChild(arxivLink(item.pdf_url, "PDF"));
      return li;
    }

    // events
    form.addEventListener("input", function (event) {
      if (event.target === filter) return;
      schedule();
    });
    form.addEventListener("change", function (event) {
      if (event.target === filter) return;
      if (event.target.name === "cat") syncOrder();
      schedule();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      refresh();
    });
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var box = bestMatch();
        if (box && !box.checked) {
          box.checked = true;
          syncOrder();
          schedule();
        }
        if (box) catStatus.textContent = box.value + " " + (names[box.value] || "") + " selected";
      } else if (event.key === "ArrowDown") {
        var first = visibleBoxes()[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      } else if (event.key === "Escape" && filter.value) {
        filter.value = "";
        applyFilter();
      }
    });
    catList.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var visible = visibleBoxes();
      var at = visible.indexOf(document.activeElement);
      if (at < 0) return;
      event.preventDefault();
      if (event.key === "ArrowDown" && at + 1 < visible.length) visible[at + 1].focus();
      if (event.key === "ArrowUp") (at > 0 ? visible[at - 1] : filter).focus();
    });
    chips.addEventListener("click", function (event) {
      var chip = event.target.closest("button.chip");
      if (!chip) return;
      var box = boxes.filter(function (b) { return b.value === chip.dataset.code; })[0];
      if (box) box.checked = false;
      syncOrder();
      schedule();
      filter.focus();
    });
    copyButton.addEventListener("click", function () {
      if (!feedUrl.value) return;
      copyText(feedUrl.value).then(function (ok) {
        copyStatus.textContent = ok ? "Copied the feed URL to the clipboard." : "Select the URL and press Ctrl+C to copy it.";
        flash(copyButton, ok ? "Copied" : "Copy failed");
      });
    });
    [openFeed, openPreview].forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (link.getAttribute("aria-disabled") === "true") {
          event.preventDefault();
          filter.focus();
          showStatus("Pick at least one category first.", "error");
        }
      });
    });

    renderChips();
    applyFilter();
    if (order.length) {
      refresh();
    } else {
      updateUrls();
    }
  }

  function init() {
    initCopying();
    var form = $("builder");
    if (form) initBuilder(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
