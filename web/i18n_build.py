"""Extract the pages' messages, merge them into the Bangla catalogue and compile it (no Makefile needed).

    python -m web.i18n_build            # extract → translations/messages.pot, update bn .po, compile .mo
    python -m web.i18n_build --compile  # only compile the .po files to .mo
    python -m web.i18n_build --check    # exit 1 when a message has no Bangla translation

The compiled ``.mo`` files are committed, so serving needs no build step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LOCALES = ("bn",)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
JINJA = "jinja2.ext:babel_extract"
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "silent": "false"}


def extract_messages(root: Path = ROOT, templates_only: tuple[str, ...] = ()) -> Catalog:
    """Every message of web/*.py, procurement/*.py, interop/*.py and templates/ (or only the named template folders)."""
    catalog = Catalog(project="mib-registry", charset="utf-8")
    sources: list[tuple[str, list[tuple[str, str]]]] = []
    if not templates_only:
        sources.append(("web", [("**.py", "python")]))
        sources.append(("core", [("error_codes.py", "python")]))  # the error messages (core.error_codes)
        sources.append(("procurement", [("**.py", "python")]))  # its pages' and PDF's words
        sources.append(("sms", [("**.py", "python")]))  # the SMS replies and the simulator's words
        sources.append(("interop", [("**.py", "python")]))  # the resolver's page for a malformed label
        sources.append(("templates", [("**.html", JINJA)]))
    else:
        sources += [
            (f"templates/{folder}" if folder else "templates", [("*.html", JINJA)])
            for folder in templates_only
        ]
    for folder, method_map in sources:
        options = {pattern: JINJA_OPTIONS for pattern, method in method_map if method == JINJA}
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root / folder), method_map, options, keywords=KEYWORDS, strip_comment_tags=True
        ):
            catalog.add(
                message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context
            )
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def update_catalogues(template: Catalog) -> None:
    TRANSLATIONS.mkdir(exist_ok=True)
    with open(TRANSLATIONS / "messages.pot", "wb") as f:
        write_po(f, template, omit_header=False, sort_output=True)
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as f:
                catalog = read_po(f, locale=locale)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=locale, project="mib-registry", charset="utf-8")
            catalog.update(template)
        with open(path, "wb") as f:
            write_po(f, catalog, sort_output=True, ignore_obsolete=True)


def compile_catalogues() -> None:
    for locale in LOCALES:
        with open(po_path(locale), "rb") as f:
            catalog = read_po(f, locale=locale)
        with open(po_path(locale).with_suffix(".mo"), "wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def missing_translations(locale: str = "bn", template: Catalog | None = None) -> list[str]:
    """Message ids of ``template`` (default: all pages) without a non-fuzzy translation in ``locale``."""
    template = template or extract_messages()
    with open(po_path(locale), "rb") as f:
        catalog = read_po(f, locale=locale)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        strings = found.string if found is not None else None
        ok = all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if found is None or not ok or found.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str]) -> int:
    if "--check" in argv:
        missing = missing_translations()
        for msgid in missing:
            print(f"missing bn: {msgid!r}")
        return 1 if missing else 0
    if "--compile" not in argv:
        update_catalogues(extract_messages())
    compile_catalogues()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
