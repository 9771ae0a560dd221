"""From a matcher's raw score to a confidence that means the same for every bot.

The raw score of an intent is an absolute similarity (how close the message is to its nearest
example, lifted by keywords), never a share among the bot's intents, so it does not shrink as a
bot gains intents. `confidence` maps it through a monotone piecewise-linear curve and lowers it
when the runner-up is close (an ambiguous message). The curve's points were read off the
example bots' utterance files (examples/workspace/bots/*.csv: English and Russian, typos,
inflections, out-of-scope lines): for lines whose best raw score fell in each bin, the share
classified right; so a confidence of c means that, on such lines, about a share c of answers at
that confidence are right, and the default `min_confidence` of 0.5 keeps most right answers
while sending most out-of-scope lines to `fallback`. Re-read the curve with
`python -m benchmarks.bots --calibration` when the matcher changes.
"""

from __future__ import annotations

from bisect import bisect_right

# (raw score, confidence): the measured curve, straight lines between its points
CURVE = ((0.0, 0.0), (0.15, 0.05), (0.2, 0.47), (0.3, 0.68), (0.4, 0.85), (0.5, 0.93), (0.65, 0.98),
         (1.0, 1.0))
# a runner-up within CLOSE of the best score makes the answer less sure, down to TIED times the
# curve's value at a tie (on the utterance files, half of the answers within 0.05 were wrong)
CLOSE = 0.1
TIED = 0.8


def confidence(best: float, second: float = 0.0) -> float:
    """Return the calibrated confidence of an intent whose raw score is `best`."""
    best = min(max(best, 0.0), 1.0)
    at = bisect_right([x for x, _ in CURVE], best) - 1
    if at >= len(CURVE) - 1:
        value = CURVE[-1][1]
    else:
        (x0, y0), (x1, y1) = CURVE[at], CURVE[at + 1]
        value = y0 + (y1 - y0) * (best - x0) / (x1 - x0)
    gap = best - second
    if gap < CLOSE:
        value *= TIED + (1.0 - TIED) * max(gap, 0.0) / CLOSE
    return round(min(max(value, 0.0), 1.0), 4)
