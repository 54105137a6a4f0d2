"""The sample catalog's vocabulary: kinds, their styles (what each may be made of, how it is cut,
what it may be called), colour-family weights per kind, and the phrases names and descriptions use."""

from dataclasses import dataclass, field
from typing import Iterable

from gradrec_core.critique import vocabulary


KINDS: list[str] = [
    "polo shirt", "t-shirt", "shirt", "dress", "skirt", "trousers", "shorts", "heels", "flats",
    "sneakers", "jacket", "coat",
]
KIND_PREFIX: dict[str, str] = {
    "polo shirt": "polo", "t-shirt": "tee", "shirt": "shirt", "dress": "dress", "skirt": "skirt",
    "trousers": "trousers", "shorts": "shorts", "heels": "heels", "flats": "flats",
    "sneakers": "sneakers", "jacket": "jacket", "coat": "coat",
}
KIND_COUNTS: dict[str, int] = {
    "polo shirt": 440, "t-shirt": 320, "shirt": 320, "dress": 320, "skirt": 320, "trousers": 320,
    "shorts": 200, "heels": 320, "flats": 200, "sneakers": 260, "jacket": 220, "coat": 160,
}

HUE_FAMILIES: list[str] = [
    "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown", "beige", "grey",
    "black", "white",
]
LENGTH_NAMES: dict[int, str] = {1: "mini", 2: "above-knee", 3: "knee-length", 4: "midi", 5: "maxi"}
LEG_LENGTH_NAMES: dict[int, str] = {
    1: "short shorts", 2: "mid-thigh", 3: "bermuda", 4: "cropped", 5: "full-length",
}
SLEEVE_NAMES: dict[int, str] = {0: "sleeveless", 1: "short", 2: "three-quarter", 3: "long"}
FORMALITY_NAMES: dict[int, str] = {
    1: "athleisure", 2: "casual", 3: "smart casual", 4: "business", 5: "formal",
}
PATTERNS: list[str] = list(vocabulary.PATTERNS)  # the one vocabulary source (gradrec_core/critique/vocabulary.json)

#: L* thresholds for tone words in descriptions (tests use looser bounds).
DARK_TONE_MAX_L = 35.0
LIGHT_TONE_MIN_L = 75.0
DARK_TONE_WORDS: list[str] = ["deep", "dark", "rich"]
LIGHT_TONE_WORDS: list[str] = ["pale", "light", "soft pastel"]


def title_case(text: str) -> str:
    """Title-case words without breaking apostrophes or hyphens ("robin's egg" -> "Robin's Egg")."""
    def cap(w: str) -> str:
        return "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
    return " ".join(cap(w) for w in text.split())


Weights = dict  # {value: weight}


@dataclass(frozen=True)
class Style:
    """A sub-type of a kind: what it may be made of, how it is cut, and what it may be called."""

    key: str
    weight: float
    title: str  # product-title noun, e.g. "Piqué Polo Shirt"
    nouns: tuple[str, ...]  # description synonyms, all true for every item of the style
    materials: Weights
    fits: Weights
    formality: Weights
    price: float  # base price
    patterns: Weights = field(default_factory=lambda: {"plain": 1})
    sleeves: Weights | None = None
    lengths: Weights | None = None
    heel: tuple[float, float] | None = None
    details: tuple[str, ...] = ()
    plural: bool = False  # "a pair of" items


def _s(key: str, weight: float, title: str, nouns: Iterable[str], materials: Weights,
       fits: Weights, formality: Weights, price: float, **kw: object) -> Style:
    return Style(key, weight, title, tuple(nouns), materials, fits, formality, price, **kw)  # type: ignore[arg-type]


_TOP_PATTERNS = {"plain": 14, "striped": 3, "checked": 0, "floral": 1, "polka-dot": 1}

STYLES: dict[str, list[Style]] = {
    "polo shirt": [
        _s("pique", 5, "Piqué Polo Shirt", ["polo", "polo shirt", "piqué polo"],
           {"cotton piqué": 1}, {"slim": 3, "regular": 4, "relaxed": 1}, {2: 5, 3: 4}, 39,
           patterns={"plain": 8, "striped": 2}, sleeves={1: 8, 3: 2},
           details=("a ribbed collar", "a two-button placket", "a split hem", "ribbed cuffs")),
        _s("jersey", 3, "Jersey Polo Shirt", ["polo", "polo shirt", "jersey polo"],
           {"cotton jersey": 1}, {"slim": 2, "regular": 4, "relaxed": 2}, {2: 7, 3: 2}, 29,
           patterns={"plain": 8, "striped": 2, "polka-dot": 1}, sleeves={1: 7, 3: 3},
           details=("a three-button placket", "a fold-down collar", "a curved hem")),
        _s("knit", 2, "Knitted Polo", ["polo", "knitted polo", "polo shirt", "knit polo"],
           {"merino wool": 2, "cotton knit": 2}, {"slim": 3, "regular": 2}, {3: 6, 4: 2}, 69,
           patterns={"plain": 9, "striped": 1}, sleeves={1: 5, 3: 5},
           details=("an open collar", "a buttonless placket", "ribbed trims")),
        _s("sport", 2, "Performance Polo", ["polo", "golf polo", "sports polo", "polo shirt"],
           {"technical jersey": 1}, {"slim": 3, "regular": 3}, {1: 6, 2: 3}, 35,
           patterns={"plain": 9, "striped": 1}, sleeves={1: 9, 3: 1},
           details=("sweat-wicking fabric", "a stretch collar", "a drop-tail hem")),
    ],
    "t-shirt": [
        _s("crew", 5, "Crew-Neck Tee", ["tee", "t-shirt", "crew-neck tee", "crewneck t-shirt"],
           {"cotton jersey": 4, "organic cotton": 2, "slub jersey": 1},
           {"slim": 2, "regular": 4, "relaxed": 2}, {1: 3, 2: 7}, 19, patterns=_TOP_PATTERNS,
           sleeves={1: 1}, details=("a ribbed crew neck", "taped shoulder seams", "a straight hem")),
        _s("vneck", 2, "V-Neck Tee", ["tee", "t-shirt", "v-neck tee", "v-neck t-shirt"],
           {"cotton jersey": 3, "modal jersey": 1}, {"slim": 3, "regular": 3}, {1: 2, 2: 6}, 19,
           patterns={"plain": 10, "striped": 2}, sleeves={1: 1},
           details=("a clean v-neck", "a curved hem", "a fine rib trim")),
        _s("longsleeve", 2, "Long-Sleeve Tee",
           ["tee", "long-sleeve tee", "long-sleeved t-shirt", "t-shirt"],
           {"cotton jersey": 3, "waffle knit": 1}, {"slim": 2, "regular": 3, "relaxed": 1},
           {1: 3, 2: 6}, 25, patterns={"plain": 10, "striped": 3}, sleeves={3: 1},
           details=("ribbed cuffs", "a crew neck", "thumb-friendly cuffs")),
        _s("oversized", 2, "Oversized Tee", ["tee", "oversized tee", "boxy t-shirt", "t-shirt"],
           {"heavyweight cotton": 3, "cotton jersey": 1}, {"oversized": 1}, {1: 4, 2: 6}, 29,
           patterns={"plain": 10, "polka-dot": 1, "floral": 1}, sleeves={1: 3, 2: 1},
           details=("dropped shoulders", "a thick ribbed neckband", "a boxy body")),
        _s("tank", 2, "Tank Top", ["tank top", "sleeveless tee", "vest top", "tank"],
           {"cotton jersey": 2, "rib jersey": 2}, {"slim": 3, "regular": 2, "relaxed": 1},
           {1: 6, 2: 4}, 15, patterns={"plain": 10, "striped": 2}, sleeves={0: 1},
           details=("a scoop neck", "racer-back straps", "bound armholes")),
        _s("breton", 1, "Breton Top", ["breton top", "striped tee", "breton t-shirt", "tee"],
           {"cotton jersey": 2, "heavyweight cotton": 1}, {"regular": 2, "relaxed": 1},
           {2: 7, 3: 2}, 35, patterns={"striped": 1}, sleeves={3: 3, 2: 2},
           details=("a boat neck", "classic nautical stripes", "a straight hem")),
    ],
    "shirt": [
        _s("oxford", 4, "Oxford Shirt", ["oxford shirt", "button-down shirt", "shirt", "button-down"],
           {"cotton oxford": 1}, {"slim": 3, "regular": 4, "relaxed": 1}, {2: 3, 3: 6, 4: 2}, 45,
           patterns={"plain": 7, "striped": 3, "checked": 2}, sleeves={3: 8, 1: 2},
           details=("a button-down collar", "a chest pocket", "a box-pleat back")),
        _s("dress", 3, "Poplin Dress Shirt", ["dress shirt", "formal shirt", "shirt", "poplin shirt"],
           {"cotton poplin": 3, "cotton twill": 1}, {"slim": 4, "regular": 3}, {4: 6, 5: 3}, 55,
           patterns={"plain": 8, "striped": 2, "checked": 1}, sleeves={3: 1},
           details=("a cutaway collar", "double cuffs", "a spread collar", "mother-of-pearl buttons")),
        _s("linen", 3, "Linen Shirt", ["linen shirt", "shirt", "button-up shirt", "button-up"],
           {"linen": 3, "linen-cotton blend": 1}, {"regular": 3, "relaxed": 3, "slim": 1},
           {2: 5, 3: 4}, 49, patterns={"plain": 8, "striped": 2}, sleeves={3: 6, 1: 3, 2: 1},
           details=("a camp collar", "a breezy, airy weave", "a curved hem", "a patch pocket")),
        _s("denim", 2, "Denim Shirt", ["denim shirt", "western shirt", "shirt"], {"denim": 1},
           {"regular": 3, "slim": 2, "relaxed": 1}, {2: 1}, 49, sleeves={3: 1},
           details=("pearl snap buttons", "twin chest pockets", "a yoke back")),
        _s("flannel", 2, "Flannel Shirt", ["flannel shirt", "flannel", "check shirt", "shirt"],
           {"brushed cotton flannel": 1}, {"regular": 3, "relaxed": 2}, {2: 1}, 42,
           patterns={"checked": 1}, sleeves={3: 1},
           details=("a brushed finish", "twin flap pockets", "a button-down collar")),
        _s("blouse", 3, "Silk Blouse", ["blouse", "silk shirt", "shirt", "silk blouse"],
           {"silk": 3, "silk crepe de chine": 1}, {"relaxed": 3, "regular": 2, "slim": 1},
           {3: 4, 4: 4, 5: 2}, 89, patterns={"plain": 8, "floral": 2, "polka-dot": 2},
           sleeves={3: 5, 2: 2, 1: 2, 0: 1},
           details=("a pussy-bow neck", "covered buttons", "a fluid drape", "a concealed placket")),
        _s("camp", 2, "Camp-Collar Shirt",
           ["camp-collar shirt", "bowling shirt", "short-sleeve shirt", "shirt"],
           {"viscose": 3, "cotton poplin": 1}, {"relaxed": 3, "regular": 2}, {2: 7, 3: 2}, 39,
           patterns={"plain": 5, "floral": 3, "striped": 2}, sleeves={1: 1},
           details=("a revere collar", "a boxy cut", "a straight hem with side vents")),
    ],
    "dress": [
        _s("shift", 3, "Shift Dress", ["dress", "shift dress", "shift"],
           {"crepe": 3, "cotton": 2, "linen": 1}, {"shift": 1}, {3: 5, 4: 4}, 59,
           patterns={"plain": 8, "polka-dot": 1, "checked": 1},
           sleeves={0: 3, 1: 3, 2: 2, 3: 2}, lengths={1: 2, 2: 4, 3: 4},
           details=("a round neck", "a concealed back zip", "side pockets")),
        _s("wrap", 3, "Wrap Dress", ["dress", "wrap dress", "frock"],
           {"jersey": 3, "viscose": 2, "silk": 1}, {"wrap": 1}, {2: 3, 3: 5, 4: 2}, 69,
           patterns={"plain": 6, "floral": 3, "polka-dot": 2},
           sleeves={1: 3, 2: 3, 3: 3}, lengths={3: 3, 4: 4, 5: 2},
           details=("a tie waist", "a v-neckline", "a flutter hem")),
        _s("slip", 2, "Slip Dress", ["dress", "slip dress", "cami dress"],
           {"satin": 3, "silk": 2}, {"slim": 2, "relaxed": 1}, {3: 3, 4: 1, 5: 4}, 79,
           sleeves={0: 1}, lengths={2: 2, 3: 2, 4: 4, 5: 3},
           details=("adjustable straps", "a cowl neck", "a bias cut")),
        _s("shirtdress", 2, "Shirt Dress", ["dress", "shirt dress", "shirtdress"],
           {"cotton poplin": 3, "linen": 2, "denim": 1}, {"relaxed": 2, "regular": 2},
           {2: 5, 3: 4}, 65, patterns={"plain": 7, "striped": 3, "checked": 2},
           sleeves={1: 3, 2: 2, 3: 3}, lengths={2: 2, 3: 4, 4: 3},
           details=("a belted waist", "a button-through front", "a point collar")),
        _s("tshirt", 2, "T-Shirt Dress", ["dress", "t-shirt dress", "tee dress", "jersey dress"],
           {"cotton jersey": 1}, {"relaxed": 3, "oversized": 1}, {1: 4, 2: 6}, 35,
           patterns={"plain": 8, "striped": 3}, sleeves={1: 1}, lengths={1: 3, 2: 3, 3: 2, 4: 2},
           details=("a crew neck", "side-seam pockets", "a straight hem")),
        _s("sundress", 3, "Sundress", ["dress", "sundress", "summer dress"],
           {"cotton": 3, "linen": 2}, {"a-line": 2, "fit-and-flare": 2}, {2: 1}, 49,
           patterns={"plain": 4, "floral": 5, "polka-dot": 2, "checked": 1},
           sleeves={0: 1}, lengths={1: 2, 2: 2, 3: 2, 4: 3, 5: 2},
           details=("thin shoulder straps", "a smocked back", "a tiered skirt")),
        _s("gown", 2, "Evening Gown", ["dress", "gown", "evening gown", "evening dress"],
           {"silk": 2, "satin": 3, "chiffon": 2, "velvet": 2}, {"fit-and-flare": 2, "a-line": 2, "slim": 1},
           {5: 1}, 169, sleeves={0: 4, 1: 1, 3: 2}, lengths={5: 1},
           details=("a fitted bodice", "a thigh-high split", "a sweeping train", "a corset back")),
        _s("cocktail", 2, "Cocktail Dress", ["dress", "cocktail dress", "party dress"],
           {"satin": 2, "crepe": 2, "velvet": 1, "sequinned tulle": 1},
           {"bodycon": 2, "fit-and-flare": 3}, {4: 2, 5: 5}, 99,
           sleeves={0: 3, 1: 2, 2: 1}, lengths={1: 3, 2: 3, 3: 2},
           details=("a sweetheart neckline", "a structured bodice", "a full skirt")),
        _s("knit", 2, "Knitted Dress", ["dress", "knit dress", "jumper dress", "sweater dress"],
           {"wool blend": 2, "ribbed knit": 2, "cashmere blend": 1}, {"bodycon": 2, "relaxed": 2},
           {2: 4, 3: 4}, 75, patterns={"plain": 8, "striped": 2},
           sleeves={3: 4, 2: 1}, lengths={3: 2, 4: 3, 5: 2},
           details=("a roll neck", "ribbed trims", "a crew neck")),
    ],
    "skirt": [
        _s("pencil", 3, "Pencil Skirt", ["skirt", "pencil skirt"],
           {"crepe": 3, "wool blend": 2, "leather": 1}, {"pencil": 1}, {3: 4, 4: 6}, 55,
           patterns={"plain": 9, "checked": 2, "striped": 1}, lengths={2: 2, 3: 5, 4: 3},
           details=("a back vent", "a high waist", "a concealed zip")),
        _s("aline", 3, "A-Line Skirt", ["skirt", "a-line skirt"],
           {"cotton": 3, "suede": 1, "corduroy": 1}, {"a-line": 1}, {2: 5, 3: 4}, 45,
           patterns={"plain": 7, "checked": 2, "floral": 2, "polka-dot": 1},
           lengths={1: 3, 2: 3, 3: 3, 4: 2}, details=("front buttons", "patch pockets", "a high waist")),
        _s("pleated", 3, "Pleated Skirt", ["skirt", "pleated skirt", "plissé skirt"],
           {"chiffon": 2, "satin": 2, "crepe": 1}, {"flared": 1}, {3: 6, 4: 2, 5: 1}, 59,
           patterns={"plain": 8, "polka-dot": 2}, lengths={3: 2, 4: 5, 5: 3},
           details=("sunray pleats", "an elasticated waist", "a fluid drape")),
        _s("wrap", 2, "Wrap Skirt", ["skirt", "wrap skirt", "sarong skirt"],
           {"viscose": 3, "linen": 2}, {"wrap": 1}, {2: 6, 3: 4}, 45,
           patterns={"plain": 6, "floral": 4, "polka-dot": 1}, lengths={1: 2, 2: 2, 3: 2, 4: 4, 5: 2},
           details=("a tie side", "a ruffled hem", "an asymmetric hem")),
        _s("denim", 2, "Denim Skirt", ["skirt", "denim skirt", "jean skirt"], {"denim": 1},
           {"a-line": 2, "straight": 2}, {2: 1}, 39, lengths={1: 4, 2: 3, 3: 2, 4: 1},
           details=("five pockets", "a front split", "a raw hem")),
        _s("slip", 2, "Satin Slip Skirt", ["skirt", "slip skirt", "satin skirt"], {"satin": 1},
           {"slim": 1}, {3: 5, 5: 2}, 49, lengths={4: 3, 5: 2},
           details=("a bias cut", "an elasticated waist", "a fluid drape")),
        _s("tiered", 2, "Tiered Skirt", ["skirt", "tiered skirt", "prairie skirt", "peasant skirt"],
           {"cotton": 3, "cotton voile": 1}, {"flared": 1}, {2: 1}, 49,
           patterns={"plain": 5, "floral": 4, "polka-dot": 1}, lengths={4: 2, 5: 3},
           details=("gathered tiers", "an elasticated waist", "a broderie trim")),
        _s("skater", 2, "Skater Skirt", ["skirt", "skater skirt", "tennis skirt"],
           {"jersey": 2, "scuba": 1}, {"flared": 1}, {1: 5, 2: 4}, 25,
           patterns={"plain": 8, "checked": 2, "striped": 1}, lengths={1: 3, 2: 2},
           details=("a flippy hem", "built-in shorts", "a wide waistband")),
    ],
    "trousers": [
        _s("chinos", 4, "Chinos", ["chinos", "trousers", "pants", "chino trousers"],
           {"cotton twill": 3, "stretch cotton": 1}, {"slim": 3, "straight": 3, "tapered": 2},
           {2: 4, 3: 6}, 45, lengths={4: 3, 5: 6},
           details=("slanted front pockets", "a button fly", "a turn-up hem"), plural=True),
        _s("tailored", 3, "Tailored Trousers", ["trousers", "slacks", "tailored pants", "dress pants"],
           {"wool blend": 3, "crepe": 2, "wool": 1}, {"slim": 3, "straight": 3, "wide-leg": 2},
           {3: 2, 4: 7, 5: 1}, 69, patterns={"plain": 8, "striped": 2, "checked": 1},
           lengths={4: 3, 5: 7}, details=("pressed creases", "a hook-and-bar waist", "side adjusters"),
           plural=True),
        _s("jeans", 4, "Jeans", ["jeans", "denim jeans", "five-pocket jeans"], {"denim": 4, "stretch denim": 2},
           {"slim": 3, "straight": 3, "wide-leg": 2, "relaxed": 2, "tapered": 1}, {2: 1}, 59,
           lengths={4: 4, 5: 6}, details=("five pockets", "a button fly", "a raw hem", "a zip fly"),
           plural=True),
        _s("wideleg", 3, "Wide-Leg Trousers", ["trousers", "wide-leg trousers", "wide-leg pants", "pants"],
           {"linen": 3, "viscose": 2, "crepe": 2}, {"wide-leg": 1}, {2: 3, 3: 5, 4: 2}, 55,
           patterns={"plain": 8, "striped": 2, "checked": 1}, lengths={4: 4, 5: 6},
           details=("a high waist", "a drawstring waist", "front pleats"), plural=True),
        _s("joggers", 2, "Joggers", ["joggers", "sweatpants", "track pants", "pants"],
           {"cotton jersey": 2, "fleece-back jersey": 2, "technical jersey": 1},
           {"tapered": 3, "relaxed": 2}, {1: 1}, 35, patterns={"plain": 9, "striped": 1},
           lengths={4: 2, 5: 6}, details=("ribbed cuffs", "an elasticated drawstring waist", "zip pockets"),
           plural=True),
        _s("cargo", 2, "Cargo Trousers", ["cargo trousers", "cargo pants", "cargos", "trousers"],
           {"cotton canvas": 2, "ripstop": 2}, {"relaxed": 2, "straight": 2, "tapered": 1}, {2: 1}, 55,
           lengths={4: 2, 5: 5}, details=("bellowed cargo pockets", "a belted waist", "toggle hems"),
           plural=True),
    ],
    "shorts": [
        _s("denim", 3, "Denim Shorts", ["shorts", "denim shorts", "jean shorts", "cut-offs"],
           {"denim": 1}, {"relaxed": 2, "slim": 2}, {2: 1}, 35, lengths={1: 4, 2: 3},
           details=("frayed hems", "five pockets", "a high waist"), plural=True),
        _s("chino", 3, "Chino Shorts", ["shorts", "chino shorts"],
           {"cotton twill": 3, "stretch cotton": 1}, {"slim": 2, "regular": 3}, {2: 5, 3: 3}, 35,
           patterns={"plain": 8, "checked": 1, "striped": 1}, lengths={2: 5, 3: 4},
           details=("turn-up hems", "slanted front pockets", "a button fly"), plural=True),
        _s("bermuda", 2, "Bermuda Shorts", ["shorts", "bermuda shorts", "bermudas"],
           {"linen": 2, "cotton twill": 2, "wool blend": 1}, {"regular": 2, "relaxed": 2},
           {2: 4, 3: 5}, 42, patterns={"plain": 8, "checked": 2}, lengths={3: 1},
           details=("pressed creases", "a high waist", "side pockets"), plural=True),
        _s("running", 2, "Running Shorts", ["shorts", "running shorts", "gym shorts", "sports shorts"],
           {"technical jersey": 2, "ripstop": 1}, {"regular": 2, "relaxed": 1}, {1: 1}, 25,
           lengths={1: 4, 2: 3}, details=("a built-in brief", "a zip pocket", "split hems"),
           plural=True),
        _s("linen", 2, "Linen Shorts", ["shorts", "linen shorts"], {"linen": 1},
           {"relaxed": 3, "regular": 1}, {2: 6, 3: 2}, 39,
           patterns={"plain": 7, "striped": 2}, lengths={1: 1, 2: 4, 3: 3},
           details=("a drawstring waist", "side pockets", "an airy weave"), plural=True),
        _s("sweat", 2, "Sweat Shorts", ["shorts", "sweat shorts", "jersey shorts", "lounge shorts"],
           {"cotton jersey": 2, "fleece-back jersey": 1}, {"relaxed": 2, "regular": 1}, {1: 1}, 29,
           lengths={1: 2, 2: 4, 3: 2}, details=("a drawstring waist", "raw-edge hems", "side pockets"),
           plural=True),
    ],
    "heels": [
        _s("stiletto", 4, "Stiletto Pumps", ["stilettos", "pumps", "court shoes", "heels"],
           {"patent leather": 3, "leather": 3, "suede": 2, "satin": 1}, {"regular": 4, "narrow": 1},
           {3: 2, 4: 4, 5: 5}, 89, heel=(8.0, 12.0), plural=True,
           details=("a pointed toe", "a cushioned footbed", "a leather lining")),
        _s("kitten", 3, "Kitten-Heel Pumps", ["kitten heels", "pumps", "court shoes", "heels"],
           {"leather": 3, "suede": 2, "patent leather": 1}, {"regular": 4, "wide fit": 1},
           {3: 4, 4: 5, 5: 1}, 69, heel=(3.0, 4.5), plural=True,
           details=("a pointed toe", "a slingback strap", "an almond toe")),
        _s("block", 4, "Block-Heel Pumps", ["block heels", "pumps", "heels", "court shoes"],
           {"leather": 3, "suede": 3, "patent leather": 1}, {"regular": 4, "wide fit": 2},
           {2: 2, 3: 5, 4: 3}, 75, heel=(4.0, 9.0), plural=True,
           details=("a round toe", "an ankle strap", "a square toe", "a padded insole")),
        _s("mid", 2, "Mid-Heel Court Shoes", ["court shoes", "pumps", "mid-heels", "heels"],
           {"leather": 3, "patent leather": 2}, {"regular": 4, "wide fit": 1}, {3: 3, 4: 6, 5: 1},
           79, heel=(5.0, 7.5), plural=True,
           details=("an almond toe", "a cushioned footbed", "a low-cut vamp")),
        _s("platform", 2, "Platform Heels", ["platform heels", "platforms", "heels"],
           {"suede": 2, "patent leather": 2, "satin": 1}, {"regular": 1}, {3: 3, 5: 4, 4: 1}, 95,
           heel=(9.0, 12.0), plural=True,
           details=("a chunky front platform", "an ankle strap", "a peep toe")),
        _s("sandal", 2, "Strappy Heeled Sandals", ["heeled sandals", "strappy heels", "heels"],
           {"leather": 2, "satin": 2, "metallic leather": 1}, {"regular": 3, "narrow": 1},
           {3: 3, 5: 5}, 85, heel=(6.0, 11.0), plural=True,
           details=("delicate straps", "a buckled ankle strap", "an open toe")),
    ],
    "flats": [
        _s("ballet", 4, "Ballet Flats", ["ballet flats", "ballerinas", "ballet pumps", "flats"],
           {"leather": 3, "suede": 2, "patent leather": 1, "satin": 1}, {"regular": 4, "wide fit": 1},
           {2: 5, 3: 4, 4: 1}, 49, heel=(0.0, 1.0), plural=True,
           details=("a bow trim", "an elasticated topline", "a round toe", "a pointed toe")),
        _s("loafer", 4, "Loafers", ["loafers", "penny loafers", "slip-ons", "flats"],
           {"leather": 4, "suede": 2, "patent leather": 1}, {"regular": 4, "wide fit": 1},
           {2: 3, 3: 5, 4: 3}, 79, heel=(1.0, 2.0), plural=True,
           details=("a penny strap", "a horsebit trim", "a stacked sole", "tassel detail")),
        _s("espadrille", 2, "Espadrilles", ["espadrilles", "flats", "slip-ons"],
           {"canvas": 3, "linen": 1}, {"regular": 1}, {2: 1}, 35, heel=(1.0, 2.0), plural=True,
           patterns={"plain": 6, "striped": 2}, details=("a braided jute sole", "a round toe")),
        _s("sandal", 3, "Flat Sandals", ["flat sandals", "sandals", "slides", "flats"],
           {"leather": 3, "suede": 1}, {"regular": 4, "wide fit": 1}, {2: 1}, 39, heel=(0.0, 1.0),
           plural=True, details=("crossover straps", "a moulded footbed", "a toe post")),
        _s("mule", 2, "Flat Mules", ["mules", "backless loafers", "flats"],
           {"leather": 2, "suede": 2, "velvet": 1}, {"regular": 1}, {2: 3, 3: 5, 4: 1}, 65,
           heel=(0.5, 2.0), plural=True, details=("a square toe", "a backless design", "a slim sole")),
    ],
    "sneakers": [
        _s("lowtop", 5, "Low-Top Sneakers", ["sneakers", "trainers", "kicks", "low-tops"],
           {"leather": 4, "canvas": 2, "suede": 2}, {"regular": 4, "wide fit": 1}, {1: 3, 2: 6, 3: 2},
           69, heel=(2.0, 3.5), plural=True,
           details=("a padded collar", "tonal laces", "a perforated toe", "a cupsole")),
        _s("hightop", 2, "High-Top Sneakers", ["sneakers", "trainers", "high-tops", "kicks"],
           {"canvas": 3, "leather": 2}, {"regular": 1}, {1: 2, 2: 6}, 59, heel=(2.5, 4.0),
           plural=True, details=("a rubber toe cap", "metal eyelets", "an ankle patch")),
        _s("chunky", 2, "Chunky Sneakers", ["sneakers", "trainers", "dad sneakers", "kicks"],
           {"mesh and suede": 2, "leather": 2}, {"regular": 1}, {1: 4, 2: 5}, 99, heel=(4.0, 5.0),
           plural=True, details=("a layered upper", "a sculpted midsole", "padded tongue")),
        _s("running", 3, "Running Shoes", ["running shoes", "trainers", "runners", "sneakers"],
           {"mesh": 3, "knit": 2}, {"regular": 3, "wide fit": 1}, {1: 1}, 89, heel=(3.0, 4.5),
           plural=True, details=("a breathable upper", "a responsive foam midsole", "reflective trims")),
        _s("slipon", 2, "Slip-On Sneakers", ["slip-on sneakers", "slip-ons", "sneakers", "trainers"],
           {"canvas": 3, "knit": 1}, {"regular": 1}, {1: 2, 2: 5}, 45, heel=(2.0, 3.0), plural=True,
           patterns={"plain": 8, "checked": 2}, details=("elasticated side gores", "a vulcanised sole")),
    ],
    "jacket": [
        _s("blazer", 4, "Blazer", ["blazer", "tailored jacket", "sports jacket", "jacket"],
           {"wool blend": 3, "linen": 2, "velvet": 1}, {"slim": 3, "regular": 3, "oversized": 1},
           {3: 5, 4: 5}, 119, patterns={"plain": 7, "checked": 2, "striped": 1},
           sleeves={3: 9, 2: 1}, details=("notch lapels", "a single-button front", "flap pockets")),
        _s("bomber", 3, "Bomber Jacket", ["bomber", "bomber jacket", "jacket"],
           {"nylon": 3, "satin": 1, "suede": 1}, {"regular": 3, "relaxed": 2}, {2: 1}, 89,
           sleeves={3: 1}, details=("ribbed cuffs and hem", "a zip front", "a utility sleeve pocket")),
        _s("denim", 3, "Denim Jacket", ["denim jacket", "jean jacket", "trucker jacket", "jacket"],
           {"denim": 1}, {"regular": 3, "relaxed": 2, "oversized": 1}, {2: 1}, 69,
           sleeves={3: 9, 0: 1}, details=("chest flap pockets", "a button front", "a pointed collar")),
        _s("leather", 2, "Leather Biker Jacket", ["biker jacket", "leather jacket", "jacket"],
           {"leather": 1}, {"slim": 3, "regular": 1}, {2: 3, 3: 2}, 199, sleeves={3: 1},
           details=("an asymmetric zip", "notched lapels", "a belted hem")),
        _s("suede", 1, "Suede Jacket", ["suede jacket", "jacket", "trucker jacket"], {"suede": 1},
           {"regular": 1}, {2: 2, 3: 3}, 179, sleeves={3: 1},
           details=("a shirt collar", "a button front", "patch pockets")),
        _s("quilted", 2, "Quilted Jacket", ["quilted jacket", "puffer jacket", "jacket"],
           {"nylon": 1}, {"regular": 2, "relaxed": 1}, {1: 2, 2: 5}, 79, sleeves={3: 1},
           details=("diamond quilting", "a stand collar", "snap pockets")),
        _s("gilet", 1, "Quilted Gilet", ["gilet", "body warmer", "vest"], {"nylon": 1},
           {"regular": 1}, {1: 2, 2: 5}, 59, sleeves={0: 1},
           details=("a stand collar", "zip pockets", "a padded lining")),
        _s("field", 2, "Field Jacket", ["field jacket", "utility jacket", "jacket"],
           {"cotton canvas": 2, "waxed cotton": 1}, {"regular": 2, "relaxed": 2}, {2: 1}, 99,
           patterns={"plain": 1}, sleeves={3: 1},
           details=("four flap pockets", "a drawstring waist", "a corduroy collar")),
    ],
    "coat": [
        _s("trench", 4, "Trench Coat", ["trench coat", "trench", "mac", "coat"],
           {"cotton gabardine": 1}, {"regular": 3, "relaxed": 1}, {3: 5, 4: 4}, 149, sleeves={3: 1},
           details=("a double-breasted front", "a storm flap", "a self-tie belt")),
        _s("overcoat", 4, "Wool Overcoat", ["overcoat", "topcoat", "coat", "wool coat"],
           {"wool": 2, "wool blend": 3, "cashmere blend": 1}, {"tailored": 3, "regular": 2, "oversized": 1},
           {3: 3, 4: 6, 5: 2}, 189, patterns={"plain": 8, "checked": 2}, sleeves={3: 1},
           details=("notch lapels", "a single-breasted front", "a back vent")),
        _s("peacoat", 2, "Peacoat", ["peacoat", "pea coat", "reefer coat", "coat"],
           {"wool": 1}, {"tailored": 2, "regular": 1}, {3: 1}, 159, sleeves={3: 1},
           details=("a double-breasted front", "anchor buttons", "broad lapels")),
        _s("parka", 3, "Parka", ["parka", "hooded coat", "coat"], {"technical nylon": 2, "cotton blend": 1},
           {"regular": 2, "relaxed": 2}, {2: 1}, 139, sleeves={3: 1},
           details=("a faux-fur-trimmed hood", "a two-way zip", "storm cuffs")),
        _s("puffer", 2, "Puffer Coat", ["puffer coat", "down coat", "padded coat", "coat"],
           {"nylon": 1}, {"relaxed": 2, "oversized": 1}, {2: 1}, 129, sleeves={3: 1},
           details=("channel quilting", "a high funnel neck", "a detachable hood")),
        _s("duffle", 1, "Duffle Coat", ["duffle coat", "toggle coat", "coat"], {"wool blend": 1},
           {"regular": 1}, {2: 3, 3: 3}, 149, patterns={"plain": 4, "checked": 1}, sleeves={3: 1},
           details=("horn toggles", "a hood", "patch pockets")),
        _s("swing", 1, "Swing Coat", ["swing coat", "coat"], {"wool blend": 1}, {"a-line": 1},
           {3: 2, 4: 3}, 169, sleeves={2: 2, 3: 1},
           details=("a collarless neckline", "a flared back", "hidden press studs")),
    ],
}


def _build_synonyms() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        seen: list[str] = [kind]
        for st in STYLES[kind]:
            for n in st.nouns:
                if n not in seen:
                    seen.append(n)
        out[kind] = seen
    return out


#: Each kind and the synonyms used for it in names and descriptions (first entry: the kind itself).
KIND_SYNONYMS: dict[str, list[str]] = _build_synonyms()


BASE_FAMILY_WEIGHTS: dict[str, float] = {
    "blue": 17, "black": 10, "white": 6, "grey": 8, "beige": 7, "brown": 6, "red": 7, "pink": 7,
    "green": 8, "purple": 5, "teal": 4, "orange": 4, "yellow": 4,
}
KIND_FAMILY_FACTORS: dict[str, dict[str, float]] = {
    "polo shirt": {"blue": 1.5, "white": 1.3, "pink": 0.7, "brown": 0.5},
    "t-shirt": {"white": 1.6, "black": 1.3},
    "shirt": {"white": 1.8, "blue": 1.3, "brown": 0.5, "orange": 0.5},
    "dress": {"black": 1.3, "red": 1.4, "pink": 1.3, "brown": 0.6},
    "skirt": {"black": 1.3, "pink": 1.2, "brown": 0.8},
    "trousers": {"black": 1.6, "grey": 1.5, "beige": 1.8, "brown": 1.3, "pink": 0.4,
                 "yellow": 0.3, "orange": 0.3, "purple": 0.5, "teal": 0.5},
    "shorts": {"beige": 1.6, "blue": 1.2, "purple": 0.5},
    "heels": {"black": 2.0, "red": 1.6, "beige": 1.6, "pink": 1.3, "green": 0.5, "teal": 0.5},
    "flats": {"black": 1.8, "beige": 1.6, "brown": 1.6, "teal": 0.5},
    "sneakers": {"white": 3.0, "black": 1.5, "grey": 1.4, "brown": 0.5},
    "jacket": {"black": 1.5, "brown": 1.6, "beige": 1.3, "pink": 0.5, "yellow": 0.5},
    "coat": {"black": 1.6, "grey": 1.6, "beige": 2.0, "brown": 1.6, "pink": 0.4, "yellow": 0.4,
             "orange": 0.5, "teal": 0.5},
}


OCCASION: dict[int, tuple[str, ...]] = {
    1: ("made for lounging and the gym", "an athleisure staple for lazy days",
        "built for workouts and downtime", "ready for the gym or a lie-in",
        "sporty and comfortable for off-duty days"),
    2: ("an easy everyday piece", "made for relaxed weekends", "a casual everyday staple",
        "perfect for weekend errands", "laid-back enough for every day"),
    3: ("smart enough for dinner out", "a smart-casual go-to", "easy to dress up or down",
        "polished but relaxed", "smart without trying too hard"),
    4: ("office-ready", "sharp enough for the office", "made for the working week",
        "a boardroom-ready staple", "smart enough for client meetings"),
    5: ("made for evening occasions", "an evening-ready statement", "ready for black-tie events",
        "for weddings, galas and formal evenings", "dressed up for evening"),
}
SLEEVE_NP: dict[int, tuple[str, ...]] = {
    0: ("a sleeveless cut", "no sleeves", "a sleeveless body"),
    1: ("short sleeves", "short sleeves", "short set-in sleeves"),
    2: ("three-quarter sleeves", "elbow-length sleeves", "3/4-length sleeves"),
    3: ("long sleeves", "long sleeves", "full-length sleeves"),
}
SLEEVE_ADJ: dict[int, tuple[str, ...]] = {
    0: ("sleeveless",), 1: ("short-sleeved", "short-sleeve"),
    2: ("three-quarter-sleeve", "elbow-sleeve"), 3: ("long-sleeved", "long-sleeve"),
}
SLEEVE_TITLE: dict[int, str] = {0: "Sleeveless", 1: "Short-Sleeve", 2: "Three-Quarter-Sleeve",
                                 3: "Long-Sleeve"}
DRESS_LENGTH_ADJ: dict[int, tuple[str, ...]] = {
    1: ("mini", "short", "thigh-skimming"), 2: ("above-the-knee", "above-knee", "short"),
    3: ("knee-length", "knee-grazing"), 4: ("midi", "calf-length", "mid-calf"),
    5: ("maxi", "floor-length", "ankle-length"),
}
DRESS_LENGTH_FALL: dict[int, tuple[str, ...]] = {
    1: ("upper thigh", "high on the thigh"), 2: ("just above the knee",),
    3: ("the knee",), 4: ("mid-calf", "the calf"), 5: ("the ankle", "the floor"),
}
DRESS_LENGTH_TITLE: dict[int, str] = {1: "Mini", 2: "Above-Knee", 3: "Knee-Length", 4: "Midi",
                                       5: "Maxi"}
LEG_LENGTH_ADJ: dict[int, tuple[str, ...]] = {
    1: ("short", "mini", "high-cut"), 2: ("mid-thigh", "mid-length"),
    3: ("knee-length", "bermuda-length", "longline"),
    4: ("cropped", "ankle-length", "ankle-grazing", "7/8-length"), 5: ("full-length",),
}
LEG_LENGTH_SENTENCE: dict[int, tuple[str, ...]] = {
    1: ("The leg is cut short, high on the thigh.", "A short inseam shows plenty of leg."),
    2: ("The hem falls to mid-thigh.", "A mid-length leg hits mid-thigh."),
    3: ("The hem sits just above the knee.", "A longer, knee-length leg."),
    4: ("The hem is cropped to sit above the ankle.", "Cropped to show a flash of ankle."),
    5: ("The leg runs full length to the shoe.", "A full-length leg breaks over the shoe."),
}
LEG_LENGTH_TITLE: dict[int, str] = {1: "Short", 2: "Mid-Thigh", 3: "Knee-Length", 4: "Cropped",
                                     5: ""}
FIT_ADJ: dict[str, tuple[str, ...]] = {
    "slim": ("slim-fit", "slim"), "regular": ("regular-fit", "classic-fit"),
    "relaxed": ("relaxed", "relaxed-fit", "loose"), "oversized": ("oversized", "boxy"),
    "a-line": ("A-line",), "straight": ("straight-leg", "straight"), "wide-leg": ("wide-leg",),
    "tapered": ("tapered",), "flared": ("flared",), "bodycon": ("bodycon", "figure-hugging"),
    "pencil": ("pencil",), "fit-and-flare": ("fit-and-flare",), "shift": ("shift",),
    "wrap": ("wrap",), "tailored": ("tailored",), "narrow": ("narrow-fit",),
    "wide fit": ("wide-fit",),
}
FIT_NOUN: dict[str, tuple[str, ...]] = {
    "slim": ("slim", "close"), "regular": ("regular", "classic"), "relaxed": ("relaxed", "loose"),
    "oversized": ("oversized", "boxy"), "tailored": ("tailored",), "a-line": ("A-line",),
}
FIT_SENTENCE: dict[str, tuple[str, ...]] = {
    "slim": ("Cut slim through the body.", "A slim, close fit."),
    "regular": ("A regular fit that is neither tight nor loose.", "Classic regular fit."),
    "relaxed": ("A relaxed fit with room to move.", "Cut loose and relaxed."),
    "oversized": ("An oversized, boxy fit.", "Deliberately oversized."),
    "a-line": ("An A-line shape skims the hips.", "Cut in a flattering A-line."),
    "straight": ("A straight cut from hip to hem.", "Straight through the leg."),
    "wide-leg": ("A wide, swishy leg.", "Cut with a generous wide leg."),
    "tapered": ("Tapered towards the hem.", "A tapered leg narrows at the ankle."),
    "flared": ("Flares out from the waist.", "A flared, swingy shape."),
    "bodycon": ("A figure-hugging bodycon fit.", "Close-fitting and bodycon."),
    "pencil": ("A slim pencil shape.", "Cut in a sleek pencil silhouette."),
    "fit-and-flare": ("Fitted at the waist, flared below.", "A fit-and-flare silhouette."),
    "shift": ("A simple shift shape that skims the body.", "Cut in an easy shift shape."),
    "wrap": ("A wrap design ties at the waist.", "Wraps and ties for an adjustable fit."),
    "tailored": ("Sharply tailored.", "A tailored, structured fit."),
    "narrow": ("A narrow fitting.", "Runs narrow."),
    "wide fit": ("A wide fitting for comfort.", "Available in a wide fit."),
}
PATTERN_ADJ: dict[str, tuple[str, ...]] = {
    "plain": ("",), "striped": ("striped ", "stripe "), "checked": ("checked ", "check "),
    "floral": ("floral ", "floral-print "), "polka-dot": ("polka-dot ", "spotted "),
}
PATTERN_SENTENCE: dict[str, tuple[str, ...]] = {
    "plain": ("",), "striped": ("Finished with tonal stripes.", "Woven with stripes."),
    "checked": ("In a tonal check.", "A classic check pattern."),
    "floral": ("Printed with small flowers.", "Covered in a floral print."),
    "polka-dot": ("Dotted with polka dots.", "Scattered with spots."),
}


def with_article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def format_cm(h: float) -> str:
    return f"{h:.1f}".rstrip("0").rstrip(".")
