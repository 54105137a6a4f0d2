"""The broad shop vocabulary the NLU's templated examples are drawn from (scripts/make_nlu_data.py).

Many shops, not the sample catalog: kinds of apparel, footwear, bags, accessories, jewellery,
home, beauty, electronics, sports and kids' goods; brands of many shapes (invented names built
from syllables, and real-looking ones: single words, two words, initials, ampersands,
apostrophes, "Maison ..." / "... & Co"); colours from matplotlib's CSS4 and XKCD colour names
plus retail colour names; materials, occasions, genders. Each list is split once,
deterministically, into a training part and a held-out part (`split`): the held-out kinds and
brands never appear in a training example, so a test on them measures what the model does with
words it has never seen (tests/test_nlu_heldout.py asserts the disjointness).
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Sequence

KINDS: dict[str, tuple[str, ...]] = {
    "tops": ("t-shirt", "tee", "polo shirt", "shirt", "blouse", "tank top", "camisole", "crop top", "tunic",
             "kurta", "kurti", "henley", "sweatshirt", "hoodie", "sweater", "jumper", "cardigan", "pullover",
             "turtleneck", "bodysuit", "vest top", "rugby shirt", "flannel shirt", "oxford shirt", "peplum top",
             "halter top", "tube top", "bralette", "corset top", "jersey", "fleece", "gilet", "waistcoat"),
    "bottoms": ("jeans", "trousers", "chinos", "joggers", "leggings", "jeggings", "shorts", "cargo pants",
                "culottes", "palazzo pants", "skirt", "mini skirt", "midi skirt", "maxi skirt", "pencil skirt",
                "skort", "track pants", "sweatpants", "dungarees", "overalls", "capris", "bermuda shorts",
                "harem pants", "salwar", "churidar", "dhoti pants", "lungi", "sarong", "bike shorts"),
    "dresses": ("dress", "maxi dress", "midi dress", "shirt dress", "wrap dress", "sundress", "slip dress",
                "bodycon dress", "cocktail dress", "evening gown", "gown", "jumpsuit", "playsuit", "romper",
                "saree", "lehenga", "anarkali", "kaftan", "abaya", "kimono", "pinafore", "tea dress"),
    "outerwear": ("jacket", "coat", "blazer", "parka", "puffer jacket", "trench coat", "raincoat", "windbreaker",
                  "bomber jacket", "denim jacket", "leather jacket", "overcoat", "peacoat", "poncho", "cape",
                  "shacket", "anorak", "duffle coat", "shawl", "nehru jacket", "suit", "tuxedo", "sherwani"),
    "underwear": ("bra", "sports bra", "briefs", "boxers", "trunks", "panties", "thong", "socks",
                  "stockings", "tights", "pyjamas", "nightdress", "nightgown", "robe", "bathrobe",
                  "lounge pants", "thermal top", "slip", "swimsuit", "bikini", "swim shorts", "rash guard"),
    "footwear": ("shoes", "sneakers", "trainers", "running shoes", "heels", "pumps", "stilettos",
                 "sandals", "flip flops", "slides", "loafers", "moccasins", "boots", "ankle boots",
                 "chelsea boots", "wellies", "hiking boots", "brogues", "oxfords", "derby shoes", "mules",
                 "clogs", "espadrilles", "ballet flats", "flats", "wedges", "slippers", "kitten heels",
                 "platform shoes", "boat shoes", "football boots", "cleats", "juttis", "kolhapuris",
                 "slip-ons", "high tops", "mary janes", "gladiator sandals", "court shoes"),
    "bags": ("backpack", "handbag", "tote bag", "tote", "clutch", "wallet", "purse", "sling bag",
             "crossbody bag", "messenger bag", "duffel bag", "laptop bag", "suitcase", "trolley bag",
             "bum bag", "fanny pack", "satchel", "shopper bag", "pouch", "card holder", "briefcase",
             "gym bag", "beach bag", "potli", "bucket bag", "holdall", "rucksack", "knapsack"),
    "accessories": ("belt", "scarf", "stole", "dupatta", "tie", "bow tie", "cufflinks", "cap", "beanie",
                    "hat", "sun hat", "bucket hat", "fedora", "gloves", "mittens", "sunglasses",
                    "glasses", "umbrella", "headband", "hair clip", "scrunchie", "keychain", "suspenders",
                    "pocket square", "mask", "watch", "smartwatch", "fitness band", "phone case",
                    "back cover", "takeaway cup", "starter kit", "hi-vis vest", "travel adapter"),
    "jewellery": ("necklace", "pendant", "chain", "earrings", "studs", "hoops", "bracelet", "bangle",
                  "anklet", "ring", "engagement ring", "brooch", "nose pin", "mangalsutra", "choker",
                  "charm bracelet", "jhumkas", "maang tikka"),
    "beauty": ("lipstick", "lip gloss", "lip balm", "foundation", "concealer", "mascara", "eyeliner",
               "eyeshadow palette", "blush", "highlighter", "nail polish", "perfume", "deodorant",
               "face wash", "moisturiser", "sunscreen", "serum", "shampoo", "conditioner", "hair oil",
               "body lotion", "face mask", "kajal", "compact powder", "primer", "toner", "beard oil",
               "shaving cream", "hair dryer", "straightener", "trimmer"),
    "home": ("bedsheet", "duvet cover", "quilt", "blanket", "throw", "pillow", "cushion cover", "curtains",
             "rug", "doormat", "towel", "bath mat", "table lamp", "floor lamp", "vase", "candle",
             "photo frame", "wall clock", "mirror", "mug", "dinner set", "bowl", "plate", "tumbler",
             "water bottle", "lunch box", "saucepan", "frying pan", "kettle", "toaster", "blender",
             "coffee maker", "sofa", "armchair", "bookshelf", "side table", "desk", "office chair",
             "bean bag", "laundry basket", "storage box", "plant pot", "table runner", "apron",
             "backrest cushion", "back scrubber", "nextgen router", "welcome mat", "thank you cards"),
    "electronics": ("headphones", "earbuds", "earphones", "speaker", "soundbar", "smartphone", "phone",
                    "tablet", "laptop", "keyboard", "mouse", "monitor", "webcam", "power bank", "charger",
                    "usb cable", "camera", "tripod", "television", "projector", "router", "game controller",
                    "e-reader", "hard drive", "memory card", "printer"),
    "sports": ("yoga mat", "dumbbells", "skipping rope", "tennis racket", "badminton racquet", "cricket bat",
               "football", "basketball", "cycling shorts", "helmet", "swim goggles", "tracksuit",
               "training top", "gym gloves", "resistance band", "water shoes", "ski jacket", "back brace",
               "backboard", "starting blocks"),
    "kids": ("onesie", "romper suit", "baby booties", "bib", "school bag", "school shoes", "frock",
             "dungaree set", "sleepsuit", "teddy bear", "toy car", "building blocks", "jigsaw puzzle",
             "doll", "board game", "night suit", "pram shoes"),
}

# Invented brand names: syllables joined, then shaped like real brands.
_SYLLABLES = ("ka", "lo", "mi", "ra", "zen", "tor", "vel", "an", "be", "co", "dri", "el", "fa", "gio", "ha",
              "iva", "jo", "ke", "lu", "mar", "no", "or", "pa", "qui", "ro", "sa", "ti", "ur", "vi", "wen",
              "xo", "ya", "zu", "bel", "cor", "dan", "ex", "fin", "gal", "hol", "in", "jas", "kor", "lin",
              "mon", "nel", "ost", "per", "rin", "sol", "tan", "ul", "ver", "wil", "yor", "zan", "ash",
              "bre", "cla", "dor", "fel", "gra", "har", "kin", "lar", "mor", "nor", "pri", "ron", "sky",
              "tre", "ven", "win", "bro", "fra", "sta", "tho", "vor", "quo",
              # syllables of the control phrasings, so that a brand like "Backlane" or "Nexton"
              # teaches that these letters decide nothing inside a name
              "back", "next", "take", "buy", "start", "go", "thank", "hi", "bye", "help", "new",
              "undo", "prev", "repeat", "over", "again", "cart", "choose", "reset", "this", "one")
_BRAND_SHAPES = ("{A}", "{A}", "{A}", "{A} {B}", "{A}{b}", "Maison {A}", "{A} & {B}", "{A} & Co",
                 "{A} Studio", "{A} London", "{A} Paris", "{A} Milano", "{I}.{J}. {A}", "{A} {B} Collective",
                 "House of {A}", "{A}'s", "The {A} Company", "{A} Denim", "{A} Active", "{A} Home",
                 "{A} Beauty", "{A} Kids", "{A}-{B}", "{A} Originals", "{A} Sport", "{A} Atelier",
                 "Studio {A}", "{A} Basics", "{A} Labs", "{I}{J}{K}")
# Real-looking brand names of the shapes real catalogues use (the brand inside the product name).
REAL_BRANDS = (
    "Nike", "Puma", "Adidas", "Reebok", "ASICS", "New Balance", "Skechers", "Fila", "Under Armour",
    "Levi's", "Wrangler", "Lee", "Pepe Jeans", "Diesel", "H&M", "Zara", "Mango", "Uniqlo", "Gap",
    "Forever 21", "Tommy Hilfiger", "Calvin Klein", "U.S. Polo Assn.", "Jack & Jones", "Vero Moda",
    "Roadster", "HRX", "Allen Solly", "Peter England", "Van Heusen", "Louis Philippe",
    "Arrow", "Raymond", "Fabindia", "Biba", "Aurelia", "Global Desi", "Libas", "Anouk",
    "Fossil", "Titan", "Casio", "Timex", "Ray-Ban", "Fastrack", "Samsonite", "American Tourister",
    "Wildcraft", "Lavie", "Baggit", "Caprese", "Hidesign", "Lakme", "Maybelline", "L'Oreal",
    "Nivea", "Dove", "Philips", "Sony", "Bose", "JBL", "boAt", "Samsung", "Lenovo", "Dell", "HP",
    "Prestige", "Milton", "IKEA", "Home Centre", "Bombay Dyeing", "Spaces", "Woodland", "Red Tape",
    "Bata", "Hush Puppies", "Clarks", "Crocs", "Converse", "Vans", "Dr. Martens", "Timberland",
    "Superdry", "GAS", "Being Human", "Marks & Spencer", "Marks and Spencer", "Ted Baker", "Gucci",
    "Prada", "Chanel", "Dior", "Coach", "Michael Kors", "Kate Spade", "Swarovski", "Pandora",
    "Tanishq", "Carlton London", "Mast & Harbour", "Dressberry", "Sassafras", "Harpa", "Mochi",
    "Metro", "Inc.5", "Catwalk", "Ginger", "Max", "Westside", "Lifestyle", "Decathlon", "Kipsta",
)
# Brands every test set keeps out of training: the ones the misfires name.
HELD_OUT_BRANDS = ("Nike", "Puma", "Adidas")
HELD_OUT_KINDS = ("backpack", "sandals", "loafers", "wallet")

EXTRA_COLOURS = (
    "navy blue", "navy", "charcoal", "grey melange", "off white", "cream", "beige", "camel", "tan",
    "burgundy", "maroon", "mustard", "olive", "khaki", "teal", "turquoise", "peach", "coral", "rose gold",
    "gold", "silver", "bronze", "copper", "nude", "taupe", "mauve", "magenta", "fuchsia", "lavender",
    "lilac", "mint", "sea green", "rust", "brick red", "wine", "ivory", "multi", "multicolour",
    "black", "white", "red", "blue", "green", "yellow", "pink", "purple", "orange", "brown", "grey",
    "steel", "metallic", "transparent", "gunmetal", "stone", "sand", "ecru", "denim blue", "indigo",
    "ink blue", "petrol", "jade", "emerald", "ruby", "sapphire", "champagne", "blush", "dusty pink",
)
MATERIALS = ("cotton", "linen", "silk", "satin", "wool", "merino", "cashmere", "polyester", "nylon",
             "denim", "leather", "faux leather", "suede", "velvet", "corduroy", "chiffon", "georgette",
             "crepe", "lace", "jersey", "fleece", "tweed", "canvas", "mesh", "rayon", "viscose",
             "bamboo", "modal", "khadi", "organza", "sequin", "rubber", "plastic", "stainless steel",
             "ceramic", "glass", "wood", "bamboo fibre", "brass", "sterling silver", "gold plated",
             "microfibre", "acrylic", "jute", "terry cotton", "muslin", "poplin", "chambray", "seersucker")
OCCASIONS = ("a wedding", "the gym", "work", "the office", "a party", "the beach", "a date", "a festival",
             "diwali", "eid", "christmas", "a funeral", "an interview", "travel", "hiking", "running",
             "yoga", "school", "college", "a graduation", "brunch", "a cocktail party", "a business meeting",
             "everyday wear", "lounging at home", "a night out", "a holiday", "summer", "winter", "the rain",
             "a baby shower", "a birthday", "prom", "a concert", "football", "tennis", "swimming",
             "a picnic", "camping", "a sangeet", "a reception", "church", "thanksgiving", "back to school",
             "a going away party", "new year", "a fresh start", "a comeback gig", "the weekend")
OCCASION_WORDS = ("casual", "formal", "sports", "ethnic", "party", "smart casual", "festive", "travel", "backpacking",
                  "home", "workwear", "bridal", "athleisure", "streetwear", "evening", "beachwear",
                  "outdoor", "loungewear", "office", "traditional", "western")
GENDERS = ("men", "women", "boys", "girls", "unisex", "kids", "baby")
GENDER_POSSESSIVE = {"men": "men's", "women": "women's", "boys": "boys'", "girls": "girls'", "kids": "kids'",
                     "baby": "baby", "unisex": "unisex"}


def _stable(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def split(values: Sequence[str], held_out_share: float, always_held_out: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(training, held-out): a value is held out by a hash of its name (stable across runs and
    Python versions), or because it is named in `always_held_out`."""
    forced = {v.lower() for v in always_held_out}
    train, held = [], []
    for v in values:
        bucket = _stable(v.lower()) % 1000 / 1000.0
        (held if v.lower() in forced or bucket < held_out_share else train).append(v)
    return train, held


def all_kinds() -> list[str]:
    return sorted({k for group in KINDS.values() for k in group})


def plural(kind: str) -> str:
    """'backpack' -> 'backpacks'; names that are plural already ('jeans', 'heels') stay."""
    words = kind.split()
    last = words[-1]
    if (last.endswith("s") and not last.endswith("ss")) or last in {"pyjamas", "jeans"}:
        return kind
    if last.endswith(("ss", "sh", "ch", "x")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join(words[:-1] + [last])


def invented_brands(n: int, seed: int) -> list[str]:
    """`n` distinct invented brand names of many shapes."""
    rng = random.Random(seed)
    out: dict[str, None] = {}

    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()

    while len(out) < n:
        shape = rng.choice(_BRAND_SHAPES)
        letters = "ABCDEFGHJKLMNPRSTVW"
        name = shape.format(A=word(), B=word(), b=word().lower(), I=rng.choice(letters),
                            J=rng.choice(letters), K=rng.choice(letters))
        if rng.random() < 0.1:
            name = name.upper()
        out[name] = None
    return list(out)


_UNSAYABLE = re.compile(r"\b(shit|poo|poop|puke|vomit|barf|booger|snot|piss|diarrhea)\b")


def colours() -> list[str]:
    """CSS4 and XKCD colour names (matplotlib) plus retail colour names, lower case, 1-3 words
    (the XKCD survey's rude names left out)."""
    from matplotlib import colors as mcolors

    names = set(EXTRA_COLOURS)
    names |= {n.lower() for n in mcolors.CSS4_COLORS}
    names |= {n.removeprefix("xkcd:").lower() for n in mcolors.XKCD_COLORS}
    keep = re.compile(r"^[a-z][a-z' -]*[a-z]$")
    return sorted(n for n in names if keep.match(n) and len(n.split()) <= 3 and not _UNSAYABLE.search(n))


def phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    """Matches any of `phrases` (and a kind's plural) as whole words, case-insensitively."""
    forms = sorted({f.lower() for p in phrases for f in (p, plural(p))}, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w'])", re.IGNORECASE)
