"""G.711: µ-law (PCMU) and A-law (PCMA) as the ITU-T reference coder has them."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from runtime.media import g711

EVERY_SAMPLE = np.arange(-32768, 32768, dtype="<i2")
EVERY_CODE = bytes(range(256))


def encoded(sample: int, codec: str) -> int:
    """Return the code of one sample."""
    return g711.encode(struct.pack("<h", sample), codec)[0]


def decoded(code: int, codec: str) -> int:
    """Return the sample of one code."""
    return struct.unpack("<h", g711.decode(bytes([code]), codec))[0]


def codes_of_every_sample(codec: str) -> np.ndarray:
    """Return the code of each of the 65,536 16-bit samples, in order from -32768."""
    return np.frombuffer(g711.encode(EVERY_SAMPLE.tobytes(), codec), dtype=np.uint8)


@pytest.mark.parametrize(("sample", "code"), [
    (0, 0xFF), (1, 0xFF), (3, 0xFF), (4, 0xFE), (-1, 0x7F), (-4, 0x7F), (-5, 0x7E),
    (100, 0xF2), (-100, 0x73), (1000, 0xCE), (32124, 0x80), (32767, 0x80), (-32768, 0x00)])
def test_mu_law_encodes_the_reference_values(sample: int, code: int) -> None:
    assert encoded(sample, "PCMU") == code


@pytest.mark.parametrize(("sample", "code"), [
    (0, 0xD5), (15, 0xD5), (16, 0xD4), (-1, 0x55), (100, 0xD3), (-100, 0x53),
    (1000, 0xFA), (32767, 0xAA), (-32768, 0x2A)])
def test_a_law_encodes_the_reference_values(sample: int, code: int) -> None:
    assert encoded(sample, "PCMA") == code


@pytest.mark.parametrize(("codec", "code", "sample"), [
    ("PCMU", 0xFF, 0), ("PCMU", 0x7F, 0), ("PCMU", 0xFE, 8), ("PCMU", 0xEF, 132),
    ("PCMU", 0x80, 32124), ("PCMU", 0x00, -32124),
    ("PCMA", 0xD5, 8), ("PCMA", 0x55, -8), ("PCMA", 0xAA, 32256), ("PCMA", 0x2A, -32256)])
def test_codes_decode_to_the_reference_values(codec: str, code: int, sample: int) -> None:
    assert decoded(code, codec) == sample


@pytest.mark.parametrize(("codec", "level"), [("PCMU", 0), ("PCMA", 8)])
def test_silence_is_the_codecs_silence_byte(codec: str, level: int) -> None:
    assert g711.encode(bytes(320), codec) == bytes([g711.SILENCE[codec]]) * 160
    # A-law has no zero level: its quietest is +-8
    assert g711.decode(bytes([g711.SILENCE[codec]]) * 2, codec) == struct.pack("<2h", level, level)


@pytest.mark.parametrize("codec", g711.CODECS)
def test_louder_samples_never_decode_quieter(codec: str) -> None:
    back = np.frombuffer(g711.decode(codes_of_every_sample(codec).tobytes(), codec), "<i2")
    assert np.all(np.diff(back.astype(np.int32)) >= 0)


@pytest.mark.parametrize("codec", g711.CODECS)
def test_negative_samples_mirror_positive_ones_in_the_sign_bit(codec: str) -> None:
    # the reference coder takes a negative sample by its one's complement: -1 mirrors 0
    mirrored = np.frombuffer(g711.encode((~EVERY_SAMPLE).tobytes(), codec), dtype=np.uint8)
    assert np.array_equal(mirrored, codes_of_every_sample(codec) ^ 0x80)


@pytest.mark.parametrize("codec", g711.CODECS)
def test_each_code_decodes_to_the_middle_of_the_samples_it_stands_for(codec: str) -> None:
    codes = codes_of_every_sample(codec)
    levels = np.frombuffer(g711.decode(EVERY_CODE, codec), "<i2").astype(np.int64)
    zeros = {0xFF, 0x7F} if codec == "PCMU" else set()  # µ-law's two zeros: half a step each
    for code in set(range(256)) - zeros:
        run = EVERY_SAMPLE[codes == code].astype(np.int64)
        assert len(run) == run.max() - run.min() + 1, "a code stands for consecutive samples"
        if run.min() > -32768 and run.max() < 32767:  # the ends of the scale are clipped
            assert levels[code] == (run.min() + run.max() + 1) // 2


@pytest.mark.parametrize(("codec", "largest", "small_error"), [("PCMU", 32124, 4),
                                                              ("PCMA", 32256, 8)])
def test_a_round_trip_errs_by_at_most_half_a_step(codec: str, largest: int,
                                                  small_error: int) -> None:
    back = np.frombuffer(g711.decode(codes_of_every_sample(codec).tobytes(), codec), "<i2")
    error = np.abs(back.astype(np.int64) - EVERY_SAMPLE)
    in_range = np.abs(EVERY_SAMPLE.astype(np.int64)) <= largest
    assert error[in_range].max() <= 512  # half the top segment's step of 1,024
    assert error[np.abs(EVERY_SAMPLE.astype(np.int64)) < 32].max() <= small_error
    assert error.max() == 32768 - largest  # beyond the largest level, samples clip to it


@pytest.mark.parametrize("codec", g711.CODECS)
def test_encoding_a_decoded_code_gives_the_code_back(codec: str) -> None:
    again = g711.encode(g711.decode(EVERY_CODE, codec), codec)
    changed = {code for code in range(256) if again[code] != code}
    assert changed == ({0x7F} if codec == "PCMU" else set())  # µ-law's -0 comes back as +0


def test_odd_pcm_and_unknown_codecs_are_refused() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        g711.encode(b"\x00\x00\x00", "PCMU")
    with pytest.raises(ValueError, match="PCMU or PCMA"):
        g711.encode(b"", "G722")
    with pytest.raises(ValueError, match="PCMU or PCMA"):
        g711.decode(b"", "pcmu")


def test_the_rtp_payload_types_are_the_static_ones() -> None:
    assert g711.PAYLOAD_TYPES == {"PCMU": 0, "PCMA": 8}
