"""Issue 17's wrong turns, driven through the served web chat in headless Chromium: the skirt's
"more formal", the typo "cheeper" after a budget, "not leather", "does it come in black?" on
high-tops, a colour picked from the carousel then "a bit longer", and "lighter" after five
"darker". Each shown card is mapped to its catalog item by its image (tests/test_web.py's
helpers) and checked against data/catalog/sample/items.csv's columns; L* is computed here from
the CSV's hex swatch. Each row is a fresh conversation (the widget's storage cleared); one browser
(the widget's typing delay off, `NO_TYPING_DELAY`) and one server pair serve the module."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from test_web import Page, card_item, chromium, wait

from assistant.settings import Settings
from gradrec_core import load_index

Row = dict[str, str]
# rasa-webchat shows each bot message after a typing delay of 30 ms a character, 0.8-3 s (its
# `customMessageDelay`): about 2.5 s a turn, more than the turn itself. The rows check which
# item a turn brings, not how the page paces its messages (tests/test_web.py keeps the page's own
# pacing), so the widget is started here with no delay, before the page's own script runs.
NO_TYPING_DELAY = """
(function () {
  var webchat;
  Object.defineProperty(window, "WebChat", {
    configurable: true,
    get: function () { return webchat; },
    set: function (bundle) {
      var start = bundle && bundle["default"];
      webchat = typeof start !== "function" ? bundle : Object.assign({}, bundle, {
        "default": function (options, root) {
          return start(Object.assign({}, options, { customMessageDelay: function () { return 0; } }), root);
        }
      });
    }
  });
})();
"""


@pytest.fixture(scope="module")
def web(assistant_servers: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator["Chat"]:
    with chromium(tmp_path_factory.mktemp("web-turns") / "profile") as driver:
        chat = Chat(driver, assistant_servers)
        yield chat
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors


class Chat:
    """The web chat page: a fresh conversation per row, each card read as its catalog item."""

    def __init__(self, driver: Any, settings: Settings) -> None:
        self.driver, self.settings, self.page = driver, settings, Page(driver)
        self.index = load_index(settings.index_dir)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_TYPING_DELAY})

    def start(self, item_id: str) -> str:
        """A new visitor's conversation (the site's stored data cleared while no page of it is
        open) on the item, opened as a card's button opens one."""
        self.driver.get("about:blank")
        self.driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": self.settings.base_url,
                                                                   "storageTypes": "all"})
        self.driver.get(self.settings.chat_url)
        wait(lambda: self.driver.find_elements("css selector", ".rw-response"), "the greeting")
        shown = self.say(f'/search_item{{"item_id": "{item_id}"}}')
        assert shown == item_id, f"opening {item_id} showed {shown}"
        return shown

    def item(self, card: dict[str, Any]) -> str:
        return str(card_item(card, self.settings.base_url, self.index).id)

    def say(self, text: str) -> str:
        """Type a message; the id of the item on the card it brings."""
        return self.item(self.page.say(text))


def seeds(truth: dict[str, Row], keep: Callable[[Row], bool], n: int = 1) -> list[str]:
    """`n` ids of the rows `keep` accepts, spread over the catalog."""
    ids = [i for i, r in truth.items() if keep(r)]
    assert ids, "no seed in the sample CSV qualifies"
    return ids[:: max(1, len(ids) // n)][:n]


def lab_lightness(hex_colour: str) -> float:
    """CIELAB L* (D65) of an sRGB hex colour, by the CIE formula."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    y = 0.2126729 * lin[0] + 0.7151522 * lin[1] + 0.0721750 * lin[2]
    f = y ** (1 / 3) if y > (6 / 29) ** 3 else y / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f - 16


def test_a_more_formal_skirt(web: Chat, truth: dict[str, Row]) -> None:
    """A smart-casual long skirt, "more formal": a skirt of higher formality (the CSV's 1-5)."""
    seed = seeds(truth, lambda r: r["kind"] == "skirt" and r["formality_name"] == "smart casual"
                 and r["length_name"] in ("midi", "maxi"))[0]
    web.start(seed)
    got = truth[web.say("more formal")]
    assert got["kind"] == "skirt", got["name"]
    assert int(got["formality"]) > int(truth[seed]["formality"]), (truth[seed]["name"], got["name"],
                                                                  got["formality_name"])


def test_cheeper_after_a_budget(web: Chat, truth: dict[str, Row]) -> None:
    """"under $30 please", then the typo "cheeper": the price falls and stays under 30."""
    seed = seeds(truth, lambda r: r["kind"] == "polo shirt" and 35 <= float(r["price"]) <= 60)[0]
    web.start(seed)
    budget = truth[web.say("under $30 please")]
    assert budget["kind"] == "polo shirt" and float(budget["price"]) <= 30, budget
    cheaper = truth[web.say("cheeper")]
    assert cheaper["kind"] == "polo shirt", cheaper["name"]
    assert float(cheaper["price"]) < float(budget["price"]), (budget["price"], cheaper["price"])
    assert float(cheaper["price"]) <= 30, cheaper["price"]


def test_not_leather_on_a_leather_jacket(web: Chat, truth: dict[str, Row]) -> None:
    seed = seeds(truth, lambda r: r["kind"] == "jacket" and r["material"] == "leather")[0]
    web.start(seed)
    got = truth[web.say("not leather")]
    assert got["kind"] == "jacket" and got["material"] != "leather", got["name"]


def test_high_tops_in_black(web: Chat, truth: dict[str, Row]) -> None:
    """White canvas high-top sneakers, "does it come in black?": black canvas high-tops (the
    catalog has them; "high-top" is only in the name)."""
    def high_top(r: Row, hue: str) -> bool:
        return (r["kind"] == "sneakers" and r["hue_family"] == hue and r["material"] == "canvas"
                and "high-top" in r["name"].lower())

    assert any(high_top(r, "black") for r in truth.values())
    seed = seeds(truth, lambda r: high_top(r, "white"))[0]
    web.start(seed)
    got = truth[web.say("does it come in black?")]
    assert high_top(got, "black"), got["name"]


def test_a_picked_colour_is_kept(web: Chat, truth: dict[str, Row]) -> None:
    """"what colours does it come in?", the carousel's blue card picked, then "a bit longer":
    a longer dress, still blue."""
    seed = next(i for i in seeds(truth, lambda r: r["kind"] == "dress" and r["hue_family"] != "blue"
                                 and r["length_name"] in ("above-knee", "knee-length"), n=20)
                if any(r["kind"] == "dress" and r["hue_family"] == "blue" and int(r["length"]) > int(truth[i]["length"])
                       for r in truth.values()))
    web.start(seed)
    page = web.page
    before = len(page.cards())
    box = web.driver.find_element("css selector", "textarea.rw-new-message, input.rw-new-message")
    from selenium.webdriver.common.keys import Keys

    box.send_keys("what colours does it come in?")
    box.send_keys(Keys.ENTER)
    wait(lambda: (lambda c: len(c) >= before + 2 and all(x["complete"] for x in c))(page.cards()),
         "the colour carousel")
    offered = page.cards()[before:]
    selector = ".rw-carousel-card .rw-carousel-buttons-container .rw-reply"
    buttons = wait(lambda: (lambda b: b if len(b) >= len(offered) else None)(
        web.driver.find_elements("css selector", selector)), "the carousel's buttons")[-len(offered):]
    items = [web.item(card) for card in offered]
    blue = [k for k, i in enumerate(items) if truth[i]["hue_family"] == "blue"]
    assert blue, f"no blue dress offered: {[truth[i]['hue_family'] for i in items]}"
    assert len(buttons) == len(offered)
    count = len(page.cards())
    page.js("arguments[0].scrollIntoView(); arguments[0].click();", buttons[blue[0]])
    picked = web.item(page.next_card(count, "the blue card's button"))
    assert picked == items[blue[0]]
    got = truth[web.say("a bit longer")]
    assert got["kind"] == "dress" and got["hue_family"] == "blue", got["name"]
    assert int(got["length"]) > int(truth[picked]["length"]), (truth[picked]["length_name"], got["length_name"])


def test_lighter_after_five_darker(web: Chat, truth: dict[str, Row]) -> None:
    """Five "darker" steps on a mid-blue polo, then "lighter": lighter than the last step, and
    no further back than the item before it (unseen polos of that colour family lie between),
    never the walk undone at once."""
    def L(item_id: str) -> float:  # noqa: N802
        return lab_lightness(truth[item_id]["color_hex"])

    seed = seeds(truth, lambda r: r["kind"] == "polo shirt" and r["hue_family"] == "blue"
                 and 33 <= lab_lightness(r["color_hex"]) <= 45)[0]
    walk = [web.start(seed)]
    for _ in range(5):
        walk.append(web.say("darker"))
        assert L(walk[-1]) < L(walk[-2]), [round(L(i), 1) for i in walk]
    got = web.say("lighter")
    trail = [round(L(i), 1) for i in walk] + [round(L(got), 1)]
    assert truth[got]["kind"] == "polo shirt", truth[got]["name"]
    assert L(got) > L(walk[-1]) + 1.0, trail
    between = [i for i, r in truth.items() if i not in walk and r["kind"] == "polo shirt"
               and r["hue_family"] == truth[walk[-1]]["hue_family"] and L(walk[-1]) + 2.0 < L(i) <= L(walk[-2])]
    if between:
        assert L(got) <= L(walk[-2]) + 0.05, trail
    assert L(got) < (L(walk[0]) + L(walk[-1])) / 2, trail
