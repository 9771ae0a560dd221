"""G.711 (ITU-T): 16-bit linear PCM to and from µ-law (PCMU) and A-law (PCMA), 8 bits a sample.

Linear PCM here is always signed 16-bit little-endian samples, as WAV files hold them. The laws
follow the ITU-T's reference coder (G.191 STL, `g711.c`): the encoder takes the top 14 (µ-law)
or 13 (A-law) bits of a sample, negative samples by their one's complement so that the two
halves of the scale mirror each other exactly; the decoder returns each code's mid-point.

    encode(pcm, "PCMU") -> bytes      one byte a sample
    decode(payload, "PCMA") -> bytes  two bytes (one 16-bit sample) a byte

Both go through lookup tables built once at import (65,536 entries to encode, 256 to decode).
"""

from __future__ import annotations

import numpy as np

CODECS = ("PCMU", "PCMA")
PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}  # RTP's static payload types (RFC 3551)
SILENCE = {"PCMU": 0xFF, "PCMA": 0xD5}  # the code of a zero sample in each law


def _bit_length(values: np.ndarray) -> np.ndarray:
    """Return the number of bits of each non-negative value below 2**16."""
    return sum(((values >> shift) > 0).astype(np.int32) for shift in range(16))


def _ulaw_encoder() -> np.ndarray:
    """Build the µ-law code of every 16-bit sample, indexed by the sample's unsigned bits."""
    linear = np.arange(-32768, 32768, dtype=np.int32)
    magnitude = np.where(linear < 0, ~linear, linear) >> 2  # 14-bit, one's complement below 0
    biased = np.minimum(magnitude + 33, 0x1FFF)
    segment = _bit_length(biased >> 6) + 1  # 1..8
    mantissa = 15 - ((biased >> segment) & 0x0F)
    codes = ((8 - segment) << 4) | mantissa | np.where(linear >= 0, 0x80, 0)
    return np.roll(codes.astype(np.uint8), -32768)  # index 0 is sample 0, 0xFFFF is sample -1


def _alaw_encoder() -> np.ndarray:
    """Build the A-law code of every 16-bit sample, indexed by the sample's unsigned bits."""
    linear = np.arange(-32768, 32768, dtype=np.int32)
    magnitude = np.where(linear < 0, ~linear, linear) >> 4  # 12-bit, one's complement below 0
    exponent = np.maximum(_bit_length(magnitude) - 4, 0)  # 0 for the first two segments' 0..15
    mantissa = np.where(exponent > 0, (magnitude >> np.maximum(exponent - 1, 0)) - 16, magnitude)
    codes = ((exponent << 4) | mantissa | np.where(linear >= 0, 0x80, 0)) ^ 0x55
    return np.roll(codes.astype(np.uint8), -32768)


def _ulaw_decoder() -> np.ndarray:
    """Build the linear sample of every µ-law code."""
    codes = np.arange(256, dtype=np.int32)
    inverted = ~codes & 0xFF
    exponent = (inverted >> 4) & 0x07
    step = 4 << (exponent + 1)
    magnitude = (0x80 << exponent) + step * (inverted & 0x0F) + step // 2 - 4 * 33
    return np.where(codes < 0x80, -magnitude, magnitude).astype("<i2")


def _alaw_decoder() -> np.ndarray:
    """Build the linear sample of every A-law code."""
    codes = np.arange(256, dtype=np.int32)
    toggled = (codes ^ 0x55) & 0x7F
    exponent = toggled >> 4
    mantissa = (toggled & 0x0F) + np.where(exponent > 0, 16, 0)
    magnitude = ((mantissa << 4) + 8) << np.maximum(exponent - 1, 0)
    return np.where(codes > 0x7F, magnitude, -magnitude).astype("<i2")


_ENCODERS = {"PCMU": _ulaw_encoder(), "PCMA": _alaw_encoder()}
_DECODERS = {"PCMU": _ulaw_decoder(), "PCMA": _alaw_decoder()}


def _table(tables: dict[str, np.ndarray], codec: str) -> np.ndarray:
    """Return a codec's table; raise ValueError naming the codecs there are."""
    try:
        return tables[codec]
    except KeyError:
        raise ValueError(f"unknown codec {codec!r}: G.711 is {' or '.join(CODECS)}") from None


def encode(pcm: bytes | bytearray | memoryview, codec: str) -> bytes:
    """Encode 16-bit little-endian linear PCM to G.711 (`PCMU` or `PCMA`), one byte a sample."""
    table = _table(_ENCODERS, codec)
    if len(pcm) % 2:
        raise ValueError(f"16-bit PCM has an even number of bytes, not {len(pcm)}")
    return table[np.frombuffer(pcm, dtype="<u2")].tobytes()


def decode(payload: bytes | bytearray | memoryview, codec: str) -> bytes:
    """Decode G.711 (`PCMU` or `PCMA`) to 16-bit little-endian linear PCM."""
    table = _table(_DECODERS, codec)
    return table[np.frombuffer(payload, dtype=np.uint8)].tobytes()
