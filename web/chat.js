// Starts the rasa-webchat widget on this page, talking to the Rasa server that served it
// (same origin, socket.io at /socket.io/), and makes its suggestions keyboard-usable.
(function () {
  "use strict";
  var root = document.getElementById("webchat");
  // /chat?shop=NAME talks to that shop's catalog; /chat#token=JWT carries a signed sender id (the
  // fragment never reaches a server log). A shop embedding the widget sets customData itself.
  var customData = { language: "en" };
  var shop = new URLSearchParams(window.location.search).get("shop");
  var token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (shop) { customData.shop = shop; }
  if (token) { customData.token = token; }

  window.WebChat.default({
    initPayload: "/greet",
    socketUrl: window.location.origin,
    socketPath: "/socket.io/",
    title: "Shopping assistant",
    subtitle: "Describe it, then steer",
    inputTextFieldHint: "Type a message…",
    embedded: true,
    showFullScreenButton: false,
    showMessageDate: false,
    // the session id is kept in localStorage: a reload continues the same conversation
    params: { storage: "local" },
    customData: customData,
    // the item each card shows goes back with the next message (customData.item): a reply lost
    // on the way (a dropped connection) does not move the shopper's walk past what they saw
    onSocketEvent: {
      bot_uttered: function (message) {
        if (message && typeof message.gradrec_item === "string" && message.gradrec_item) {
          customData.item = message.gradrec_item;
        }
      }
    }
  }, root);

  // The widget draws quick replies as <div>s and gives card images an alt of title + subtitle
  // followed by "}}": make the chips buttons the keyboard reaches, and the alt the item's name.
  function fix() {
    root.querySelectorAll(".rw-reply:not([tabindex])").forEach(function (chip) {
      if (chip.tagName !== "A") {
        chip.setAttribute("role", "button");
        chip.setAttribute("tabindex", "0");
      }
    });
    root.querySelectorAll("img.rw-carousel-card-image").forEach(function (img) {
      var card = img.closest(".rw-carousel-card");
      var title = card && card.querySelector(".rw-carousel-card-title");
      var alt = title ? title.textContent.trim() : "";
      if (alt && img.getAttribute("alt") !== alt) {
        img.setAttribute("alt", alt);
      }
    });
    var input = root.querySelector("textarea, input[type=text]");
    if (input && !input.getAttribute("aria-label")) {
      input.setAttribute("aria-label", "Your message");
    }
  }

  root.addEventListener("keydown", function (event) {
    var el = event.target;
    if ((event.key === "Enter" || event.key === " ") && el.classList &&
        el.classList.contains("rw-reply") && el.tagName !== "A") {
      event.preventDefault();
      el.click();
    }
  });
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
  fix();
})();
