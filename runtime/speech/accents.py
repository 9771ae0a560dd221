"""Pronunciations of other English accents, made from the US dictionary's.

The wheel's dictionary (CMUdict) is American: every R is said. Callers from Britain, most of the
Commonwealth and the Caribbean drop an R that no vowel follows ("card" is K AA D, "hours" ends in
AH Z), and a grammar that knows only the rhotic form hears them less well. Each word of a spoken
grammar also gets its non-rhotic form, as an alternative pronunciation the decoder may choose.
"""

from __future__ import annotations

# the vowels of the CMU phone set (ARPAbet without stress marks)
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY",
                    "UH", "UW"})


def non_rhotic(phones: str) -> str:
    """Return a CMU pronunciation as a non-rhotic accent says it: an R after a vowel and before
    a consonant or the word's end is silent, and ER there becomes a schwa (AH)."""
    said = phones.split()
    out: list[str] = []
    for n, phone in enumerate(said):
        before_vowel = n + 1 < len(said) and said[n + 1] in VOWELS
        if phone == "ER" and not before_vowel:
            out.append("AH")
        elif phone == "R" and out and out[-1] in VOWELS and not before_vowel:
            continue
        else:
            out.append(phone)
    return " ".join(out)
