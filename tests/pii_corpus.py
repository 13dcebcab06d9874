"""A labelled corpus for the PII detectors, generated from a seed (nothing committed).

Positives are real shapes: phone numbers built from libphonenumber's own example numbers
(varied in their last digits, kept only when still valid) for 36 regions, written in
international, national and E.164 form (and ``+49 (0)30 ...`` where the region has a
trunk 0); valid IBANs for every SEPA country, grouped, plain and lower case; card numbers
of each issuer with a right Luhn digit; e-mail addresses with international domains,
punycode top-level domains and non-ASCII local parts (combining marks included).

Negatives are what a machine writes next to them: UUIDs (20,000 and more), SHA-256 and
Git digests, SSH and SARIF fingerprints, key ids, base64, versions and semver build tags,
timestamps and epoch milliseconds, long decimals, amounts, ORCIDs, model names, paths,
generated ids. Each value sits in a line of text (a sentence, a JSON field, a log line).

``tests/test_pii_corpus.py`` holds the targets; ``benchmarks/bench_pii.py`` prints the
figures.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from dataclasses import dataclass

import phonenumbers

from aigov_gate.pii import iban

SEED = 35
PHONE_REGIONS = [
    "US",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BE",
    "CH",
    "AT",
    "SE",
    "NO",
    "DK",
    "FI",
    "PL",
    "PT",
    "IE",
    "CZ",
    "GR",
    "HU",
    "RO",
    "JP",
    "CN",
    "IN",
    "BR",
    "MX",
    "CA",
    "AU",
    "NZ",
    "ZA",
    "SG",
    "KR",
    "RU",
    "TR",
    "AR",
    "IL",
]
SEPA = [
    "AD",
    "AT",
    "BE",
    "BG",
    "CH",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GB",
    "GI",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MC",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "SM",
    "VA",
    "AL",
    "MD",
    "ME",
    "MK",
]
_TEMPLATES = [
    "{}",
    "Contact: {}.",
    "call {} today",
    '{{"note": "reach her at {}"}}',
    "- value {}, then more",
    "({})",
    "name\t{}\tnext",
]


@dataclass(frozen=True)
class Sample:
    kind: str  # "phone", "iban", "card", "email", "ip"; "" for a negative
    value: str
    line: str
    start: int
    form: str = ""  # phone: international, national, e164, trunk; iban: grouped, ...
    region: str = ""


def _place(rng: random.Random, kind: str, value: str, form: str = "", region: str = "") -> Sample:
    template = rng.choice(_TEMPLATES)
    line = template.format(value)
    return Sample(kind, value, line, line.index(value), form, region)


def _phone_numbers(
    rng: random.Random, region: str, per_type: int
) -> list[phonenumbers.PhoneNumber]:
    from phonenumbers import PhoneNumberType

    found: list[phonenumbers.PhoneNumber] = []
    for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        found.append(example)
        digits = str(example.national_number)
        for _ in range(per_type * 20):
            if len(found) >= per_type * 2 + 2:
                break
            tail = "".join(rng.choice("0123456789") for _ in range(3))
            varied = phonenumbers.PhoneNumber(
                country_code=example.country_code,
                national_number=int(digits[:-3] + tail),
                italian_leading_zero=example.italian_leading_zero,
            )
            if phonenumbers.is_valid_number(varied) and varied not in found:
                found.append(varied)
    return found


def phones(rng: random.Random, per_type: int = 3) -> list[Sample]:
    from phonenumbers import PhoneNumberFormat as F

    out: list[Sample] = []
    for region in PHONE_REGIONS:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk = metadata.national_prefix if metadata is not None else None
        for number in _phone_numbers(rng, region, per_type):
            forms = {
                "international": phonenumbers.format_number(number, F.INTERNATIONAL),
                "national": phonenumbers.format_number(number, F.NATIONAL),
                "e164": phonenumbers.format_number(number, F.E164),
            }
            if trunk == "0" and not number.italian_leading_zero:
                cc, _, rest = forms["international"].partition(" ")
                forms["trunk"] = f"{cc} (0){rest}"
            for form, text in forms.items():
                out.append(_place(rng, "phone", text, form, region))
    return out


def _bban(rng: random.Random, spec: str) -> str:
    alphabet = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    chars: list[str] = []
    for count, kind in iban._SPEC.findall(spec):
        pool = alphabet.get(kind, alphabet["n"] + alphabet["a"])
        chars.extend(rng.choice(pool) for _ in range(int(count)))
    return "".join(chars)


def ibans(rng: random.Random, per_country: int = 4) -> list[Sample]:
    out: list[Sample] = []
    for country in SEPA:
        for _ in range(per_country):
            bban = _bban(rng, iban.REGISTRY[country])
            plain = f"{country}{iban.check_digits(country, bban)}{bban}"
            grouped = " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))
            for form, text in (
                ("grouped", grouped),
                ("plain", plain),
                ("lower", grouped.lower()),
                ("lower-plain", plain.lower()),
            ):
                out.append(_place(rng, "iban", text, form, country))
    return out


_CARD_PREFIXES = [
    ("4", 16),
    ("4", 13),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3530", 16),
    ("36", 14),
    ("62", 16),
    ("62", 19),
    ("6759", 16),
    ("2201", 16),
]


def _luhn_complete(partial: str) -> str:
    for check in "0123456789":
        candidate = partial + check
        total = 0
        for i, char in enumerate(reversed(candidate)):
            d = int(char) * 2 if i % 2 else int(char)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def cards(rng: random.Random, per_prefix: int = 8) -> list[Sample]:
    out: list[Sample] = []
    for prefix, size in _CARD_PREFIXES:
        for _ in range(per_prefix):
            body = prefix + "".join(rng.choice("0123456789") for _ in range(size - len(prefix) - 1))
            number = _luhn_complete(body)
            if size == 15:
                grouped = f"{number[:4]} {number[4:10]} {number[10:]}"
            else:
                grouped = " ".join(number[i : i + 4] for i in range(0, size, 4))
            for form, text in (
                ("plain", number),
                ("grouped", grouped),
                ("dashed", grouped.replace(" ", "-")),
            ):
                out.append(_place(rng, "card", text, form))
    return out


_LOCALS = [
    "lena.martin",
    "j.doe+ai",
    "müller",
    "josé.garcía",
    "иван.петров",
    "δοκιμή",
    "用户",
    "ईमेल",  # Devanagari: vowel signs are combining marks
    "संपर्क",
    "ผู้ใช้",  # Thai: marks above and below
    "o'neil".replace("'", ""),
    "first_last-2",
]
_DOMAINS = [
    "acme-bank.example",
    "münchen.de",
    "exämple.com",
    "例え.jp",
    "пример.рф",
    "उदाहरण.भारत",
    "xn--mnchen-3ya.de",
    "bücher.xn--p1ai",
    "mail.example.co.uk",
    "παράδειγμα.ελ",
]


def emails(rng: random.Random, count: int = 240) -> list[Sample]:
    out: list[Sample] = []
    for i in range(count):
        local = _LOCALS[i % len(_LOCALS)]
        domain = _DOMAINS[(i // len(_LOCALS) + i) % len(_DOMAINS)]
        out.append(_place(rng, "email", f"{local}{rng.randint(1, 99)}@{domain}", "email"))
    return out


def ips(rng: random.Random, count: int = 60) -> list[Sample]:
    out: list[Sample] = []
    for _ in range(count):
        octets = (
            rng.randint(11, 223),
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(1, 254),
        )
        v4 = ".".join(map(str, octets))
        v6 = "2001:db8:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6))
        out.append(_place(rng, "ip", v4, "v4"))
        out.append(_place(rng, "ip", v6, "v6"))
    return out


def positives(seed: int = SEED) -> list[Sample]:
    rng = random.Random(seed)
    return [*phones(rng), *ibans(rng), *cards(rng), *emails(rng), *ips(rng)]


def _hex(rng: random.Random, size: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(size))


def _negative_values(rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for _ in range(20_000):
        out.append(("uuid", str(uuid.UUID(int=rng.getrandbits(128), version=4))))
    for i in range(2_000):
        out.append(("uuid5", str(uuid.uuid5(uuid.NAMESPACE_URL, f"aigov:{i}"))))
    for _ in range(1_000):
        digest = hashlib.sha256(rng.randbytes(16)).hexdigest()
        out.append(("sha256", digest))
        out.append(("docker", f"sha256:{digest}"))
        out.append(("git", _hex(rng, 40)))
        out.append(("git-short", _hex(rng, rng.choice((7, 8, 10, 12)))))
        out.append(("sarif", f"{_hex(rng, 16)}:{rng.randint(1, 9)}"))
        out.append(("ssh", "SHA256:" + base64.b64encode(rng.randbytes(32)).decode().rstrip("=")))
        out.append(("ssh-md5", ":".join(_hex(rng, 2) for _ in range(16))))
        out.append(("keyid", _hex(rng, 16).upper()))
        out.append(("base64", base64.b64encode(rng.randbytes(rng.randint(12, 48))).decode()))
        out.append(("id", base64.urlsafe_b64encode(rng.randbytes(9)).decode()))
    for _ in range(600):
        y, mo, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
        h, mi, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        ms = rng.randint(10**12, 2 * 10**12)
        out.append(("timestamp", f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"))
        out.append(("timestamp", f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"))
        out.append(("date", f"{d:02d}.{mo:02d}.{y} {h:02d}:{mi:02d}"))
        out.append(("date", f"{mo:02d}/{d:02d}/{y}"))
        out.append(("epoch-ms", str(ms)))
        out.append(("epoch", str(ms // 1000)))
        out.append(("decimal", f"{rng.random() * 10 ** rng.randint(0, 6):.{rng.randint(8, 16)}f}"))
        whole = rng.randint(10**6, 10**12)
        out.append(("amount", f"{whole:,}.{rng.randint(0, 99):02d}"))
        out.append(
            (
                "amount",
                f"{whole:,}.{rng.randint(0, 99):02d}".replace(",", "X")
                .replace(".", ",")
                .replace("X", "."),
            )
        )
        out.append(("amount", f"{whole:,},{rng.randint(0, 99):02d}".replace(",", " ", 3)))
        orcid = "".join(rng.choice("0123456789") for _ in range(15))
        out.append(("orcid", f"0000-{orcid[4:7]}{orcid[7]}-{orcid[8:12]}-{orcid[12:15]}X"))
        out.append(
            (
                "orcid",
                f"0000-000{rng.randint(1, 3)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            )
        )
        major, minor, patch = rng.randint(0, 30), rng.randint(0, 99), rng.randint(0, 999)
        out.append(("version", f"{major}.{minor}.{patch}"))
        out.append(("semver", f"{major}.{minor}.{patch}+build.{y}{mo:02d}{d:02d}.{ms}"))
        out.append(("semver", f"{major}.{minor}.{patch}-rc.{rng.randint(1, 9)}+{_hex(rng, 7)}"))
        out.append(("model", rng.choice(_MODELS).format(y=y, mo=mo, d=d, n=rng.randint(1, 9))))
        out.append(("path", rng.choice(_PATHS).format(y=y, mo=mo, d=d, ms=ms, h=_hex(rng, 8))))
        out.append(("pod", f"scorer-{_hex(rng, 10)}-{_hex(rng, 5)}"))
        out.append(("range", f"({y}-{y + rng.randint(1, 9)})"))
        out.append(("stat", f"{rng.random():.2f} ({rng.randint(18, 40)}-{rng.randint(41, 90)})"))
        # the numbers of EU acts and Official Journal issues: Regulation (EU) 2024/1689
        out.append(("act", f"Regulation (EU) {y}/{rng.randint(1, 99999)}"))
    return out


_MODELS = [
    "gpt-4o-{y}-{mo:02d}-{d:02d}",
    "claude-3-5-sonnet-{y}{mo:02d}{d:02d}",
    "llama-3.{n}-70b-instruct",
    "bert-base-uncased",
    "credit-scorer@{n}.0.{d}",
    "mistral-7b-v0.{n}",
    "text-embedding-3-large",
]
_PATHS = [
    "/var/lib/aigov/runs/{y}-{mo:02d}-{d:02d}/{ms}/stderr.log",
    "models/credit-scorer/{n}.0.0/weights.bin".replace("{n}", "2"),
    ".aigov/test-runs/{ms}-{h}/stdout.log",
    "C:\\data\\{y}\\{mo:02d}\\report-{ms}.json",
    "s3://bucket/evidence/{h}/{y}{mo:02d}{d:02d}.tar.gz",
]
_NEGATIVE_TEMPLATES = [
    "{}",
    "id={} done",
    '"uuid": "{}",',
    "run {} finished at step 3.",
    "[{}]",
    "ref: {}",
]


def negatives(seed: int = SEED) -> list[Sample]:
    rng = random.Random(seed + 1)
    out: list[Sample] = []
    for form, value in _negative_values(rng):
        line = rng.choice(_NEGATIVE_TEMPLATES).format(value)
        out.append(Sample("", value, line, line.index(value), form))
    return out


@dataclass
class Tally:
    """Per detector: true positives, misses, false positives."""

    found: dict[str, int]
    missed: dict[str, list[Sample]]
    false: dict[str, list[Sample]]

    def recall(self, kind: str) -> float:
        hit, miss = self.found.get(kind, 0), len(self.missed.get(kind, []))
        return hit / (hit + miss) if hit + miss else 1.0

    def precision(self, kind: str) -> float:
        hit, false = self.found.get(kind, 0), len(self.false.get(kind, []))
        return hit / (hit + false) if hit + false else 1.0


def evaluate(scanner: object, samples: list[Sample]) -> Tally:
    """Each sample's line scanned on its own: a positive counts when the scanner finds
    exactly its value with its kind; anything else found is a false positive."""
    tally = Tally({}, {}, {})
    for sample in samples:
        matches = scanner.find(sample.line)  # type: ignore[attr-defined]
        exact = (sample.kind, sample.start, sample.start + len(sample.value))
        hit = False
        for m in matches:
            if (m.kind, m.start, m.end) == exact:
                hit = True
            else:
                tally.false.setdefault(m.kind, []).append(sample)
        if sample.kind:
            if hit:
                tally.found[sample.kind] = tally.found.get(sample.kind, 0) + 1
            else:
                tally.missed.setdefault(sample.kind, []).append(sample)
    return tally
