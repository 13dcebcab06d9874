"""The PII scanner finds exactly what its patterns find over the whole text.

The scanner runs the exact patterns only near RE2's candidates (aigov_gate/pii.py); the
oracle here runs every pattern over the whole text, as the scanner did before. The IPv6
and IPv4-mapped alternatives were bounded for that; the oracle keeps their old unbounded
form, so the rewrite is checked too.
"""

from __future__ import annotations

import random
import re

import pytest

from aigov_gate.config import PiiConfig
from aigov_gate.pii import BUILTIN, Detector, Scanner

OLD_IP = re.compile(
    r"(?<![\w:.])[0-9A-Fa-f:]*:(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
    r"|(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
    r"|(?<![\w:.])[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:]*(?![\w:])"
)
ORACLE = [
    Detector(d.name, OLD_IP if d.name == "ip" else d.pattern, d.valid) for d in BUILTIN.values()
]
PII = [
    "+44 20 7946 0958",
    "lena.martin@acme-bank.example",
    "DE89 3704 0044 0532 0130 00",
    "4111 1111 1111 1111",
    "2001:db8::1",
    "::ffff:10.1.2.3",
    "192.168.1.7",
    "(415) 555-0132",
    "0044 20 7946 0958",
    "+4915112345678",
]
ALPHABET = [*"a1b2 .:-+@()/\n\t_éx٣\"',;Z0099fF:%", "\u00a0", "\u2003", "\u0660", *PII]


def oracle(text: str, detectors: list[Detector] = ORACLE) -> list[tuple[int, int, str]]:
    found = []
    for rank, d in enumerate(detectors):
        for m in d.pattern.finditer(text):
            if d.valid is None or d.valid(m.group(0)):
                found.append((m.start(), -m.end(), rank, d.name))
    found.sort()
    spans, last = [], -1
    for start, end, _, kind in found:
        if start >= last:
            spans.append((start, -end, kind))
            last = -end
    return spans


@pytest.mark.parametrize("seed", range(4))
def test_the_scanner_finds_what_the_patterns_find_over_the_whole_text(seed: int) -> None:
    scanner, rng = Scanner(), random.Random(seed)
    differences = []
    for _ in range(6_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 50)))
        if scanner._spans(text) != oracle(text):
            differences.append(text)
    assert differences == []


def test_matches_far_from_each_other_and_at_the_reach_of_a_candidate() -> None:
    # A candidate, then PII 60-70 characters on (around the scanner's reach of 64), in
    # ASCII and in text that is not (RE2 counts offsets in UTF-8 there).
    scanner = Scanner()
    for pad in range(55, 75):
        for filler in ("x", "é", " "):
            for first in PII:
                for second in PII:
                    text = f"{first}{filler * pad}{second} tail"
                    assert scanner._spans(text) == oracle(text), text


def test_long_runs_are_judged_as_the_unbounded_patterns_judged_them() -> None:
    scanner = Scanner()
    texts = [
        "1:" * 5_000 + "a-1.",
        "::" + "ffff:" * 20 + "10.1.2.3",
        "a" * 500 + "@example.org",  # an email has no length limit
        "x " + "a." * 4_000 + "b@c.de",
        " ".join("1" * n for n in range(1, 40)),
        "".join(f"{i:x}:" for i in range(3000)),
    ]
    for text in texts:
        assert scanner._spans(text) == oracle(text)
    assert scanner.mask("a" * 500 + "@example.org") == "[redacted:email]"


def test_the_detect_order_breaks_ties_and_user_patterns_run_on_re2() -> None:
    config = PiiConfig(detect=["phone", "card", "email"], patterns={"ticket": r"INC-\d{6}"})
    scanner = Scanner(config)
    text = "call 4111 1111 1111 1111, INC-123456, a@b.io"
    detectors = [BUILTIN[name] for name in config.detect]
    user = Detector("ticket", re.compile(r"INC-\d{6}"))
    assert scanner._spans(text) == oracle(text, [*detectors, user])
    assert scanner.mask(text) == "call [redacted:card], [redacted:ticket], [redacted:email]"
