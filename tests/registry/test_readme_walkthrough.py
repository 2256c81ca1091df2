"""The README's curl walk-through, run verbatim against a live server: the whole workflow over HTTP with curl."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

from werkzeug.serving import make_server

from core.migrate import upgrade_database
from registry.accounts import hash_password
from registry.factories import UserFactory, bind_factories
from tests.conftest import app_settings
from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]


def readme_walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The API in curl", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_readme_curl_walkthrough(tmp_path):
    need(shutil.which("curl") and shutil.which("jq"), "needs curl and jq (apt-get install curl jq)")
    from app import create_app

    instance = tmp_path / "instance"
    app = create_app(
        app_settings(
            instance, f"sqlite:///{tmp_path / 'walk.sqlite3'}", PUBLIC_BASE_URL="http://127.0.0.1:5000"
        )
    )
    db = app.extensions["core.db"]
    upgrade_database(db.engine)
    s = db.session()
    bind_factories(s)
    UserFactory(
        email="reviewer@registry.demo",
        role="reviewer",
        is_owner=False,
        password_hash=hash_password("walk-through-pw"),
    )
    s.commit()
    s.close()
    (instance / "demo-credentials.txt").write_text(
        "reviewer     reviewer@registry.demo     walk-through-pw\n"
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = readme_walkthrough().replace(
            "http://127.0.0.1:5000", f"http://127.0.0.1:{server.server_port}"
        )
        script = script.split("# bulk import")[0]  # the last line needs a file of the reader's own
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        thread.join()
        db.dispose()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert (
        lines[:5] == ["verified", "registered", "submitted", "licensed", lines[4]] and lines[5] == "suspended"
    )
    assert lines[6:10] == ["product.suspend", "product.approve", "product.submitted", "product.created"]
    assert '"field":"name_en"' in lines[10]
