"""The event-latency histogram: percentiles in real milliseconds from bounded memory."""

from __future__ import annotations

from runtime.ports.emulator import LatencyHistogram


def test_percentiles_come_from_counts_at_a_tenth_of_a_millisecond():
    histogram = LatencyHistogram()
    for ms in [1.04] * 98 + [12.0, 250.4]:
        histogram.add(ms / 1000)
    assert histogram.summary() == {"p50": 1.0, "p99": 12.0, "max": 250.4, "events": 100}


def test_memory_stays_bounded_however_many_events_come():
    histogram = LatencyHistogram()
    for index in range(100_000):
        histogram.add((index % 5000) / 1e6)  # 0 to 5 ms
    assert len(histogram._counts) <= 51 and histogram.events == 100_000


def test_no_events_give_no_percentiles_and_early_ones_count_as_on_time():
    assert LatencyHistogram().summary() == {"p50": None, "p99": None, "max": None, "events": 0}
    histogram = LatencyHistogram()
    histogram.add(-0.001)
    assert histogram.summary()["max"] == 0.0
