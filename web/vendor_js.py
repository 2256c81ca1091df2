"""Copy the QR decoder (npm ``jsqr``) and its licence from node_modules into static/vendor/.

Run after ``npm ci`` when package.json changes: ``python -m web.vendor_js``. The copies are
committed, so nothing runs npm when the service is installed or served.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "jsqr": [("dist/jsQR.js", "jsQR.js"), ("LICENSE", "jsQR.LICENSE.txt")],
}


def vendor_packages(root: Path = ROOT) -> list[Path]:
    target = root / "static" / "vendor"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for package, files in FILES.items():
        source = root / "node_modules" / package
        version = json.loads((source / "package.json").read_text())["version"]
        for src, dst in files:
            shutil.copyfile(source / src, target / dst)
            written.append(target / dst)
        (target / f"{package}.VERSION").write_text(version + "\n")
    return written


if __name__ == "__main__":
    for path in vendor_packages():
        print(path.relative_to(ROOT))
    sys.exit(0)
