"""The settings tree (config/): every field keeps its flat REGISTRY_ name, is documented, and is read by
typed attribute; no package reads a registry setting back from ``app.config`` by string key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from config import FLAT_NAMES, GROUPS, PREFIX, ConfigError, load_settings, reference, settings_of

ROOT = Path(__file__).resolve().parent.parent
# where a registry setting may be named as a string key: the tree itself and the factory that fills app.config
ALLOWED = {"config", "app.py"}
NOT_SCANNED = {"tests", "node_modules", "instance"}  # and every dot folder: .git, .venv, .venv-3.13, ...
# a registry setting read by string key: config["X"], config.get("X"), c["X"], app.config.setdefault("X"...
STRING_READ = re.compile(
    r"""(?:\[\s*|\.(?:get|setdefault|pop)\(\s*)["']({})["']""".format("|".join(sorted(FLAT_NAMES)))
)


def string_key_reads(root: Path) -> list[str]:
    """``path:line: code`` of each read of a registry setting by string key outside the tree, skipping the
    environment (``os.environ["REGISTRY_X"]`` is how a bench hands a setting to a server it starts)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        top = rel.parts[0]
        if top.startswith(".") or top in NOT_SCANNED or top in ALLOWED or str(rel) in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STRING_READ.search(line) and "environ" not in line:
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


def template_reads(root: Path) -> list[str]:
    """``config['X']`` or ``config.X`` in a template, for a registry setting (templates read ``settings``)."""
    names = "|".join(sorted(FLAT_NAMES))
    pattern = re.compile(rf"""\bconfig(?:\[\s*["']({names})["']|\.({names})\b)""")
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted((root / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def test_no_package_reads_a_setting_by_string_key() -> None:
    found = string_key_reads(ROOT) + template_reads(ROOT)
    assert not found, (
        "read the typed group instead (config.settings_of(app).<group>.<field>, or the group init_app got): "
        + "; ".join(found)
    )


def test_no_test_sets_a_setting_in_app_config() -> None:
    """``app.config["X"] = ...`` or ``monkeypatch.setitem(app.config, "X", ...)`` would change nothing the
    packages read: a test would pass without trying what it says. Tests set the tree's attribute."""
    pattern = re.compile(
        r"""\.config(?:\[\s*["']({0})["']\]\s*=[^=]|,\s*["']({0})["'])""".format("|".join(FLAT_NAMES))
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "monkeypatch.setattr(settings_of(app).<group>, <field>, value) instead: " + "; ".join(
        found
    )


def test_the_string_key_check_finds_a_read(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "views.py").write_text(
        'limit = current_app.config.get("LABELS_DIRECT_LIMIT", 1000)\nc = app.config\nx = c["TLOG_ORIGIN"]\n'
        'os.environ["REGISTRY_TLOG_ORIGIN"] = "x"\n'
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "__init__.py").write_text('values["TLOG_ORIGIN"] = 1\n')
    assert [line.split(":")[:2] for line in string_key_reads(tmp_path)] == [
        ["pkg/views.py", "1"],
        ["pkg/views.py", "3"],
    ]
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "scan.html").write_text(
        '<div data-host="{{ config[\'PUBLIC_BASE_URL\'] }}" data-x="{{ settings.core.public_base_url }}">\n'
    )
    assert [line.split(":")[:2] for line in template_reads(tmp_path)] == [["templates/scan.html", "1"]]


def sample(annotation: Any) -> tuple[str, Any]:
    """A value other than any default, as the environment spells it and as the tree holds it."""
    return {bool: ("off", False), int: ("7", 7)}.get(
        annotation, ("https://sample.example", "https://sample.example")
    )


@pytest.mark.parametrize("name", sorted(FLAT_NAMES))
def test_every_setting_is_read_from_its_flat_environment_name(name: str) -> None:
    group, field = FLAT_NAMES[name]
    annotation = GROUPS[group].model_fields[field].annotation
    text, value = sample(annotation)
    if name == "ENV":
        text, value = "testing", "testing"
    elif name == "LOG_FORMAT":
        text, value = "json", "json"
    elif name == "TRUSTED_PROXY_HOPS":
        text, value = "2", 2
    settings = load_settings(environ={PREFIX + name: text})
    assert getattr(getattr(settings, group), field) == value
    # an override with the same flat name wins over the environment
    overridden = load_settings({name: text}, environ={PREFIX + name: "not-a-value-of-any-type"})
    assert getattr(getattr(overridden, group), field) == value


def test_no_two_fields_share_a_flat_name() -> None:
    names = [str(info.alias) for model in GROUPS.values() for info in model.model_fields.values()]
    assert len(names) == len(set(names)) == len(FLAT_NAMES)


def test_a_wrong_value_names_the_variable_and_the_reason() -> None:
    with pytest.raises(
        ConfigError, match="REGISTRY_SIGNING_SCAN_FLUSH_MS must be a whole number, not 'soon'"
    ):
        load_settings(environ={"REGISTRY_SIGNING_SCAN_FLUSH_MS": "soon"})
    with pytest.raises(
        ConfigError, match="REGISTRY_TLOG_INTEGRATE_THREAD must be true or false, not 'maybe'"
    ):
        load_settings(environ={"REGISTRY_TLOG_INTEGRATE_THREAD": "maybe"})
    with pytest.raises(ConfigError, match="REGISTRY_SESSION_PORTAL_MAX_HOURS must be 1 or more, not 0"):
        load_settings({"SESSION_PORTAL_MAX_HOURS": 0}, environ={})


def test_every_setting_is_in_the_generated_reference() -> None:
    """docs/settings.md is generated from the tree; a field added without regenerating it fails here."""
    assert reference.main(["--check"]) == 0, "run python -m config.reference"
    text = reference.DOC.read_text(encoding="utf-8")
    missing = [name for name in FLAT_NAMES if f"`{PREFIX}{name}`" not in text]
    assert not missing
    undescribed = [
        str(i.alias) for m in GROUPS.values() for i in m.model_fields.values() if not i.description
    ]
    assert not undescribed


def test_the_app_holds_the_tree_and_only_flask_keys_in_its_config(app: Any) -> None:
    settings = settings_of(app)
    assert app.config["SECRET_KEY"] == settings.core.secret_key
    assert app.config["TESTING"] is True and settings.core.testing
    registry_only = set(FLAT_NAMES) - {"SECRET_KEY", "MAX_CONTENT_LENGTH"}
    assert not registry_only & set(app.config), sorted(registry_only & set(app.config))


def test_unknown_override_names_go_to_flask_config(tmp_path: Path) -> None:
    app = create_app(
        {
            "ENV": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "SEARCH_SYNC_THREAD": False,
            "SECRET_KEY_FALLBACKS": ["an-older-secret-key-still-accepted"],
        }
    )
    assert app.config["SECRET_KEY_FALLBACKS"] == ["an-older-secret-key-still-accepted"]
    assert settings_of(app).extra == {"SECRET_KEY_FALLBACKS": ["an-older-secret-key-still-accepted"]}
    app.extensions["core.db"].dispose()


def test_the_scan_page_hands_the_public_host_to_its_script(app: Any, client: Any) -> None:
    page = client.get("/scan", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'data-host="{settings_of(app).core.public_base_url}"' in page
