"""Printable courier badges: the courier's avatar, name and number around a QR code.

The QR code holds the plain link `<PUBLIC_URL>/s/<courier_code>`: WeChat's "scan an
ordinary link to open the mini-program" rule routes it into the mini-program, any other
scanner opens the H5 landing page (app/web). Nothing is ever drawn over the code.

The card is 600 x 900 px, tagged 300 dpi (50.8 x 76.2 mm), white, portrait.

Chinese text needs a CJK font on the machine (Debian: `fonts-noto-cjk`, or the smaller
`fonts-wqy-microhei` / `fonts-wqy-zenhei`). Without one the badge still renders: Pillow's
built-in font is used and the fixed Chinese labels fall back to English.
"""
from __future__ import annotations

import functools
import io
import logging
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont, ImageOps
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q

from app.models import Courier

log = logging.getLogger(__name__)

STATIC_ROOT = Path(__file__).resolve().parents[2] / "web" / "static"  # the app's own files, for avatars

# --- card geometry (px) -----------------------------------------------------------------
WIDTH, HEIGHT = 600, 900
DPI = 300
BAND_HEIGHT = 190          # brand band across the top
AVATAR_D = 190             # avatar diameter
AVATAR_RING = 8            # white ring around the avatar
AVATAR_CY = BAND_HEIGHT + 22
QR_TOP = 416               # top of the QR code, quiet zone included
QR_MAX = 380               # the QR code (quiet zone included) fits in QR_MAX x QR_MAX
QR_BORDER = 4              # quiet zone in modules (the spec's minimum; the card adds more)
MAX_AVATAR_PIXELS = 40_000_000  # refuse to decode larger avatars (memory)

BRAND = "#FF6A00"
BRAND_DARK = "#C2410C"
INK = "#1F2328"
MUTED = "#6B7280"
PLACEHOLDER_COLOURS = (
    "#F26B3A", "#2E86DE", "#10AC84", "#8E44AD", "#D4A017", "#16A2B8", "#D6456B", "#5D6D7E",
)

# --- fonts ----------------------------------------------------------------------------
# (path, face index inside a .ttc). First existing one wins; see find_cjk_font().
CJK_FONT_CANDIDATES: dict[str, tuple[tuple[str, int], ...]] = {
    "bold": (
        # Debian fonts-noto-cjk; face 2 of the collection is Simplified Chinese (SC)
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
        ("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),          # Arch
        ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc", 2),   # Fedora
    ),
    "regular": (
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # Debian fonts-noto-cjk
        ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),       # Arch
        ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Fedora
        ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),          # Debian fonts-wqy-microhei
        ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),            # Debian fonts-wqy-zenhei
        ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
        ("/System/Library/Fonts/STHeiti Medium.ttc", 0),                # macOS
        ("C:/Windows/Fonts/msyh.ttc", 0),                               # Windows
    ),
}


@functools.lru_cache(maxsize=None)
def find_cjk_font(bold: bool = False) -> tuple[str, int] | None:
    """(path, ttc index) of a font that renders Chinese, or None when there is none.

    Tries the known paths (bold ones first when asked), then asks fontconfig
    (`fc-list :lang=zh`) for any installed CJK face.
    """
    candidates = (CJK_FONT_CANDIDATES["bold"] if bold else ()) + CJK_FONT_CANDIDATES["regular"]
    for path, index in candidates:
        if os.path.isfile(path):
            return path, index
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, "-f", "%{file}|%{index}|%{style}\n", ":lang=zh"],
                capture_output=True, text=True, timeout=5, check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        faces = []
        for line in out.splitlines():
            path, _, rest = line.partition("|")
            index, _, style = rest.partition("|")
            if path and index.isdigit():
                faces.append((("bold" in style.lower()) != bold, path, int(index)))
        if faces:
            _, path, index = min(faces)
            return path, index
    return None


@functools.lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = find_cjk_font(bold)
    if found:
        try:
            return ImageFont.truetype(found[0], size, index=found[1])
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def _can_render(font, text: str) -> bool:
    """Does the font have a real glyph (not .notdef, "tofu") for every character?"""
    if not isinstance(font, ImageFont.FreeTypeFont):
        return text.isascii()
    tofu = bytes(font.getmask("\U0010ffff"))
    return all(ch.isspace() or bytes(font.getmask(ch)) != tofu for ch in text)


@functools.lru_cache(maxsize=1)
def _cjk_ok() -> bool:
    """Can the badge font draw Chinese? Warns once when it cannot (install fonts-noto-cjk)."""
    ok = _can_render(_font(24), "小哥工号微信扫码进店")
    if not ok:
        log.warning(
            "no CJK font found (Debian: apt-get install fonts-noto-cjk): badges use "
            "English labels and Chinese names will not render"
        )
    return ok


def _fit(text: str, max_width: int, size: int, min_size: int, bold: bool = False):
    """Shrink the font until the text fits; below min_size, cut the text with an ellipsis."""
    while size > min_size and _font(size, bold).getlength(text) > max_width:
        size -= 2
    font = _font(size, bold)
    if font.getlength(text) > max_width:
        while text and font.getlength(text + "…") > max_width:
            text = text[:-1]
        text += "…"
    return text, font


# --- pieces ------------------------------------------------------------------------------
def placeholder_colour(name: str) -> str:
    """The placeholder avatar colour for a name (stable: the badge and the H5 page agree)."""
    return PLACEHOLDER_COLOURS[zlib.crc32(name.encode("utf-8")) % len(PLACEHOLDER_COLOURS)]


def _circle_mask(size: int) -> Image.Image:
    """An anti-aliased circular alpha mask (drawn 4x larger, then scaled down)."""
    big = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, size * 4 - 1, size * 4 - 1), fill=255)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def placeholder_avatar(name: str, size: int = AVATAR_D) -> Image.Image:
    """An RGBA square: a coloured disc with the name's first character (or a silhouette)."""
    name = (name or "").strip()
    disc = Image.new("RGBA", (size, size), placeholder_colour(name))
    draw = ImageDraw.Draw(disc)
    initial = name[:1].upper()
    font = _font(int(size * 0.48), bold=True)
    if initial and _can_render(font, initial):
        draw.text((size / 2, size / 2), initial, font=font, fill="white", anchor="mm")
    else:  # a simple head-and-shoulders silhouette
        head = size * 0.18
        cx, cy = size / 2, size * 0.40
        draw.ellipse((cx - head, cy - head, cx + head, cy + head), fill="white")
        draw.ellipse((size * 0.22, size * 0.64, size * 0.78, size * 1.10), fill="white")
    disc.putalpha(_circle_mask(size))
    return disc


def _avatar_from_bytes(data: bytes | None, size: int) -> Image.Image | None:
    """The avatar cropped to a centred circle (RGBA), or None if the bytes are no image."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_AVATAR_PIXELS:
                return None
            img.draft("RGB", (size * 2, size * 2))  # JPEG: decode at reduced scale
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGBA")
            flat = Image.new("RGBA", img.size, "white")
            flat.alpha_composite(img)
            square = ImageOps.fit(flat, (size, size), Image.Resampling.LANCZOS)
    except Exception:  # noqa: BLE001 - any undecodable or hostile input means "no avatar"
        return None
    square.putalpha(_circle_mask(size))
    return square


def qr_image(data: str, max_size: int = QR_MAX) -> Image.Image:
    """A crisp black-on-white QR code (quiet zone included) no larger than max_size.

    Error correction Q (25 % recoverable: badges get scuffed), dropping to M only when
    the link is so long that Q would make the modules smaller than 4 px.
    """
    for level in (ERROR_CORRECT_Q, ERROR_CORRECT_M):
        qr = qrcode.QRCode(error_correction=level, border=QR_BORDER)
        qr.add_data(data)
        qr.make(fit=True)
        matrix = qr.get_matrix()  # quiet zone included
        n = len(matrix)
        box = max_size // n
        if box >= 4:
            break
    box = max(box, 1)
    small = Image.new("L", (n, n), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    return small.resize((n * box, n * box), Image.Resampling.NEAREST).convert("RGB")


# --- the badge ---------------------------------------------------------------------------
def render_badge(*, store_url: str, name: str, employee_no: str, avatar: bytes | None) -> bytes:
    """The printable badge as PNG bytes (600 x 900 px at 300 dpi).

    `avatar` is the avatar image file's bytes; None or undecodable bytes give a placeholder.
    """
    cjk = _cjk_ok()
    card = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(card)

    # Brand band, with a slightly darker stripe at its foot.
    draw.rectangle((0, 0, WIDTH, BAND_HEIGHT), fill=BRAND)
    draw.rectangle((0, BAND_HEIGHT - 6, WIDTH, BAND_HEIGHT), fill=BRAND_DARK)
    brand = "小哥 Xiaoge" if cjk else "Xiaoge"
    draw.text((WIDTH / 2, 44), brand, font=_font(38, bold=True), fill="white", anchor="mm")
    tagline = "货找人 · 你的社区小店" if cjk else "Your neighbourhood store"
    draw.text((WIDTH / 2, 82), tagline, font=_font(20), fill="#FFE8D6", anchor="mm")

    # Avatar in a white ring, straddling the band's edge.
    disc = _avatar_from_bytes(avatar, AVATAR_D) or placeholder_avatar(name, AVATAR_D)
    ring = AVATAR_D + 2 * AVATAR_RING
    rx, ry = (WIDTH - ring) // 2, AVATAR_CY - ring // 2
    draw.ellipse((rx - 1, ry - 1, rx + ring, ry + ring), fill="#E5E7EB")  # hairline shadow
    card.paste(Image.new("RGB", (ring, ring), "white"), (rx, ry), _circle_mask(ring))
    card.paste(disc, (rx + AVATAR_RING, ry + AVATAR_RING), disc)

    # Name and employee number.
    name_text, name_font = _fit((name or "").strip(), WIDTH - 80, 46, 26, bold=True)
    draw.text((WIDTH / 2, 354), name_text, font=name_font, fill=INK, anchor="mm")
    label = f"工号 {employee_no}" if cjk else f"No. {employee_no}"
    no_text, no_font = _fit(label, WIDTH - 80, 26, 16)
    draw.text((WIDTH / 2, 398), no_text, font=no_font, fill=MUTED, anchor="mm")

    # The QR code: pasted last in its own clear area; nothing is drawn over it.
    code = qr_image(store_url)
    card.paste(code, ((WIDTH - code.width) // 2, QR_TOP + (QR_MAX - code.height) // 2))

    # Call to action.
    if cjk:
        draw.text((WIDTH / 2, 818), "微信扫码进店", font=_font(32, bold=True), fill=INK, anchor="mm")
        draw.text((WIDTH / 2, 856), "Scan to shop", font=_font(22), fill=MUTED, anchor="mm")
    else:
        cta = _font(32, bold=True)
        draw.text((WIDTH / 2, 834), "Scan to shop", font=cta, fill=INK, anchor="mm")
    draw.rectangle((0, HEIGHT - 14, WIDTH, HEIGHT), fill=BRAND)

    out = io.BytesIO()
    card.save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def store_url(public_url: str, courier: Courier) -> str:
    return f"{public_url}/s/{courier.courier_code}"


def badge_png(courier: Courier, public_url: str) -> bytes:
    return render_badge(store_url=store_url(public_url, courier), name=courier.name,
                        employee_no=courier.employee_no, avatar=local_avatar(courier.avatar_url))


def local_avatar(avatar_url: str | None) -> bytes | None:
    """Avatar bytes when the URL points at the app's own static files; else None.

    The badge is rendered on request, so it never waits on a remote image host; a remote
    avatar prints as the placeholder.
    """
    prefix = "/web-static/"
    if not avatar_url or prefix not in avatar_url:
        return None
    relative = avatar_url.split(prefix, 1)[1]
    path = (STATIC_ROOT / relative).resolve()
    if STATIC_ROOT not in path.parents or not path.is_file():
        return None
    return path.read_bytes()
