"""Check codes as a consumer types them and as the registry reads them back: 12 characters from an alphabet
without look-alikes, every single typo and every swap of neighbours caught, one code per unit, and nothing
about other units' codes learnt from some codes."""

from __future__ import annotations

import pytest

from signing.checkcodes import (
    CODE_LENGTH,
    DAMM,
    CheckCodeError,
    CheckCodes,
    check_character,
    normalise_code,
)
from signing.serials import ALPHABET

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def sample() -> list[str]:
    """300 codes of a few batches, as printed."""
    codes = CheckCodes(KEY)
    return codes.codes(1, 0, 100) + codes.codes(77, 999_900, 1_000_000) + codes.codes(2**35 - 1, 5000, 5100)


def test_codes_are_twelve_characters_from_an_alphabet_without_look_alikes(sample: list[str]) -> None:
    for code in sample:
        typed = code.replace("-", "")
        assert len(typed) == CODE_LENGTH == 12
        assert not set(typed) & set("ILOU")
        assert normalise_code(code) == typed
        assert code == f"{typed[:4]}-{typed[4:8]}-{typed[8:]}"


def test_every_single_substitution_and_every_adjacent_swap_is_caught(sample: list[str]) -> None:
    """Exhaustive over the sample: 12 x 31 substitutions and up to 11 swaps per code."""
    tried = 0
    for printed in sample:
        code = printed.replace("-", "")
        for position in range(CODE_LENGTH):
            for char in ALPHABET:
                if char == code[position]:
                    continue
                typo = code[:position] + char + code[position + 1 :]
                with pytest.raises(CheckCodeError) as caught:
                    normalise_code(typo)
                assert caught.value.reason == "check"
                tried += 1
        for position in range(CODE_LENGTH - 1):
            a, b = code[position], code[position + 1]
            if a == b:
                continue
            swapped = code[:position] + b + a + code[position + 2 :]
            with pytest.raises(CheckCodeError):
                normalise_code(swapped)
            tried += 1
    assert tried > len(sample) * CODE_LENGTH * 31


def test_the_check_catches_them_from_every_state() -> None:
    """Why it works for any code, not only the sample: from each of the 32 states, two different characters
    lead to different states (substitutions), reading a then b differs from b then a (swaps), and each
    character maps the 32 states one to one (a difference is never lost later)."""
    for state in range(32):
        assert len({DAMM[state][digit] for digit in range(32)}) == 32
        for a in range(32):
            for b in range(32):
                if a != b:
                    assert DAMM[DAMM[state][a]][b] != DAMM[DAMM[state][b]][a]
    for digit in range(32):
        assert len({DAMM[state][digit] for state in range(32)}) == 32


def test_typing_is_forgiving_about_case_separators_and_look_alikes(sample: list[str]) -> None:
    code = sample[0].replace("-", "")
    spaced = f" {code[:3]} {code[3:7]}-{code[7:]} ".lower()
    assert normalise_code(spaced) == code
    look_alike = code.replace("0", "O").replace("1", "I")
    assert normalise_code(look_alike) == code
    with pytest.raises(CheckCodeError) as short:
        normalise_code(code[:-1])
    assert short.value.reason == "length"
    with pytest.raises(CheckCodeError) as foreign:
        normalise_code(code[:-1] + "U")
    assert foreign.value.reason == "character"


def test_each_code_names_one_unit_and_back(sample: list[str]) -> None:
    codes = CheckCodes(KEY)
    assert len(set(sample)) == len(sample)
    assert codes.locate(normalise_code(sample[0])) == (1, 0)
    assert codes.locate(normalise_code(sample[150])) == (77, 999_950)
    assert codes.locate(normalise_code(sample[-1])) == (2**35 - 1, 5099)
    assert codes.code(77, 999_950) == sample[150]
    assert list(codes.iter_codes(1, 0, 100, chunk=7)) == sample[:100]


def test_codes_depend_on_the_registry_key() -> None:
    """Without the key, the codes of a batch are unrelated to the next batch's or to another registry's."""
    mine, other = CheckCodes(KEY), CheckCodes(bytes(32))
    assert set(mine.codes(5, 0, 200)).isdisjoint(other.codes(5, 0, 200))
    neighbours = mine.codes(5, 0, 200) + mine.codes(6, 0, 200)
    # no shared prefix between the units of one batch beyond chance (1 in 32 for the first character)
    first_characters = {code[0] for code in mine.codes(5, 0, 200)}
    assert len(first_characters) > 20
    assert len(set(neighbours)) == 400


def test_a_known_code_does_not_lead_to_its_neighbours(sample: list[str]) -> None:
    """A counterfeiter who read one real code and tries the 32,768 codes that differ from it in the last three
    data characters (check character recomputed) does not land in its batch: the places are a keyed
    permutation of all 2**55 values, so each try names batch 77 with probability 2**-35.  (Had the batch been
    written in the code, all of them would, and one in 32 would name a real unit.)"""
    codes = CheckCodes(KEY)
    known = normalise_code(sample[150])
    assert codes.locate(known)[0] == 77
    same_batch = 0
    for a in ALPHABET:
        for b in ALPHABET:
            for c in ALPHABET:
                data = known[:8] + a + b + c
                same_batch += codes.locate(data + check_character(data))[0] == 77
    assert same_batch == 1  # the known code itself


def test_check_character_completes_a_valid_code() -> None:
    data = "7K3Q9F2MABC"
    code = data + check_character(data)
    assert normalise_code(code) == code
