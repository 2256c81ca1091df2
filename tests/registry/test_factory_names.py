"""Test data reads as real: the factories name companies as Bangladeshi companies are named."""

from __future__ import annotations

import re

from registry.factories import BRANDS, company_name


def test_company_names_are_plausible_in_both_languages() -> None:
    names = [company_name(n) for n in range(3 * len(BRANDS))]
    for en, bn in names:
        assert en.endswith(" Ltd.") and bn.endswith(" লিমিটেড"), (en, bn)
        assert not re.search(r"\d|\bInc\b|\bLLC\b|Ltd\..*Ltd\.", en), en
        assert not re.search(r"[0-9০-৯]", bn), bn
        assert en.count("Tech") <= 1
    assert company_name(3) == ("Shapla Industries Ltd.", "শাপলা ইন্ডাস্ট্রিজ লিমিটেড")
    assert company_name(1) == ("Padma Tech Ltd.", "পদ্মা টেক লিমিটেড")
    assert len(set(names)) > len(BRANDS)  # the same brand's companies differ by trade from round to round
