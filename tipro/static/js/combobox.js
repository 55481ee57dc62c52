// The one project control (loaded by js/tipro.js when a page has a <select data-combobox>):
// the select becomes a text box (role combobox) over a list built from the select's own
// options, recently used first, that filters as you type. It needs no server, so it works
// offline. The select stays the form's field (visually hidden): what is sent, htmx's
// `change` trigger and the offline queue (js/outbox.js) all read it.
(function () {
  "use strict";

  var comboSeq = 0;

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function comboOptions(select) {
    var out = [];
    for (var i = 0; i < select.options.length; i++) {
      var option = select.options[i];
      var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : null;
      if (group === null && option.value === "" && !option.hasAttribute("data-no-project")) {
        continue;  // the «Velg prosjekt» placeholder is not a choice
      }
      out.push({ index: i, text: option.textContent.trim(), group: group });
    }
    return out;
  }

  function isPlaceholder(select) {
    var option = select.options[select.selectedIndex];
    return !option || (option.value === "" && !option.hasAttribute("data-no-project"));
  }

  function enhanceSelect(select) {
    if (select.hasAttribute("data-combobox-ready")) { return; }
    select.setAttribute("data-combobox-ready", "");
    // A box left from before a swap that kept the select's place: one control, never two.
    var stale = select.nextElementSibling;
    if (stale && stale.classList.contains("combo")) { stale.remove(); }
    var id = select.id + "-search";
    var label = document.querySelector("label[for='" + select.id + "']");
    var needsChoice = select.required;
    select.required = false;

    var box = document.createElement("div");
    box.className = "combo";
    var input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.className = "combo-input";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    input.setAttribute("aria-label", select.getAttribute("data-label") || (label ? label.textContent.trim() : ""));
    input.placeholder = select.getAttribute("data-placeholder") || "";
    // The server's error marks sit on the <select>: the box carries them, also when they change.
    function copyAria() {
      ["aria-invalid", "aria-describedby"].forEach(function (name) {
        if (select.hasAttribute(name)) {
          input.setAttribute(name, select.getAttribute(name));
        } else {
          input.removeAttribute(name);
        }
      });
    }
    copyAria();
    new MutationObserver(copyAria).observe(select, {
      attributes: true, attributeFilter: ["aria-invalid", "aria-describedby"]
    });
    var list = document.createElement("div");
    list.id = id + "-list";
    list.className = "combo-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", select.getAttribute("data-list-label") || "");
    list.hidden = true;
    var empty = document.createElement("p");
    empty.className = "combo-empty muted";
    empty.setAttribute("role", "status");
    var arrow = document.createElement("span");
    arrow.className = "combo-arrow";
    arrow.setAttribute("aria-hidden", "true");  // drawn, not read out
    arrow.textContent = "▾";
    box.appendChild(input);
    box.appendChild(arrow);
    box.appendChild(list);
    box.appendChild(empty);
    select.classList.add("combo-native");
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    select.insertAdjacentElement("afterend", box);
    if (label) {
      label.addEventListener("click", function (event) { event.preventDefault(); input.focus(); });
    }

    var shown = [];    // the options in the list, in order
    var active = -1;   // which of them the keyboard highlights (aria-selected is the chosen one)

    function chosenText() {
      return isPlaceholder(select) ? "" : select.options[select.selectedIndex].textContent.trim();
    }

    // Typed text that is not the chosen project is never sent as if it were: the form is
    // refused until a project is picked (or Escape puts the chosen one back).
    function checkValidity() {
      var refused = input.value.trim() !== chosenText() || (needsChoice && isPlaceholder(select));
      input.setCustomValidity(refused ? (select.getAttribute("data-required") || "!") : "");
    }

    function sync() {
      input.value = chosenText();
      checkValidity();
    }

    function highlight(n) {
      var nodes = list.querySelectorAll("[role='option']");
      active = n;
      for (var i = 0; i < nodes.length; i++) { nodes[i].classList.toggle("is-active", i === n); }
      if (n >= 0 && nodes[n]) {
        input.setAttribute("aria-activedescendant", nodes[n].id);
        nodes[n].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      empty.textContent = "";
      input.setAttribute("aria-expanded", "false");
      highlight(-1);
    }

    function render(query) {
      var needle = fold(query.trim());
      var all = comboOptions(select);
      shown = needle ? all.filter(function (o) { return fold(o.text).indexOf(needle) !== -1; }) : all;
      list.replaceChildren();
      var group = null;
      var parent = list;
      shown.forEach(function (o, n) {
        if (!needle && o.group !== group) {
          group = o.group;
          parent = document.createElement("div");
          parent.setAttribute("role", "group");
          parent.setAttribute("aria-label", group || "");
          var head = document.createElement("div");
          head.className = "combo-group";
          head.setAttribute("aria-hidden", "true");
          head.textContent = group || "";
          parent.appendChild(head);
          list.appendChild(parent);
        }
        var node = document.createElement("div");
        node.id = id + "-" + (++comboSeq);
        node.className = "combo-option";
        node.setAttribute("role", "option");
        node.setAttribute("aria-selected", o.index === select.selectedIndex ? "true" : "false");
        node.textContent = o.text;
        node.addEventListener("mousedown", function (event) { event.preventDefault(); });
        node.addEventListener("click", function () { choose(n); });
        parent.appendChild(node);
      });
      list.hidden = !shown.length;
      empty.textContent = shown.length ? "" : (select.getAttribute("data-empty") || "");
      input.setAttribute("aria-expanded", shown.length ? "true" : "false");
      // Typing highlights the first hit (Enter takes it); an open list marks the chosen one.
      var current = -1;
      shown.forEach(function (o, n) { if (o.index === select.selectedIndex) { current = n; } });
      highlight(needle ? (shown.length ? 0 : -1) : current);
    }

    function choose(n) { take(shown[n]); }

    function take(o) {
      if (!o) { return; }
      var changed = select.selectedIndex !== o.index;
      select.selectedIndex = o.index;
      sync();
      close();
      if (changed) { select.dispatchEvent(new Event("change", { bubbles: true })); }
    }

    // A tap opens the list; focus alone (Tab, or a refused save pointing here) only selects
    // the text, so typing replaces it.
    input.addEventListener("focus", function () { input.select(); });
    // Leaving the box with typed text: the one project it fits is taken; otherwise the text
    // stays, and checkValidity refuses the form (a silent revert would save the old project).
    function settle() {
      var text = input.value.trim();
      if (text && text !== chosenText()) {
        var needle = fold(text);
        var hits = comboOptions(select).filter(function (o) { return fold(o.text).indexOf(needle) !== -1; });
        var exact = hits.filter(function (o) { return fold(o.text) === needle; });
        take(hits.length === 1 ? hits[0] : exact.length === 1 ? exact[0] : null);
      }
      checkValidity();
    }

    function typed() { return input.value.trim() !== chosenText() ? input.value : ""; }

    input.addEventListener("click", function () {
      if (!list.hidden) { return; }
      render(typed());
      // On a phone the keyboard takes the lower half: the field goes to the top, the list
      // below it stays in sight.
      if (window.matchMedia && window.matchMedia("(max-width: 720px)").matches) {
        var field = select.closest(".field") || box;
        field.scrollIntoView({ block: "start", behavior: "smooth" });
      }
    });
    input.addEventListener("input", function () {
      render(input.value);
      checkValidity();
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          if (!event.altKey || event.key === "ArrowDown") { render(typed()); }
          return;
        }
        if (event.altKey) {  // Alt+ArrowUp closes; Alt+ArrowDown leaves the highlight be
          if (event.key === "ArrowUp") { close(); }
          return;
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(Math.max(0, Math.min(shown.length - 1, active + step)));
      } else if ((event.key === "Home" || event.key === "End") && open && shown.length) {
        event.preventDefault();
        highlight(event.key === "Home" ? 0 : shown.length - 1);
      } else if (event.key === "Enter" && open) {
        event.preventDefault();  // takes the highlighted project; the next Enter saves
        choose(active);
      } else if (event.key === "Enter" && input.value.trim() !== chosenText()) {
        event.preventDefault();  // typed text: take the one project it fits, or say why not
        settle();
        input.reportValidity();
      } else if (event.key === "Escape" && (open || input.value !== chosenText())) {
        event.preventDefault();  // back to what was chosen
        close();
        sync();
      }
    });
    input.addEventListener("blur", function () {
      close();
      settle();
    });
    // Chosen elsewhere (a test, «Gjenta» offline): show it.
    select.addEventListener("change", sync);
    select.addEventListener("tipro:project-set", sync);
    sync();
  }

  function enhance(root) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("select[data-combobox]")) { enhanceSelect(root); }
    var selects = root.querySelectorAll("select[data-combobox]");
    for (var i = 0; i < selects.length; i++) { enhanceSelect(selects[i]); }
  }

  window.tiproCombobox = enhance;
  enhance(document.body);
})();
