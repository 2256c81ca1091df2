"""Every message the pages use has a Bangla translation, and the compiled catalogue matches the source."""

from __future__ import annotations

from babel.messages.mofile import read_mo

from web.i18n_build import extract_messages, missing_translations, po_path

PUBLIC_TEMPLATE_FOLDERS = ("", "public", "partials")  # base, error, verify; the public pages; shared partials


def test_no_public_page_message_lacks_a_bangla_translation() -> None:
    template = extract_messages(templates_only=PUBLIC_TEMPLATE_FOLDERS)
    assert len(template) > 100  # the extraction itself works
    assert missing_translations("bn", template) == []


def test_no_page_message_at_all_lacks_a_bangla_translation() -> None:
    assert missing_translations("bn") == []


def test_the_compiled_catalogue_is_up_to_date() -> None:
    mo = po_path("bn").with_suffix(".mo")
    with open(mo, "rb") as f:
        compiled = read_mo(f)
    for message in extract_messages():
        if message.id:
            found = compiled.get(message.id)
            assert found is not None and found.string, (
                f"run python -m web.i18n_build: {message.id!r} not compiled"
            )


def test_the_check_fails_when_a_translation_is_missing() -> None:
    from babel.messages.catalog import Catalog

    template = Catalog()
    template.add("A message nobody translated")
    assert missing_translations("bn", template) == ["A message nobody translated"]
