"""The font of every rendered document and stamp: Noto Sans, which has every Vietnamese glyph.

The system's copy (Debian/Ubuntu package fonts-noto-core) is used; the project ships no font
file. DejaVu also has the glyphs but pyhanko draws it with wide spacing in stamps.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from core.errors import HocbaError
from core.i18n import _

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
REGULAR = "NotoSans-Regular.ttf"
BOLD = "NotoSans-Bold.ttf"


@cache
def font_path(name: str = REGULAR) -> Path:
    for directory in FONT_DIRS:
        if (directory / name).is_file():
            return directory / name
    raise HocbaError(
        _(
            "Thiếu phông chữ {name}: cài gói fonts-noto-core (apt-get install fonts-noto-core)."
        ).format(name=name)
    )


# Latin with every Vietnamese letter (precomposed, so no glyph positioning tables are needed),
# digits and punctuation: what a stamp writes.
_STAMP_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
]


@cache
def stamp_font_path() -> Path:
    """A small Vietnamese subset of Noto Sans for pyhanko's stamps, made once per process.

    pyhanko subsets the stamp font at every signature; on the full Noto Sans that means
    decompiling its large layout tables each time (~270 ms a signature). On this subset,
    without layout tables, it costs a few milliseconds.
    """
    from fontTools import subset

    target = Path(tempfile.gettempdir()) / f"hocba-stamp-font-{os.getuid()}.ttf"
    if not target.exists():
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF"]
        font = subset.load_font(str(font_path()), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=_STAMP_UNICODES)
        subsetter.subset(font)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        subset.save_font(font, str(partial), options)
        partial.replace(target)  # atomic: parallel workers never read a half-written font
    return target


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
