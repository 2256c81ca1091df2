"""Bangla and Banglish text handling: what a query in any spelling meets in the index."""

from __future__ import annotations

import pytest

from search.text import (
    edit_distance,
    fold_text,
    looks_like_code,
    max_typos,
    normalise_code,
    normalise_text,
    skeletonise,
    to_ascii_digits,
    to_bangla_digits,
    tokenise,
)


def test_nfc_joins_two_part_vowel_signs() -> None:
    # ে + া typed separately is the same word as the precomposed ো
    assert normalise_text("মে\u09beবাইল") == normalise_text("মোবাইল")


@pytest.mark.parametrize(
    ("precomposed", "nukta"),
    [("\u09df", "\u09af\u09bc"), ("\u09dc", "\u09a1\u09bc"), ("\u09dd", "\u09a2\u09bc")],
    ids=["ya", "rra", "rha"],
)
def test_precomposed_and_nukta_forms_are_one_letter(precomposed: str, nukta: str) -> None:
    assert normalise_text(precomposed) == normalise_text(nukta)
    assert tokenise("নারা" + precomposed + "ণ") == tokenise("নারা" + nukta + "ণ")


def test_zero_width_characters_are_removed() -> None:
    assert normalise_text("র\u200d্যাব\u200cটপ\ufeff") == "র্যাবটপ"


def test_bangla_digits_become_ascii_and_back() -> None:
    assert to_ascii_digits("নোভা ৫জি ২০২৬") == "নোভা 5জি 2026"
    assert to_bangla_digits("2026") == "২০২৬"
    assert tokenise("১২৮ জিবি") == tokenise("128 জিবি")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("গাজীপুর", "গাজিপুর"),  # long and short i
        ("মুন্সীগঞ্জ", "মুন্সিগঞ্জ"),
        ("ঊর্মি", "উর্মি"),  # long and short u
        ("চাঁদপুর", "চাদপুর"),  # chandrabindu optional
        ("দর্পণ", "দর্পন"),  # ণ and ন
        ("শিক্ষা", "সিক্ষা"),  # শ and স
        ("বগুড়া", "বগুরা"),  # ড় and র
        ("টাঙ্গাইল", "টাংগাইল"),  # ঙ্গ and ংগ
        ("বিদ্যুৎ", "বিদ্যুত"),  # khanda ta
    ],
)
def test_common_spelling_variants_fold_together(a: str, b: str) -> None:
    assert tokenise(a) == tokenise(b)


def test_distinct_words_stay_distinct() -> None:
    assert tokenise("ফোন") != tokenise("ফেন")
    assert tokenise("ঢাকা") != tokenise("ঢাকী")


def test_latin_is_case_and_accent_folded() -> None:
    assert tokenise("Café WALTON") == ["cafe", "walton"]


def test_tokenise_splits_on_query_syntax_characters() -> None:
    assert tokenise('"nova*" (5):^-pro') == ["nova", "5", "pro"]


@pytest.mark.parametrize(
    ("romanised", "bangla"),
    [
        ("mobile", "মোবাইল"),
        ("mobail", "মোবাইল"),
        ("fon", "ফোন"),
        ("phone", "ফোন"),
        ("laptop", "ল্যাপটপ"),
        ("lyaptop", "ল্যাপটপ"),
        ("dhaka", "ঢাকা"),
        ("router", "রাউটার"),
        ("television", "টেলিভিশন"),
        ("gazipur", "গাজীপুর"),
        ("chattogram", "চট্টগ্রাম"),
        ("bank", "ব্যাংক"),
        ("computer", "কম্পিউটার"),
        ("smartphone", "স্মার্টফোন"),
        ("walton", "ওয়ালটন"),
    ],
)
def test_banglish_meets_bangla_in_the_skeleton(romanised: str, bangla: str) -> None:
    assert skeletonise(romanised) == skeletonise(bangla) != ""


def test_skeleton_keeps_unrelated_words_apart() -> None:
    assert skeletonise("laptop") != skeletonise("router")
    assert skeletonise("ঢাকা") != skeletonise("খুলনা")


def test_too_short_skeletons_are_dropped() -> None:
    assert skeletonise("a") == ""
    assert skeletonise("ও") == ""


def test_codes_compare_without_separators() -> None:
    assert normalise_code("BN-N5-128") == "bnn5128"
    assert normalise_code("০২৮০ ০০০০") == "02800000"
    assert looks_like_code("N7P-256")
    assert looks_like_code("8801234")
    assert not looks_like_code("router")
    assert not looks_like_code("5g")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("router", "router", 0),
        ("routr", "router", 1),
        ("ruoter", "router", 1),  # transposition counts once
        ("lapptop", "laptop", 1),
        ("smarphone", "smartphone", 1),
        ("boishaki", "boishakhi", 1),
        ("motherbord", "motherboard", 1),
        ("camra", "camera", 1),
        ("abc", "xyz", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=2) == min(distance, 3)


def test_typo_budget_grows_with_word_length() -> None:
    assert [max_typos(w) for w in ("fon", "camra", "smarphone")] == [0, 1, 2]


def test_fold_is_idempotent() -> None:
    text = "মুন্সীগঞ্জের বৈশাখী নোভা ৫ স্মার্টফোন Wi-Fi"
    assert fold_text(fold_text(text)) == fold_text(text)
