"""The sample catalog's images: a 224x224 flat silhouette of each item filled with its colour,
drawn from the row's ground truth (kind, style, fit, sleeve, length, heel, pattern)."""

import io
import math
from typing import Sequence

from .vocabulary import STYLES


IMAGE_SIZE = 224
WHITE = (255, 255, 255)


Point = tuple[float, float]


def _shade(rgb: Sequence[int], f: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(round(v * f)))) for v in rgb)  # type: ignore[return-value]


def _tint(rgb: Sequence[int], f: float) -> tuple[int, int, int]:
    return tuple(int(round(v + (255 - v) * f)) for v in rgb)  # type: ignore[return-value]


def _mirror(pts: Sequence[Point]) -> list[Point]:
    return [(IMAGE_SIZE - 1 - x, y) for x, y in pts]


class _Canvas:
    """Draws filled shapes on the image and on a mask (for pattern overlays), outlines after."""

    def __init__(self, rgb: tuple[int, int, int], lightness: float) -> None:
        from PIL import Image, ImageDraw

        self.rgb = rgb
        self.img = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), WHITE)
        self.mask = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
        self.d = ImageDraw.Draw(self.img)
        self.m = ImageDraw.Draw(self.mask)
        if lightness > 85:
            self.line, self.line_w = (150, 150, 150), 1
        else:
            self.line, self.line_w = _shade(rgb, 0.7), 2
        self.pattern_rgb = _shade(rgb, 0.6) if lightness > 55 else _tint(rgb, 0.45)
        self.shapes: list[tuple[str, object]] = []

    def poly(self, pts: Sequence[Point], fill: tuple[int, int, int] | None = None,
             pattern: bool = True) -> None:
        self.d.polygon(list(pts), fill=fill or self.rgb)
        if pattern and fill is None:
            self.m.polygon(list(pts), fill=255)
        self.shapes.append(("poly", list(pts)))

    def ellipse(self, box: Sequence[float], fill: tuple[int, int, int] | None = None,
                pattern: bool = True) -> None:
        self.d.ellipse(list(box), fill=fill or self.rgb)
        if pattern and fill is None:
            self.m.ellipse(list(box), fill=255)
        self.shapes.append(("ellipse", list(box)))

    def cut(self, pts: Sequence[Point]) -> None:
        """White cut-out (neckline), no outline of its own."""
        self.d.polygon(list(pts), fill=WHITE)
        self.m.polygon(list(pts), fill=0)

    def cut_ellipse(self, box: Sequence[float]) -> None:
        self.d.ellipse(list(box), fill=WHITE)
        self.m.ellipse(list(box), fill=0)

    def apply_pattern(self, pattern: str, vertical: bool = False) -> None:
        from PIL import Image, ImageChops, ImageDraw

        if pattern == "plain":
            return
        pm = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
        pd = ImageDraw.Draw(pm)
        s = IMAGE_SIZE
        if pattern == "striped":
            for p in range(4, s, 16):
                if vertical:
                    pd.rectangle([p, 0, p + 3, s], fill=255)
                else:
                    pd.rectangle([0, p, s, p + 4], fill=255)
        elif pattern == "checked":
            for p in range(6, s, 22):
                pd.rectangle([p, 0, p + 3, s], fill=255)
                pd.rectangle([0, p, s, p + 3], fill=255)
        elif pattern == "polka-dot":
            for j, y in enumerate(range(6, s, 18)):
                for x in range(6 + (9 if j % 2 else 0), s, 18):
                    pd.ellipse([x - 3, y - 3, x + 3, y + 3], fill=255)
        elif pattern == "floral":
            for j, y in enumerate(range(10, s, 28)):
                for x in range(10 + (14 if j % 2 else 0), s, 28):
                    for k in range(5):
                        a = 2 * math.pi * k / 5
                        px, py = x + 4 * math.cos(a), y + 4 * math.sin(a)
                        pd.ellipse([px - 2.5, py - 2.5, px + 2.5, py + 2.5], fill=255)
        pm = ImageChops.multiply(pm, self.mask)
        layer = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), self.pattern_rgb)
        self.img.paste(layer, (0, 0), pm)

    def outline(self) -> None:
        for kind, geom in self.shapes:
            if kind == "poly":
                self.d.polygon(geom, outline=self.line, width=self.line_w)  # type: ignore[arg-type]
            else:
                self.d.ellipse(geom, outline=self.line, width=self.line_w)  # type: ignore[arg-type]

    def line_(self, pts: Sequence[Point], width: int | None = None) -> None:
        self.d.line(list(pts), fill=self.line, width=width or self.line_w)

    def dot(self, x: float, y: float, r: float = 2.5) -> None:
        self.d.ellipse([x - r, y - r, x + r, y + r], fill=self.line)


_FIT_HALF_WIDTH = {"slim": 42, "regular": 46, "relaxed": 50, "oversized": 56, "tailored": 46,
                   "a-line": 46}


def _sleeve_poly(shoulder: Point, armpit: Point, length: int, scale: float = 1.0) -> list[Point]:
    """A left sleeve from the shoulder/armpit line; length 1 short, 2 three-quarter, 3 long."""
    sx, sy = shoulder
    ax, ay = armpit
    # cuff (outer, inner) offsets relative to the shoulder point, scaled
    cuffs = {1: ((-30, 32), (-16, 54)), 2: ((-40, 96), (-18, 100)), 3: ((-44, 146), (-22, 150))}
    (ox, oy), (ix, iy) = cuffs[length]
    return [(sx, sy), (sx + ox * scale, sy + oy * scale), (sx + ix * scale, sy + iy * scale),
            (ax, ay)]


def _draw_top(cv: _Canvas, row: dict[str, str], style_key: str) -> None:
    kind = row["kind"]
    sleeve = int(row["sleeve_length"] or 1)
    hw = _FIT_HALF_WIDTH.get(row["fit"], 46)
    outer = kind in ("jacket", "coat")
    top, hem = 40, 196
    if kind == "jacket":
        hem = 178 if style_key in ("bomber", "leather", "denim", "suede") else 190
    if kind == "coat":
        top, hem = 22, 218
        hw -= 2
    cx = IMAGE_SIZE // 2
    left, right = cx - hw, cx + hw
    flare = 10 if row["fit"] in ("a-line",) or kind == "coat" else 0
    neck_w = 20
    body = [(left, top + 4), (cx - neck_w, top - 8), (cx + neck_w, top - 8), (right, top + 4),
            (right + flare, hem), (left - flare, hem)]
    if sleeve == 0:
        body = [(left + 12, top), (cx - neck_w, top - 8), (cx + neck_w, top - 8), (right - 12, top),
                (right - 6, top + 30), (right, top + 46), (right + flare, hem), (left - flare, hem),
                (left, top + 46), (left + 6, top + 30)]
    else:
        sl = _sleeve_poly((left + 2, top + 4), (left + 2, top + 48), sleeve,
                          scale=min(1.12, (hem - top) / 156) if outer else 1.0)
        cv.poly(sl)
        cv.poly(_mirror(sl))
    cv.poly(body)
    # neckline
    if kind == "t-shirt" and style_key == "vneck":
        cv.cut([(cx - neck_w + 4, top - 9), (cx + neck_w - 4, top - 9), (cx, top + 24)])
    elif kind in ("t-shirt",) or (kind == "shirt" and style_key == "blouse"):
        cv.cut_ellipse([cx - neck_w + 2, top - 22, cx + neck_w - 2, top + 10])
    elif outer and style_key not in ("bomber", "quilted", "gilet", "parka", "puffer", "swing"):
        cv.cut([(cx - neck_w + 2, top - 9), (cx + neck_w - 2, top - 9), (cx, top + 58)])
    else:
        cv.cut_ellipse([cx - neck_w + 4, top - 20, cx + neck_w - 4, top + 4])
    cv.apply_pattern(row["pattern"])
    cv.outline()
    # details: collar, placket, buttons
    if kind in ("polo shirt", "shirt") and style_key != "blouse":
        collar_l = [(cx - neck_w + 2, top - 10), (cx - 2, top + 8), (cx - 14, top + 20),
                    (cx - neck_w - 8, top + 6)]
        for pts in (collar_l, _mirror(collar_l)):
            cv.d.polygon(pts, fill=cv.rgb, outline=cv.line, width=cv.line_w)
        plack_end = top + 44 if kind == "polo shirt" else hem - 4
        cv.line_([(cx, top + 10), (cx, plack_end)])
        step = 14 if kind == "polo shirt" else 24
        for y in range(top + 18, plack_end - 4, step):
            cv.dot(cx + 4, y, 2)
    elif outer:
        cv.line_([(cx, top + 56 if style_key not in ("bomber", "quilted", "gilet", "parka", "puffer", "swing") else top + 2), (cx, hem)])
        if style_key in ("bomber", "quilted", "puffer", "gilet"):
            cv.line_([(left - flare + 1, hem - 12), (right + flare - 1, hem - 12)])
            if style_key in ("quilted", "puffer", "gilet"):
                inset = 8 if sleeve == 0 else 0
                for y in range(top + 30, hem - 12, 24):
                    cv.line_([(left + inset, y), (right - inset, y)], width=1)
        else:
            for y in range(top + 70, hem - 20, 30):
                cv.dot(cx + 6, y, 3)
            lapel = [(cx - neck_w + 2, top - 8), (cx - 2, top + 56), (cx - 22, top + 30)]
            cv.d.polygon(lapel, outline=cv.line, width=cv.line_w)
            cv.d.polygon(_mirror(lapel), outline=cv.line, width=cv.line_w)


def _draw_dress(cv: _Canvas, row: dict[str, str]) -> None:
    length = int(row["length"] or 3)
    sleeve = int(row["sleeve_length"] or 0)
    cx = IMAGE_SIZE // 2
    top, waist = 14, 80
    hem = {1: 112, 2: 138, 3: 164, 4: 190, 5: 216}[length]
    fit = row["fit"]
    bw = 30  # bodice half width
    hem_hw = {"bodycon": 30, "slim": 34, "shift": 38, "wrap": 48, "relaxed": 44, "regular": 42,
              "oversized": 50, "a-line": 52, "fit-and-flare": 60}.get(fit, 46)
    hem_hw = hem_hw + (length - 1) * (6 if hem_hw > 40 else 1)
    if sleeve:
        sl = _sleeve_poly((cx - bw - 4, top + 6), (cx - bw, top + 36), sleeve, scale=0.8)
        cv.poly(sl)
        cv.poly(_mirror(sl))
        shoulder = [(cx - bw - 4, top + 6), (cx - 12, top), (cx + 12, top), (cx + bw + 4, top + 6)]
    else:
        shoulder = [(cx - bw + 6, top + 6), (cx - 16, top), (cx - 10, top + 14), (cx + 10, top + 14),
                    (cx + 16, top), (cx + bw - 6, top + 6)]
    waist_hw = bw - 6 if fit not in ("shift", "relaxed", "oversized") else bw
    body = shoulder + [(cx + bw, top + 36), (cx + waist_hw, waist), (cx + hem_hw, hem),
                       (cx - hem_hw, hem), (cx - waist_hw, waist), (cx - bw, top + 36)]
    cv.poly(body)
    if sleeve:
        cv.cut_ellipse([cx - 14, top - 12, cx + 14, top + 12])
    cv.apply_pattern(row["pattern"])
    cv.outline()
    if fit in ("wrap",):
        cv.line_([(cx - waist_hw, waist), (cx + hem_hw * 0.6, hem)])
    if fit not in ("shift", "relaxed", "oversized", "bodycon"):
        cv.line_([(cx - waist_hw, waist), (cx + waist_hw, waist)])


def _draw_skirt(cv: _Canvas, row: dict[str, str]) -> None:
    length = int(row["length"] or 3)
    fit = row["fit"]
    cx = IMAGE_SIZE // 2
    top = 20
    hem = {1: 80, 2: 110, 3: 140, 4: 172, 5: 210}[length]
    wh = 36
    spread = {"pencil": 0.06, "slim": 0.12, "straight": 0.15, "wrap": 0.3, "a-line": 0.34,
              "flared": 0.42}.get(fit, 0.3)
    hem_hw = min(104.0, wh + (hem - top) * spread)
    if fit == "pencil":
        body = [(cx - wh, top), (cx + wh, top), (cx + wh + 6, (top + hem) / 2), (cx + hem_hw, hem),
                (cx - hem_hw, hem), (cx - wh - 6, (top + hem) / 2)]
    else:
        body = [(cx - wh, top), (cx + wh, top), (cx + hem_hw, hem), (cx - hem_hw, hem)]
    cv.poly(body)
    cv.apply_pattern(row["pattern"])
    cv.outline()
    cv.line_([(cx - wh, top + 10), (cx + wh, top + 10)])
    if row["material"] in ("chiffon",) or "Pleated" in row["name"]:
        for k in range(-3, 4):
            cv.line_([(cx + k * 9, top + 12), (cx + k * hem_hw / 4, hem - 2)], width=1)
    if fit == "wrap":
        cv.line_([(cx + wh * 0.5, top + 10), (cx - hem_hw * 0.3, hem)])


def _draw_legwear(cv: _Canvas, row: dict[str, str]) -> None:
    length = int(row["length"] or 5)
    fit = row["fit"]
    cx = IMAGE_SIZE // 2
    top = 10
    hem = {1: 80, 2: 104, 3: 134, 4: 182, 5: 214}[length]
    wh = 40  # half waist
    crotch = 70
    leg_hw = {"slim": 15, "tapered": 13, "straight": 19, "regular": 20, "relaxed": 23,
              "wide-leg": 30}.get(fit, 19)
    if length <= 3:
        leg_hw = {"slim": 19, "regular": 22, "relaxed": 25}.get(fit, 22) + (3 - length) * 2
    gap = 3
    inner_x = cx - gap - (4 if length >= 4 else 0)
    outer_x = inner_x - 2 * leg_hw
    left_leg = [(cx - wh, top), (cx, top), (cx, crotch - 2), (cx - gap, crotch + 4),
                (inner_x, hem), (outer_x, hem), (cx - wh - (4 if length <= 3 else 0), crotch)]
    cv.poly(left_leg)
    cv.poly(_mirror(left_leg))
    cv.apply_pattern(row["pattern"], vertical=True)
    cv.outline()
    cv.line_([(cx - wh, top + 10), (IMAGE_SIZE - 1 - (cx - wh), top + 10)])
    cv.line_([(cx, top + 10), (cx, crotch - 16)], width=1)
    if "cargo" in row["name"].lower():
        for pts in ([(outer_x + 4, crotch + 30), (outer_x + 24, crotch + 30)],):
            cv.d.rectangle([pts[0][0], pts[0][1], pts[1][0], pts[1][1] + 22], outline=cv.line, width=cv.line_w)


_GROUND = 194
_PX_PER_CM = 9.0


def _smoothstep(t: float) -> float:
    t = max(0.0, min(1.0, t))
    return t * t * (3 - 2 * t)


def _draw_shoe(cv: _Canvas, row: dict[str, str], style_key: str) -> None:
    """Side view, toe to the right. The heel (or sole, for sneakers) is heel_cm * 9 px tall."""
    kind = row["kind"]
    h = float(row["heel_cm"] or 0.0)
    hp = h * _PX_PER_CM
    g = _GROUND
    back, toe = 30, 200
    if kind == "heels":
        seat = g - hp  # underside of the heel seat
        platform = 14.0 if style_key == "platform" else 0.0
        ball_x = 150.0
        front = g - platform

        def sole_y(x: float) -> float:  # underside of the shoe body
            return seat + (front - seat) * _smoothstep((x - (back + 14)) / (ball_x - back - 14))

        heel_top, heel_bot, heel_off = {
            "stiletto": (16, 5, 4), "kitten": (14, 6, 8), "block": (24, 20, 2), "mid": (16, 9, 4),
            "platform": (24, 18, 2), "sandal": (16, 7, 4)}.get(style_key, (16, 8, 4))
        cv.poly([(back + 2, seat - 2), (back + 2 + heel_top, seat - 2),
                 (back + heel_off + heel_bot, g), (back + heel_off, g)])
        if platform:
            cv.poly([(ball_x - 24, front), (toe - 2, front), (toe - 6, g), (ball_x - 18, g)])
        top = [(back - 2, seat - 34), (back + 14, seat - 32)]
        for x in (back + 34.0, back + 60.0, ball_x - 40):
            top.append((x, sole_y(x) - (22 if x < ball_x - 45 else 18)))
        top += [(ball_x - 14, front - 26), (ball_x + 16, front - 24), (toe - 14, front - 16),
                (toe, front - 6), (toe - 2, front)]
        bottom = [(x, sole_y(x)) for x in (ball_x, ball_x - 20, ball_x - 40, ball_x - 60,
                                           ball_x - 80, back + 30, back + 14, back)]
        cv.poly(top + bottom)
        if style_key == "sandal":
            for k in range(3):
                x0 = back + 44 + k * 30
                y0 = sole_y(x0)
                cv.cut([(x0, y0 - 16), (x0 + 16, sole_y(x0 + 16) - 14), (x0 + 16, sole_y(x0 + 16) - 4),
                        (x0, y0 - 5)])
        cv.apply_pattern(row["pattern"])
        cv.outline()
        return
    if kind == "flats":
        sole_t = 4.0
        heel_px = max(hp, sole_t)
        sole_col = (222, 196, 150) if style_key == "espadrille" else _shade(cv.rgb, 0.78)
        if style_key == "espadrille":
            sole_t = heel_px = max(hp, 8.0)
        base = g - sole_t
        back_h = {"ballet": 28, "loafer": 38, "espadrille": 32, "sandal": 16, "mule": 0}.get(style_key, 28)
        vamp_h = {"ballet": 18, "loafer": 38, "espadrille": 30, "sandal": 22, "mule": 34}.get(style_key, 24)
        if style_key == "mule":
            top = [(back + 56, base - 12), (back + 80, base - vamp_h)]
        else:
            top = [(back, base - back_h - (heel_px - sole_t)), (back + 30, base - back_h + 6),
                   (back + 70, base - vamp_h + 2)]
        top += [(toe - 40, base - vamp_h), (toe - 14, base - 18), (toe, base - 6), (toe, base)]
        heel_end = back + 30
        bottom = [(heel_end + 14, base), (heel_end, g - heel_px), (back, g - heel_px)]
        if style_key == "mule":
            bottom = [(back, base), (back, base - 4)]
        cv.poly(top + bottom)
        if style_key == "sandal":
            cv.cut([(back + 40, base - 12), (back + 76, base - 14), (back + 76, base - 4),
                    (back + 40, base - 3)])
        cv.poly([(back, g - heel_px), (heel_end, g - heel_px), (heel_end + 14, base),
                 (toe, base), (toe - 2, g), (back + 1, g)], fill=sole_col, pattern=False)
        cv.apply_pattern(row["pattern"])
        cv.outline()
        if style_key == "loafer":
            cv.line_([(toe - 82, base - vamp_h + 2), (toe - 60, base - vamp_h + 6)])
        if style_key == "ballet":
            cv.dot(back + 84, base - vamp_h + 2, 4)
        return
    # sneakers: the sole is heel_cm * 9 px thick at the heel, the upper sits on top
    sole_back = hp
    sole_toe = max(7.0, hp * 0.45)
    upper_h = 78 if style_key == "hightop" else 56
    base_back = g - sole_back
    base_toe = g - sole_toe
    sole = [(back, base_back), (back + 70, base_back + (base_toe - base_back) * 0.15),
            (toe - 16, base_toe), (toe, base_toe + 2), (toe - 3, g), (back + 4, g)]
    upper = [(back + 2, base_back - upper_h), (back + 26, base_back - upper_h + 8),
             (back + 52, base_back - upper_h + 2), (back + 92, base_back - 34),
             (toe - 34, base_toe - 30), (toe - 10, base_toe - 20), (toe, base_toe - 6),
             (toe, base_toe + 1), (back + 70, base_back + (base_toe - base_back) * 0.15),
             (back, base_back)]
    cv.poly(upper)
    sole_col = (238, 238, 238) if float(row["lightness"]) < 90 else (200, 200, 200)
    cv.poly(sole, fill=sole_col, pattern=False)
    cv.apply_pattern(row["pattern"])
    cv.outline()
    if style_key != "slipon":
        for k in range(4):
            x = back + 62 + k * 12
            y = base_back - upper_h + 16 + k * 8
            cv.line_([(x, y), (x + 9, y + 5)], width=2)


def _style_key(row: dict[str, str]) -> str:
    kind, name = row["kind"], row["name"]
    for st in STYLES[kind]:
        if name.endswith(st.title):
            return st.key
    return STYLES[kind][0].key


def render_image(row: dict[str, str]) -> bytes:
    """PNG bytes of the item's 224x224 silhouette (deterministic for a given row)."""
    rgb = (int(row["color_r"]), int(row["color_g"]), int(row["color_b"]))
    cv = _Canvas(rgb, float(row["lightness"]))
    kind = row["kind"]
    key = _style_key(row)
    if kind in ("polo shirt", "t-shirt", "shirt", "jacket", "coat"):
        _draw_top(cv, row, key)
    elif kind == "dress":
        _draw_dress(cv, row)
    elif kind == "skirt":
        _draw_skirt(cv, row)
    elif kind in ("trousers", "shorts"):
        _draw_legwear(cv, row)
    else:
        _draw_shoe(cv, row, key)
    buf = io.BytesIO()
    cv.img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
