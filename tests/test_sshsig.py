"""SSH signatures and allowed-signers files, in-process (signoff/sshsig.py).

Real keys (Ed25519 from tests/sshsign.py, ECDSA P-256/384/521 and RSA made here) sign in
the PROTOCOL.sshsig format; every branch of the allowed-signers rules a signature must pass
is tested on its edge: the first day valid-after allows, the day valid-before stops,
negated principals, cert-authority lines, namespaces.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
from datetime import date
from functools import cache

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sshsign import public_line, sign

from aigov_gate.signoff.sshsig import (
    NAMESPACE,
    SignatureError,
    parse_allowed_signers,
    parse_signature,
    statement,
)

MESSAGE = statement(
    "RiskAssessment", "acme", "credit", "ab" * 32, "Miguel", "approver", date(2026, 1, 5)
)
DAY = date(2026, 3, 10)


def _s(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def _armor(blob: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(blob).decode(), 70))
    return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----\n"


def _blob(
    pub: bytes,
    signature: bytes,
    namespace: str = NAMESPACE,
    hash_name: str = "sha512",
    version: int = 1,
    magic: bytes = b"SSHSIG",
    trailing: bytes = b"",
) -> bytes:
    return (
        magic
        + version.to_bytes(4, "big")
        + _s(pub)
        + _s(namespace.encode())
        + _s(b"")
        + _s(hash_name.encode())
        + _s(signature)
        + trailing
    )


def _to_sign(message: bytes, namespace: str = NAMESPACE, hash_name: str = "sha512") -> bytes:
    digest = (hashlib.sha512 if hash_name == "sha512" else hashlib.sha256)(message).digest()
    return b"SSHSIG" + _s(namespace.encode()) + _s(b"") + _s(hash_name.encode()) + _s(digest)


@cache
def _ec_key(curve_name: str) -> ec.EllipticCurvePrivateKey:
    curve = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}[curve_name]
    return ec.derive_private_key(123456789 + len(curve_name) * 7 + curve.key_size, curve)


@cache
def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _openssh(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()


def _wire(line: str) -> bytes:
    return base64.b64decode(line.split()[1])


def _ec_sign(curve_name: str, message: bytes, hash_name: str = "sha512") -> tuple[str, str]:
    key = _ec_key(curve_name)
    line = _openssh(key)
    size = key.curve.key_size
    chosen = hashes.SHA256() if size <= 256 else hashes.SHA384() if size <= 384 else hashes.SHA512()
    der = key.sign(_to_sign(message, hash_name=hash_name), ec.ECDSA(chosen))
    r, s = utils.decode_dss_signature(der)
    width = (size + 7) // 8 + 1
    inner = _s(line.split()[0].encode()) + _s(
        _s(r.to_bytes(width, "big")) + _s(s.to_bytes(width, "big"))
    )
    return line, _armor(_blob(_wire(line), inner, hash_name=hash_name))


def _rsa_sign(algorithm: str, message: bytes) -> tuple[str, str]:
    key = _rsa_key()
    line = _openssh(key)
    chosen = {
        "rsa-sha2-256": hashes.SHA256(),
        "rsa-sha2-512": hashes.SHA512(),
        "ssh-rsa": hashes.SHA1(),
    }[algorithm]
    raw = key.sign(_to_sign(message), padding.PKCS1v15(), chosen)
    inner = _s(algorithm.encode()) + _s(raw)
    return line, _armor(_blob(_wire(line), inner))


def _signers(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


# --- parsing the signature -------------------------------------------------------------


def test_a_signature_parses_into_its_fields_and_fingerprint() -> None:
    sig = parse_signature(sign(MESSAGE, "miguel"))
    assert (sig.namespace, sig.hash_algorithm, sig.algorithm) == (
        NAMESPACE,
        "sha512",
        "ssh-ed25519",
    )
    assert sig.key_type == "ssh-ed25519"
    expected = base64.b64encode(hashlib.sha256(_wire(public_line("miguel"))).digest()).decode()
    assert sig.fingerprint == "SHA256:" + expected.rstrip("=")
    assert not sig.fingerprint.endswith("=")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("no armor here", "not an SSH signature"),
        ("-----BEGIN SSH SIGNATURE-----\nQUJD=x\n-----END SSH SIGNATURE-----", "not valid base64"),
        (_armor(_blob(b"k", b"s", magic=b"SSHSIH")), "not an SSHSIG version 1"),
        (_armor(_blob(b"k", b"s", version=2)), "not an SSHSIG version 1"),
        (_armor(_blob(b"k", _s(b"a") + _s(b"b"), trailing=b"x")), "trailing bytes"),
        (
            _armor(b"SSHSIG" + (1).to_bytes(4, "big") + (50).to_bytes(4, "big") + b"short"),
            "truncated",
        ),
    ],
)
def test_a_broken_signature_says_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(SignatureError, match=why):
        parse_signature(text)


def test_the_statement_is_the_documented_lines() -> None:
    assert MESSAGE == (
        b"aigov-approval v1\nkind: RiskAssessment\norganization: acme\nname: credit\n"
        b"digest: " + b"ab" * 32 + b"\napprover: miguel\nrole: approver\ndate: 2026-01-05\n"
    )


# --- the allowed-signers file ----------------------------------------------------------


def test_comments_blank_lines_and_quoted_principals() -> None:
    text = _signers(
        "# the approvers",
        "",
        f'"miguel,sam" namespaces="{NAMESPACE}" {public_line("miguel")}',
        f"dana {public_line('dana')} dana@laptop",
    )
    parsed = parse_allowed_signers(text, "base:.aigov/allowed_signers")
    assert parsed.problems == []
    assert [(s.principals, s.line, s.namespaces) for s in parsed.signers] == [
        (("miguel", "sam"), 3, (NAMESPACE,)),
        (("dana",), 4, ()),
    ]
    assert parsed.source == "base:.aigov/allowed_signers"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("miguel", "line 1: expected 'principals [options] keytype key'"),
        ("miguel ssh-ed25519", "line 1: expected 'principals [options] keytype key'"),
        ('miguel valid-after="20260101" ssh-dss AAAA', "line 1: expected"),
        (
            f"miguel cert-authority {public_line('miguel')}",
            "line 1: cert-authority keys are not supported",
        ),
        (
            f'miguel cert-authority,namespaces="{NAMESPACE}" {public_line("miguel")}',
            "line 1: cert-authority",
        ),
        ("miguel ssh-ed25519 AAAA", "line 1: the key does not parse (ssh-ed25519)"),
        (
            f'miguel valid-after="2026-01-01" {public_line("miguel")}',
            "line 1: valid-after/valid-before is not YYYYMMDD",
        ),
        (
            f'miguel valid-before="2026" {public_line("miguel")}',
            "line 1: valid-after/valid-before is not YYYYMMDD",
        ),
    ],
)
def test_a_line_that_cannot_be_used_is_a_problem_not_a_signer(line: str, problem: str) -> None:
    parsed = parse_allowed_signers(line + "\n")
    assert parsed.signers == []
    assert len(parsed.problems) == 1 and parsed.problems[0].startswith(problem)


def test_options_with_quoted_blanks_and_upper_case_names() -> None:
    text = f'miguel NAMESPACES="{NAMESPACE},git",VALID-AFTER="20260101Z" {public_line("miguel")}'
    (signer,) = parse_allowed_signers(text).signers
    assert signer.namespaces == (NAMESPACE, "git")
    assert signer.valid_after == date(2026, 1, 1)
    quoted = f'miguel namespaces="a b,{NAMESPACE}" {public_line("miguel")}'
    (spaced,) = parse_allowed_signers(quoted).signers
    assert spaced.namespaces == ("a b", NAMESPACE)


# --- verification -----------------------------------------------------------------------


def _verify(text: str, who: str = "miguel", day: date = DAY, signer: str = "miguel") -> None:
    parse_allowed_signers(text, "allowed").verify(sign(MESSAGE, signer), MESSAGE, who, day)


def test_a_listed_key_verifies_for_its_principal() -> None:
    _verify(_signers(f"miguel {public_line('miguel')}"))
    _verify(_signers(f"Miguel {public_line('miguel')}"), who="MIGUEL")


def test_the_first_valid_after_day_is_valid_and_the_day_before_is_not() -> None:
    text = _signers(f'miguel valid-after="20260310" {public_line("miguel")}')
    _verify(text, day=date(2026, 3, 10))
    with pytest.raises(SignatureError, match="was not valid on 2026-03-09"):
        _verify(text, day=date(2026, 3, 9))


def test_valid_before_is_exclusive() -> None:
    text = _signers(f'miguel valid-before="20260310" {public_line("miguel")}')
    _verify(text, day=date(2026, 3, 9))
    with pytest.raises(SignatureError, match="was not valid on 2026-03-10"):
        _verify(text, day=date(2026, 3, 10))


def test_a_window_holds_between_its_ends() -> None:
    text = _signers(
        f'miguel valid-after="20260101",valid-before="20260201" {public_line("miguel")}',
        f'miguel valid-after="20260301" {public_line("miguel")}',
    )
    _verify(text, day=date(2026, 1, 15))
    _verify(text, day=date(2026, 3, 1))
    with pytest.raises(SignatureError, match="not valid on 2026-02-10"):
        _verify(text, day=date(2026, 2, 10))


def test_negated_principals_exclude_even_when_a_pattern_matches() -> None:
    text = _signers(f"*,!sam {public_line('miguel')}")
    _verify(text, who="anyone")
    with pytest.raises(SignatureError, match="is not listed for sam"):
        _verify(text, who="sam")
    after = _signers(f"!sam,* {public_line('miguel')}")
    with pytest.raises(SignatureError, match="is not listed for sam"):
        _verify(after, who="sam")
    (signer,) = parse_allowed_signers(after).signers
    assert signer.names("dana") and not signer.names("sam") and not signer.names(" SAM ")
    only_negated = parse_allowed_signers(_signers(f"!sam {public_line('miguel')}")).signers[0]
    assert not only_negated.names("dana")


def test_a_key_for_someone_else_or_unlisted_does_not_verify() -> None:
    with pytest.raises(SignatureError, match="is not listed for miguel in allowed"):
        _verify(_signers(f"dana {public_line('miguel')}"))
    with pytest.raises(SignatureError, match="which allowed does not list"):
        _verify(_signers(f"miguel {public_line('dana')}"))
    bare = parse_allowed_signers(_signers(f"miguel {public_line('dana')}"))
    with pytest.raises(SignatureError, match="which allowed_signers does not list"):
        bare.verify(sign(MESSAGE, "miguel"), MESSAGE, "miguel", DAY)


def test_namespaces_limit_what_a_key_may_sign() -> None:
    with pytest.raises(SignatureError, match="may not sign the aigov-approval namespace"):
        _verify(_signers(f'miguel namespaces="git" {public_line("miguel")}'))
    _verify(_signers(f'miguel namespaces="git,aigov-*" {public_line("miguel")}'))
    both = _signers(
        f'miguel namespaces="git" {public_line("miguel")}',
        f'miguel namespaces="{NAMESPACE}" {public_line("miguel")}',
    )
    _verify(both)
    with pytest.raises(SignatureError, match="for namespace 'git', not 'aigov-approval'"):
        parse_allowed_signers(_signers(f"miguel {public_line('miguel')}")).verify(
            sign(MESSAGE, "miguel", namespace="git"), MESSAGE, "miguel", DAY
        )


def test_a_signature_over_other_bytes_does_not_match() -> None:
    text = _signers(f"miguel {public_line('miguel')}")
    with pytest.raises(SignatureError, match="does not match the statement"):
        parse_allowed_signers(text).verify(sign(MESSAGE, "miguel"), MESSAGE + b"x", "miguel", DAY)


@pytest.mark.parametrize("curve", ["p256", "p384", "p521"])
@pytest.mark.parametrize("hash_name", ["sha512", "sha256"])
def test_ecdsa_keys_verify_and_catch_a_changed_message(curve: str, hash_name: str) -> None:
    line, armored = _ec_sign(curve, MESSAGE, hash_name)
    signers = parse_allowed_signers(_signers(f"miguel {line}"))
    assert signers.verify(armored, MESSAGE, "miguel", DAY).hash_algorithm == hash_name
    with pytest.raises(SignatureError, match="does not match"):
        signers.verify(armored, MESSAGE.replace(b"acme", b"acmf"), "miguel", DAY)


@pytest.mark.parametrize("algorithm", ["rsa-sha2-256", "rsa-sha2-512"])
def test_rsa_keys_verify_with_sha2(algorithm: str) -> None:
    line, armored = _rsa_sign(algorithm, MESSAGE)
    signers = parse_allowed_signers(_signers(f"miguel {line}"))
    assert signers.verify(armored, MESSAGE, "miguel", DAY).algorithm == algorithm
    with pytest.raises(SignatureError, match="does not match"):
        signers.verify(armored, MESSAGE + b"\n", "miguel", DAY)


def test_rsa_sha1_and_a_mismatched_algorithm_are_refused() -> None:
    line, armored = _rsa_sign("ssh-rsa", MESSAGE)
    signers = parse_allowed_signers(_signers(f"miguel {line}"))
    with pytest.raises(SignatureError, match="ssh-rsa is not accepted for a ssh-rsa key"):
        signers.verify(armored, MESSAGE, "miguel", DAY)
    ed = _wire(public_line("miguel"))
    odd = _armor(_blob(ed, _s(b"rsa-sha2-256") + _s(b"\0" * 64)))
    mine = parse_allowed_signers(_signers(f"miguel {public_line('miguel')}"))
    with pytest.raises(SignatureError, match="rsa-sha2-256 is not accepted for a ssh-ed25519 key"):
        mine.verify(odd, MESSAGE, "miguel", DAY)


def test_an_unsupported_hash_is_refused() -> None:
    ed = _wire(public_line("miguel"))
    odd = _armor(_blob(ed, _s(b"ssh-ed25519") + _s(b"\0" * 64), hash_name="md5"))
    mine = parse_allowed_signers(_signers(f"miguel {public_line('miguel')}"))
    with pytest.raises(SignatureError, match="unsupported hash algorithm 'md5'"):
        mine.verify(odd, MESSAGE, "miguel", DAY)
