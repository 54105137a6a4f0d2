"""The web chat in headless Chromium (Debian's chromium + chromium-driver, driven by selenium):
the page the Rasa server serves at /chat, the rasa-webchat widget over socket.io, product cards
whose images really load, quick-reply chips, each item checked against the sample catalog's
ground truth, no console errors, and a conversation that survives a reload. A screenshot is
saved to var/screenshots/widget.png."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from assistant.settings import Settings
from gradrec_core import load_index

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TIMEOUT = 180  # seconds a turn may take on a loaded 2-core machine


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """Headless Chromium with its own profile folder, quit whatever happens."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: run `make setup` (it installs the dev extras)")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromium-driver are missing: run `make setup` (it installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,1300", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def browser(tmp_path: Path):  # type: ignore[no-untyped-def]
    with chromium(tmp_path / "profile") as driver:
        yield driver


def wait(until: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = until()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class Page:
    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def cards(self) -> list[dict[str, Any]]:
        """Every product card on the page: its title, subtitle and image (loaded or not)."""
        return self.js("""
            return Array.from(document.querySelectorAll('.rw-carousel-card')).map(function (c) {
              var img = c.querySelector('img.rw-carousel-card-image');
              var t = c.querySelector('.rw-carousel-card-title'), s = c.querySelector('.rw-carousel-card-subtitle');
              return {title: t ? t.textContent : '', subtitle: s ? s.textContent : '',
                      src: img ? img.src : '', alt: img ? img.getAttribute('alt') : null,
                      complete: img ? img.complete : false, width: img ? img.naturalWidth : 0};
            });""")

    def chips(self) -> list[Any]:
        return self.driver.find_elements("css selector", ".rw-replies .rw-reply")

    def say(self, text: str) -> dict[str, Any]:
        """Type a message, press Enter; the new card once its image has loaded."""
        from selenium.webdriver.common.keys import Keys

        before = len(self.cards())
        box = self.driver.find_element("css selector", "textarea.rw-new-message, input.rw-new-message")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        return self.next_card(before, text)

    def say_text(self, text: str) -> str:
        """Type a message that gets no card; the text of the bot's next reply."""
        from selenium.webdriver.common.keys import Keys

        replies = ".rw-response .rw-message-text"  # not the typing indicator
        count = lambda: len(self.driver.find_elements("css selector", replies))  # noqa: E731
        before = count()
        box = self.driver.find_element("css selector", "textarea.rw-new-message, input.rw-new-message")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        wait(lambda: count() > before, f"a reply to {text!r}")
        time.sleep(1)  # a reply can be several messages
        return str(self.js("var r = document.querySelectorAll(arguments[0]); "
                           "return Array.from(r).slice(arguments[1]).map(function (e) { return e.textContent; })"
                           ".join(' ');", replies, before))

    def next_card(self, before: int, what: str) -> dict[str, Any]:
        cards = wait(lambda: (lambda c: c if len(c) > before and c[-1]["complete"] else None)(self.cards()),
                     f"a card after {what!r}")
        wait(lambda: self.chips(), f"the chips after {what!r}")
        card = self.cards()[-1]
        assert len(cards) == before + 1
        return card


def card_item(card: dict[str, Any], base_url: str, index: Any) -> Any:
    """The catalog item behind a card: its image URL names it; the image really loaded; its title
    and alt text are the item's name."""
    assert card["src"].startswith(f"{base_url}/images/"), card
    assert card["width"] > 0, f"the image did not load: {card}"
    assert card["alt"] and card["alt"] == card["title"].strip(), card
    found = index.item(card["src"].rsplit("/", 1)[1])
    assert card["title"] == found.metadata["name"], card
    return found


def test_shopping_in_the_web_chat(assistant_servers: Settings, browser: Any) -> None:
    settings = assistant_servers
    index = load_index(settings.index_dir)
    page = Page(browser)

    def item(card: dict[str, Any]) -> Any:
        found = card_item(card, settings.base_url, index)
        assert str(found.metadata["price"]) in card["subtitle"], card
        return found

    def L(found: Any) -> float:  # noqa: N802 - the catalog's lightness column
        return float(found.metadata["lightness"])

    browser.get(settings.chat_url)
    assert browser.title == "Shopping assistant"
    wait(lambda: browser.find_elements("css selector", ".rw-response"), "the greeting")

    seed = item(page.say("show me a blue polo shirt"))
    assert seed.category == "polo shirt"

    darker_card = page.say("something darker")
    darker = item(darker_card)
    assert darker.category == "polo shirt" and L(darker) < L(seed)
    assert "darker, step 1" in darker_card["subtitle"]

    # the chips: this kind's likely critiques, reachable with the keyboard; click one
    chips = page.chips()
    titles = [c.text for c in chips]
    assert {"darker", "cheaper", "go back", "I'll take it"} <= set(titles), titles  # darker, cheaper polos exist
    assert all(t != f"in {darker.metadata['hue_family']}" for t in titles), titles  # never its own colour
    assert all(c.get_attribute("tabindex") == "0" and c.get_attribute("role") == "button" for c in chips)
    before = len(page.cards())
    chips[titles.index("darker")].click()
    darkest_card = page.next_card(before, "the darker chip")
    darkest = item(darkest_card)
    assert darkest.category == "polo shirt" and L(darkest) < L(darker)
    assert "darker, step 2" in darkest_card["subtitle"]

    back = item(page.say("go back"))
    assert back.id == darker.id

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "widget.png"))

    # a keyboard-only turn: Tab to a chip, Enter
    from selenium.webdriver.common.keys import Keys

    before = len(page.cards())
    chip = next(c for c in page.chips() if c.text == "cheaper")
    page.js("arguments[0].focus();", chip)
    assert page.js("return document.activeElement === arguments[0];", chip)
    chip.send_keys(Keys.ENTER)
    cheaper = item(page.next_card(before, "the cheaper chip, by keyboard"))
    assert cheaper.category == "polo shirt"
    assert float(cheaper.metadata["price"]) < float(back.metadata["price"])

    # a reload keeps the conversation: the cards come back, and the session goes on
    shown = len(page.cards())
    browser.refresh()
    wait(lambda: len(page.cards()) == shown and all(c["complete"] for c in page.cards()), "the restored cards")
    again = item(page.say("go back"))
    assert again.id == back.id

    # nothing a client sent is rendered as markup: an unknown item id is not echoed back, and
    # bot text is escaped anyway (the widget renders it as markdown, links of any scheme included)
    link = "[x](javascript:window.__xss=1)"
    reply = page.say_text('/search_item{"item_id": "%s"}' % link)
    assert "can't find that item" in reply and "javascript" not in reply, reply
    page.say_text('<img src="x" onerror="window.__xss=1"> **bold** <b>b</b>')
    assert page.js("return document.querySelectorAll('#webchat a[href^=\"javascript\"], #webchat img[src=\"x\"], "
                   "#webchat b, #webchat strong').length") == 0
    assert page.js("return window.__xss === undefined")

    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors

    # the page sent back the item each card showed (customData.item), so that a turn whose reply
    # was lost on the way starts from what the shopper saw (Engine.sync)
    import contextlib
    import json
    import sqlite3

    with contextlib.closing(sqlite3.connect(settings.var_dir / "rasa_tracker.db")) as db:
        users = [json.loads(data) for (data,) in db.execute("SELECT data FROM events WHERE type_name = 'user'")]
    hints = [(u.get("metadata") or {}).get("item") for u in users if u.get("input_channel") == "socketio"]
    assert darker.id in hints and darkest.id in hints, hints


def test_the_page_and_widget_are_served_locally(assistant_servers: Settings) -> None:
    import urllib.request

    with urllib.request.urlopen(assistant_servers.chat_url, timeout=30) as r:
        html = r.read().decode()
        csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert 'src="/chat/webchat.js"' in html and "http" not in html.split("<body>")[1]  # nothing from a CDN
    with urllib.request.urlopen(assistant_servers.base_url + "/chat/webchat.js", timeout=30) as r:
        bundle = r.read().decode()
    assert "fonts.googleapis.com" not in bundle and "WebChat" in bundle


def test_what_colours_shows_a_carousel_to_pick_from(assistant_servers: Settings, browser: Any) -> None:
    """"what colours does it come in?": one card per colour, each image loaded, each card's item
    of the kind and the colour it is labelled with (ground truth); a card's button makes its item
    the current one, and "something darker" goes on from it."""
    settings = assistant_servers
    index = load_index(settings.index_dir)
    page = Page(browser)

    def item(card: dict[str, Any]) -> Any:
        return card_item(card, settings.base_url, index)

    browser.get(settings.chat_url)
    wait(lambda: browser.find_elements("css selector", ".rw-response"), "the greeting")
    seed = item(page.say("show me a blue polo shirt"))

    from selenium.webdriver.common.keys import Keys

    before = len(page.cards())
    box = browser.find_element("css selector", "textarea.rw-new-message, input.rw-new-message")
    box.send_keys("what colours does it come in?")
    box.send_keys(Keys.ENTER)
    wait(lambda: (lambda c: len(c) >= before + 2 and all(x["complete"] for x in c))(page.cards()),
         "the colour carousel")
    time.sleep(1)  # the whole carousel
    offered = page.cards()[before:]
    colours = []
    for card in offered:
        found = item(card)
        label = card["subtitle"].split(" · ")[0]
        assert label == f"in {found.metadata['hue_family']}", card  # labelled with its true colour
        assert found.category == seed.category
        colours.append(label)
    assert len(offered) >= 2 and len(set(colours)) == len(colours), colours
    assert f"in {seed.metadata['hue_family']}" not in colours

    # each card has a button; click the one of the lightest card (so that something is darker)
    buttons = browser.find_elements("css selector", ".rw-carousel-card .rw-carousel-buttons-container .rw-reply")
    buttons = buttons[-len(offered):]
    assert len(buttons) == len(offered) and all(b.get_attribute("role") == "button" for b in buttons)
    lightest = max(range(len(offered)), key=lambda i: float(item(offered[i]).metadata["lightness"]))
    chosen = item(offered[lightest])
    count = len(page.cards())
    page.js("arguments[0].scrollIntoView(); arguments[0].click();", buttons[lightest])
    picked_card = page.next_card(count, "the card's button")
    picked = item(picked_card)
    assert picked.id == chosen.id and "picked" in picked_card["subtitle"]

    darker = item(page.say("something darker"))
    assert darker.category == seed.category
    assert float(darker.metadata["lightness"]) < float(picked.metadata["lightness"])

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "carousel.png"))
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors


LAYOUT = """
var out = {arrows: 0, rows: []};
document.querySelectorAll('.rw-carousel-arrow').forEach(function (a) {
  var r = a.getBoundingClientRect(), s = getComputedStyle(a);
  if (r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none') { out.arrows++; }
});
document.querySelectorAll('.rw-carousel-container').forEach(function (row) {
  var cr = row.getBoundingClientRect(), cards = [];
  row.querySelectorAll('.rw-carousel-card').forEach(function (card) {
    card.scrollIntoView({block: 'nearest', inline: 'nearest'});
    var r = card.getBoundingClientRect(), rr = row.getBoundingClientRect();
    var bottom = r.top;
    Array.from(card.children).forEach(function (c) {
      var b = c.getBoundingClientRect();
      if (b.height > 0) { bottom = Math.max(bottom, b.bottom + parseFloat(getComputedStyle(c).marginBottom || 0)); }
    });
    var title = card.querySelector('.rw-carousel-card-title'), tr = title.getBoundingClientRect();
    var hit = document.elementFromPoint(tr.left + Math.min(tr.width / 2, 20), tr.top + tr.height / 2);
    cards.push({id: (card.querySelector('img') || {}).src, left: r.left - rr.left, right: rr.right - r.right,
                top: r.top - rr.top, below: rr.bottom - r.bottom, empty: r.bottom - bottom,
                title_seen: !!hit && (hit === title || title.contains(hit))});
  });
  out.rows.push({cards: cards, scrolls: row.scrollWidth > row.clientWidth,
                 overflow: getComputedStyle(row).overflowX});
});
return out;
"""

SENDER = """
var box = document.querySelector('textarea.rw-new-message, input.rw-new-message');
var send = document.querySelector('.rw-send'), icon = document.querySelector('.rw-send .rw-send-icon');
box.focus();
var s = getComputedStyle(box), r = box.getBoundingClientRect(), b = send.getBoundingClientRect();
var reach = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth);
return {style: s.outlineStyle, ring_right: r.right + reach, ring_left: r.left - reach, send_left: b.left,
        sender_right: box.closest('.rw-sender').getBoundingClientRect().right, empty: box.value === '',
        fill: getComputedStyle(icon).fill, icon_width: icon.getBoundingClientRect().width};
"""


def _visible_colour(css: str) -> bool:
    """A computed colour with some opacity ("rgb(138, 144, 153)"; not "rgba(0, 0, 0, 0)" or "none")."""
    import re

    numbers = [float(x) for x in re.findall(r"[\d.]+", css)]
    return css.startswith("rgb") and (len(numbers) == 3 or (len(numbers) == 4 and numbers[3] > 0.2))


def test_cards_are_laid_out_whole(assistant_servers: Settings, browser: Any) -> None:
    """The card layout in the served page: no arrow that does nothing (one card) or covers a card
    (three), every card of a row inside the row (a wide row scrolls), its title not covered, no
    empty band under its content; the message box's focus ring whole (not under the send
    button), the send icon visible while there is nothing to send. A screenshot is saved to
    var/screenshots/layout.png."""
    settings = assistant_servers
    page = Page(browser)
    browser.get(settings.chat_url)
    wait(lambda: browser.find_elements("css selector", ".rw-response"), "the greeting")

    sender = page.js(SENDER)
    assert sender["style"] == "solid" and sender["empty"], sender
    assert sender["ring_right"] <= sender["send_left"] + 0.5 and sender["ring_right"] <= sender["sender_right"], sender
    assert _visible_colour(sender["fill"]) and sender["icon_width"] > 0, sender

    page.say("show me a blue polo shirt")  # one card
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element("css selector", "textarea.rw-new-message, input.rw-new-message")
    before = len(page.cards())
    box.send_keys("another one")  # three cards to pick from
    box.send_keys(Keys.ENTER)
    wait(lambda: (lambda c: len(c) >= before + 3 and all(x["complete"] for x in c))(page.cards()),
         "three alternatives")
    time.sleep(1)
    layout = page.js(LAYOUT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "layout.png"))
    assert layout["arrows"] == 0, layout
    sizes = [len(row["cards"]) for row in layout["rows"]]
    assert 1 in sizes and any(n >= 3 for n in sizes), sizes
    for row in layout["rows"]:
        if row["scrolls"]:
            assert row["overflow"] in ("auto", "scroll"), row  # the shopper can reach every card
        for c in row["cards"]:
            assert c["left"] >= -0.5 and c["right"] >= -0.5 and c["top"] >= -0.5 and c["below"] >= -0.5, c
            assert c["title_seen"], c  # nothing drawn over its title
            assert c["empty"] <= 16, c  # no empty band under what the card shows
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors
