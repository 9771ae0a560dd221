"""A grammar's words also get the pronunciation of accents that drop an R no vowel follows."""

from __future__ import annotations

import pytest

from runtime.speech.accents import non_rhotic


@pytest.mark.parametrize("us, other", [
    ("K AA R D", "K AA D"),                  # card
    ("AW ER Z", "AW AH Z"),                  # hours
    ("AA P ER EY T ER", "AA P ER EY T AH"),  # operator: the R before a vowel stays
    ("S T AO R IY", "S T AO R IY"),          # story
    ("R EH D", "R EH D"),                    # red: an R that starts a word stays
])
def test_an_r_after_a_vowel_and_before_no_vowel_is_silent(us, other):
    assert non_rhotic(us) == other
