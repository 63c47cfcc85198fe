"""The font of every rendered document and stamp: Noto Sans, which has every Vietnamese glyph.

It comes from PyPI (fontpkg-noto-sans, OFL), never from the machine, so a fresh install renders
the same documents everywhere. That package ships only the variable font; reportlab needs
static fonts, so Regular (wght 400) and Bold (wght 700) are cut from it on first use and kept
in the user's cache directory. DejaVu also has the glyphs but pyhanko draws it with wide
spacing in stamps.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from functools import cache
from importlib import resources
from io import BytesIO
from pathlib import Path

from core.errors import HocbaError
from core.i18n import _

REGULAR = "NotoSans-Regular.ttf"
BOLD = "NotoSans-Bold.ttf"
WEIGHTS = {REGULAR: 400, BOLD: 700}
_SOURCE = ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf")

# What the documents write: Latin with every Vietnamese letter (precomposed, so no glyph
# positioning tables are needed), digits, punctuation, the đồng and euro signs, №, arrows and
# the few mathematical signs a mark or a range may need. Everything else is cut, which is what
# makes the static cuts fast to build and pyhanko's per-signature subsetting cheap.
_UNICODES = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),  # Latin-1, Latin Extended-A/B: Ă Đ Ĩ Ũ Ơ Ư
    *range(0x300, 0x370),  # combining marks
    *range(0x1E00, 0x1F00),  # Latin Extended Additional: ạ ả ấ ầ ẩ ẫ ậ … ỹ
    *range(0x2000, 0x2070),  # – — ‘ ’ “ ” • … ‰ ′ ″
    *range(0x20A0, 0x20C1),  # ₫ €
    0x2116,  # №
    0x2122,  # ™
    *range(0x2190, 0x2196),  # ← ↑ → ↓ ↔ ↕
    0x2212,  # −
    0x2264,  # ≤
    0x2265,  # ≥
)


def cache_dir() -> Path:
    """Where the static cuts are kept: $XDG_CACHE_HOME/hocba/fonts, else ~/.cache/hocba/fonts."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hocba" / "fonts"


@cache
def _static_fonts() -> dict[str, Path]:
    """The static Regular and Bold, built once per user and source font.

    The file names carry a hash of the source font and of the recipe, so a new
    fontpkg-noto-sans (or a new character list) gets new files instead of stale ones. Worker
    processes starting together wait on a lock rather than all building the same files, and
    each file appears by an atomic rename, so a reader never sees half of one.
    """
    source = resources.files(_SOURCE[0]).joinpath(_SOURCE[1]).read_bytes()
    recipe = repr((_UNICODES, sorted(WEIGHTS.items()))).encode()
    key = hashlib.sha256(source + recipe).hexdigest()[:16]
    directory = cache_dir()
    targets = {name: directory / f"{Path(name).stem}-{key}.ttf" for name in WEIGHTS}
    if all(path.is_file() for path in targets.values()):
        return targets
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not all(path.is_file() for path in targets.values()):
                _build(source, targets)
    except OSError as exc:
        raise HocbaError(
            _(
                "Không ghi được phông chữ vào thư mục {path} ({error}). Đặt biến môi trường "
                "XDG_CACHE_HOME trỏ tới một thư mục mà tài khoản chạy chương trình ghi được."
            ).format(path=directory, error=exc)
        ) from exc
    return targets


def _build(source: bytes, targets: dict[str, Path]) -> None:
    """Subset the variable font first (instancing the full font takes ~6 times longer), without
    layout tables, then instantiate each weight at normal width."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    options.name_IDs = ["*"]  # the STAT names that give each cut its own family and style names
    font = TTFont(BytesIO(source))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_UNICODES)
    subsetter.subset(font)
    subsetted = BytesIO()
    font.save(subsetted)
    for name, weight in WEIGHTS.items():
        variable = TTFont(BytesIO(subsetted.getvalue()))
        static = instantiateVariableFont(
            variable, {"wght": weight, "wdth": 100}, updateFontNames=True
        )
        target = targets[name]
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            static.save(str(partial))
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)


def font_path(name: str = REGULAR) -> Path:
    """The static Noto Sans file `name` (REGULAR or BOLD), built on first use."""
    return _static_fonts()[name]


def stamp_font_path() -> Path:
    """The font of pyhanko's stamps: the Regular cut.

    pyhanko subsets the stamp font at every signature; on the full Noto Sans that meant
    decompiling its large layout tables each time (~270 ms a signature). On this subset,
    without layout tables, it costs a few milliseconds.
    """
    return font_path(REGULAR)


@cache
def register_reportlab_fonts() -> tuple[str, str]:
    """Register Noto Sans regular and bold with reportlab once; returns their names.

    Also turns off reportlab's ASCII85 wrapping of streams: PDF takes binary streams, and the
    wrapping made every record a quarter larger and slower to write.
    """
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont("NotoSans", str(font_path(REGULAR))))
    pdfmetrics.registerFont(TTFont("NotoSans-Bold", str(font_path(BOLD))))
    return "NotoSans", "NotoSans-Bold"
