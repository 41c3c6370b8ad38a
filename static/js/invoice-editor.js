/* The invoice editor's keyboard and typing helpers. Everything works without this file (the
   server handles the editor's buttons); with it:
   - Enter in a line field moves to the next line field, and from the last field of the last
     line adds a line, instead of submitting the whole form (Enter in a description still
     starts a new line of text with Shift);
   - typing in the last line's description adds a fresh empty line below it, and "+ Add line"
     adds one without asking the server;
   - the due date follows the issue date and the business's payment terms until it is changed
     by hand.
   Line fields are found by their names (items-<n>-<field>), never by a list of fields, so a
   field added to the line template is carried along with no change here. A new line is a
   copy of the last one: each field starts empty, or with its data-fresh value, or keeps the
   line above's value when it is a select or marked data-carry (the server's twin of these
   rules, for what counts as an untouched line, is FRESH_LINE and CARRIED_ITEM_FIELDS in
   billing/forms.py). */
(function () {
  "use strict";

  var LINE_FIELD = /^items-(\d+)-/;

  function lineFields(root) {
    return Array.prototype.filter.call(root.querySelectorAll("input, select, textarea"), function (el) {
      return LINE_FIELD.test(el.name || "") && !el.disabled && el.type !== "hidden";
    });
  }

  function rowsOf(editor) {
    return editor.querySelectorAll(".item-row");
  }

  function rowIndex(row) {
    var field = lineFields(row)[0];
    return field ? parseInt(LINE_FIELD.exec(field.name)[1], 10) : -1;
  }

  // A select always holds a choice: like a data-carry field, a new line takes the one above's.
  function carries(field) {
    return field.hasAttribute("data-carry") || field.tagName === "SELECT";
  }

  function isFresh(row) {
    return lineFields(row).every(function (field) {
      return carries(field) || field.value.trim() === (field.getAttribute("data-fresh") || "");
    });
  }

  /* Rewrite what names line `from` (ids, names, labels, button values, "line 3" texts) so it
     names line `to` at position `number`. */
  function renumber(row, from, to, number) {
    var names = new RegExp("(items|line-net)-" + from + "(?=-|$)", "g");
    var action = new RegExp("^(up|down|remove)-" + from + "$");
    var words = /\b(line) \d+\b/gi;
    var elements = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*")));
    elements.forEach(function (el) {
      ["id", "name", "for", "aria-describedby", "aria-controls"].forEach(function (attr) {
        if (el.hasAttribute(attr)) el.setAttribute(attr, el.getAttribute(attr).replace(names, "$1-" + to));
      });
      if (el.tagName === "BUTTON" && action.test(el.value)) el.value = el.value.replace(action, "$1-" + to);
      if (el.hasAttribute("aria-label")) el.setAttribute("aria-label", el.getAttribute("aria-label").replace(words, "$1 " + number));
    });
    var walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      walker.currentNode.nodeValue = walker.currentNode.nodeValue.replace(words, "$1 " + number);
    }
  }

  function clearErrors(row) {
    row.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
    [row].concat(Array.prototype.slice.call(row.querySelectorAll(".has-error"))).forEach(function (el) {
      el.classList.remove("has-error");
    });
    row.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      var described = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
        return id && !/-error$/.test(id);
      });
      if (described.length) el.setAttribute("aria-describedby", described.join(" "));
      else el.removeAttribute("aria-describedby");
    });
    row.querySelectorAll("[autofocus]").forEach(function (el) { el.removeAttribute("autofocus"); });
  }

  function addLine(editor) {
    var rows = rowsOf(editor);
    var last = rows[rows.length - 1];
    var limit = parseInt(editor.getAttribute("data-max-items") || "0", 10);
    if (!last || (limit && rows.length >= limit)) return null;
    var from = rowIndex(last);
    var to = Array.prototype.reduce.call(rows, function (max, row) { return Math.max(max, rowIndex(row)); }, -1) + 1;
    var copy = last.cloneNode(true);
    renumber(copy, from, to, rows.length + 1);
    clearErrors(copy);
    var before = lineFields(last);
    lineFields(copy).forEach(function (field, i) {
      var carried = carries(field) && before[i];
      field.value = carried ? before[i].value : field.getAttribute("data-fresh") || "";
    });
    copy.querySelectorAll("output").forEach(function (out) { out.textContent = "—"; });
    // Only the last line cannot move down, only the first cannot move up.
    last.querySelectorAll("button[value^='down-']").forEach(function (b) { b.disabled = false; });
    copy.querySelectorAll("button[value^='up-']").forEach(function (b) { b.disabled = false; });
    last.parentNode.appendChild(copy);
    var empty = last.parentNode.querySelector(":scope > li:not(.item-row)");
    if (empty) empty.remove();
    if (window.htmx) window.htmx.process(copy);
    return copy;
  }

  function focusField(field) {
    field.focus();
    if (typeof field.select === "function" && field.tagName === "INPUT") field.select();
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.isComposing || !LINE_FIELD.test(field.name || "")) return;
    if (field.tagName === "TEXTAREA" && event.shiftKey) return; // a line break in the description
    var editor = field.closest("[data-line-editor]");
    if (!editor || field.tagName === "BUTTON") return;
    event.preventDefault();
    var fields = lineFields(editor);
    var next = fields[fields.indexOf(field) + 1];
    if (!next) {
      var rows = rowsOf(editor);
      var last = rows[rows.length - 1];
      var row = isFresh(last) ? last : addLine(editor);
      next = row && lineFields(row)[0];
    }
    if (next) focusField(next);
  });

  /* "+ Add line" adds the line here, with no round trip that could swap the editor under the
     fingers of someone typing; with an empty line already at the end it goes there. (Captured
     on the document, before htmx sees the click on the button.) */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[name='editor_action'][value='add']");
    var editor = button && button.closest("[data-line-editor]");
    if (!editor) return;
    var rows = rowsOf(editor);
    var last = rows[rows.length - 1];
    var row = last && isFresh(last) ? last : addLine(editor);
    if (!row) return; // no line yet, or the limit: the server explains
    event.preventDefault();
    event.stopPropagation();
    focusField(lineFields(row)[0]);
  }, true);

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-adds-line") || !field.value.trim()) return;
    var editor = field.closest("[data-line-editor]");
    var rows = editor ? rowsOf(editor) : [];
    if (rows.length && rows[rows.length - 1].contains(field)) addLine(editor);
  });

  /* The due date follows the issue date and the business's payment terms while it still
     holds the date they give; once changed by hand it stays as typed. */
  function addDays(iso, days) {
    var date = new Date(iso + "T00:00:00Z");
    if (isNaN(date.getTime()) || typeof days !== "number") return "";
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  function followDueDate() {
    var termsData = document.getElementById("payment-terms");
    var business = document.getElementById("id_business");
    var issue = document.getElementById("id_issue_date");
    var due = document.getElementById("id_due_date");
    if (!termsData || !business || !issue || !due) return;
    var terms = JSON.parse(termsData.textContent);
    var expected = addDays(issue.value, terms[business.value]);
    function follow() {
      var next = addDays(issue.value, terms[business.value]);
      if (next && (due.value === expected || !due.value)) due.value = next;
      expected = next;
    }
    business.addEventListener("change", follow);
    issue.addEventListener("change", follow);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", followDueDate);
  else followDueDate();
})();
