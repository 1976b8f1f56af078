// Rådslag citizen widget: asks POST api/ask/stream and shows the answer with its sources.
(function () {
  "use strict";
  var TEXT = {
    sv: {
      title: "Fråga om nämndernas svar", toggle: "In English", toggleLang: "en",
      intro: "Ställ en fråga om vad stadens nämnder har svarat. Svaret bygger bara på dokumenten och visar var det står.",
      label: "Din fråga", hint: "Till exempel: Vilka nämnder nämner KTH i sina svar?", ask: "Fråga",
      answerHeading: "Svar", sourcesHeading: "Källor",
      sourcesHint: "Siffrorna i svaret, till exempel [1], hänvisar till källorna. Länkarna öppnas i en ny flik.",
      footer: "Svaren tas fram automatiskt. Kontrollera alltid i källan.",
      empty: "Skriv en fråga först.", searching: "Söker i dokumenten …", done: "Svaret är klart.",
      noSources: "Inga källor – frågan kunde inte besvaras från dokumenten.",
      busy: "För många frågor just nu. Försök igen om {s} sekunder.", failed: "Något gick fel. Försök igen.",
      page: "sidan", newTab: "(öppnas i ny flik)", pageTitle: "Rådslag – fråga om nämndernas svar",
      followUp: "Du kan ställa en följdfråga, till exempel om en viss nämnd.", restart: "Ny fråga från början",
      restarted: "Samtalet är nollställt."
    },
    en: {
      title: "Ask about the committees' replies", toggle: "På svenska", toggleLang: "sv",
      intro: "Ask a question about what the city's committees have replied. The answer is based only on the documents and shows where it says so.",
      label: "Your question", hint: "For example: Which committees mention KTH in their replies?", ask: "Ask",
      answerHeading: "Answer", sourcesHeading: "Sources",
      sourcesHint: "The numbers in the answer, for example [1], refer to the sources. Links open in a new tab.",
      footer: "Answers are produced automatically. Always check the source.",
      empty: "Please type a question first.", searching: "Searching the documents …", done: "The answer is ready.",
      noSources: "No sources – the question could not be answered from the documents.",
      busy: "Too many questions right now. Try again in {s} seconds.", failed: "Something went wrong. Please try again.",
      page: "page", newTab: "(opens in a new tab)", pageTitle: "Rådslag – ask about the committees' replies",
      followUp: "You can ask a follow-up question, for example about one committee.", restart: "Start over",
      restarted: "The conversation has been cleared."
    }
  };
  var lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "sv";
  // Earlier turns go with each question so a follow-up ("Och Norrmalm?") keeps its subject;
  // only the last few, and each cut short, so a long chat stays a small request.
  var MAX_TURNS = 6, MAX_TURN_CHARS = 2000;
  var history = [];
  var $ = function (id) { return document.getElementById(id); };

  function applyLanguage() {
    var t = TEXT[lang];
    document.documentElement.lang = lang;
    document.title = t.pageTitle;
    document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t[el.getAttribute("data-i18n")]; });
    var toggle = $("lang-toggle");
    toggle.textContent = t.toggle;
    toggle.setAttribute("lang", t.toggleLang);
  }

  function showError(message) {
    var err = $("question-error");
    err.textContent = message;
    err.hidden = !message;
    $("question").setAttribute("aria-invalid", message ? "true" : "false");
  }

  function renderSources(citations) {
    var list = $("sources");
    list.textContent = "";
    if (!citations.length) {
      var li = document.createElement("li");
      li.textContent = TEXT[lang].noSources;
      list.appendChild(li);
      return;
    }
    citations.forEach(function (c) {
      var li = document.createElement("li");
      li.value = c.n;
      var a = document.createElement("a");
      var params = new URLSearchParams({ start: c.char_start == null ? 0 : c.char_start, end: c.char_end == null ? 0 : c.char_end, n: c.n, lang: lang });
      a.href = "passage/" + encodeURIComponent(c.doc_id) + "?" + params.toString();
      a.target = "_blank";
      a.rel = "noopener";
      a.className = "source-link";
      var label = [c.committee, (c.title || c.source || "").trim()].filter(Boolean).join(" – ");
      if (c.page != null) { label += ", " + TEXT[lang].page + " " + c.page; }
      a.textContent = "[" + c.n + "] " + label;
      var hidden = document.createElement("span");
      hidden.className = "hint";
      hidden.textContent = " " + TEXT[lang].newTab;
      li.appendChild(a);
      li.appendChild(hidden);
      list.appendChild(li);
    });
  }

  // The widget shows plain text (textContent): document text stays as written. The one piece
  // of Markdown the answer composer writes, a list item's bold committee label, is unwrapped.
  function plain(text) { return text.replace(/^- \*\*(.+?)\*\*: /gm, "- $1: "); }

  function remember(question, answer) {
    history.push({ role: "user", content: question.slice(0, MAX_TURN_CHARS) });
    history.push({ role: "assistant", content: answer.slice(0, MAX_TURN_CHARS) });
    history = history.slice(-MAX_TURNS);
    $("restart").hidden = false;
    $("follow-up").hidden = false;
  }

  function handleEvent(name, data, state) {
    if (name === "part") {
      state.text += JSON.parse(data).text;
      $("answer").textContent = plain(state.text);
    } else if (name === "final") {
      var answer = JSON.parse(data);
      $("answer").textContent = plain(answer.answer);
      renderSources(answer.citations || []);
      state.answer = answer.answer;
      state.done = true;
    } else if (name === "error") {
      throw new Error("server error");
    }
  }

  async function ask(question) {
    var t = TEXT[lang];
    var res = await fetch("api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ question: question, history: history })
    });
    if (res.status === 429) { throw new Error(t.busy.replace("{s}", res.headers.get("Retry-After") || "60")); }
    if (res.status === 422) {
      var body = await res.json();
      var detail = body.detail && body.detail[0] && body.detail[0].msg;
      throw new Error(detail || t.failed);
    }
    if (!res.ok || !res.body) { throw new Error(t.failed); }
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "", state = { text: "", answer: "", done: false };
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) { break; }
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
      var cut;
      while ((cut = buffer.indexOf("\n\n")) !== -1) {
        var block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        var name = "message", data = [];
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
          else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
        });
        if (data.length) { handleEvent(name, data.join("\n"), state); }
      }
    }
    if (!state.done) { throw new Error(t.failed); }
    remember(question, state.answer);
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyLanguage();
    $("lang-toggle").addEventListener("click", function () {
      lang = lang === "sv" ? "en" : "sv";
      applyLanguage();
    });
    $("restart").addEventListener("click", function () {
      history = [];
      $("restart").hidden = true;
      $("follow-up").hidden = true;
      $("result").hidden = true;
      $("question").value = "";
      $("status").textContent = TEXT[lang].restarted;
      $("question").focus();
    });
    $("question").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
    });
    $("ask-form").addEventListener("submit", async function (e) {
      e.preventDefault();
      var question = $("question").value.trim();
      if (!question) { showError(TEXT[lang].empty); $("question").focus(); return; }
      showError("");
      var button = $("ask-button");
      button.disabled = true;
      $("status").textContent = TEXT[lang].searching;
      $("result").hidden = false;
      $("answer").setAttribute("aria-busy", "true");
      $("answer").textContent = "";
      $("sources").textContent = "";
      try {
        await ask(question);
        $("status").textContent = TEXT[lang].done;
      } catch (err) {
        $("status").textContent = "";
        $("result").hidden = true;
        showError(err.message || TEXT[lang].failed);
      } finally {
        $("answer").setAttribute("aria-busy", "false");
        button.disabled = false;
      }
    });
  });
})();
