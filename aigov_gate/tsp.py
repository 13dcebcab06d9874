"""RFC 3161 trusted time: asking a time-stamping authority (TSA), and checking its token.

A signer's clock proves nothing; a TSA's token (a signed ``TSTInfo`` holding a hash of the
stamped bytes and the TSA's ``genTime``) shows those bytes existed at that time. aigov
stamps the *signature* of an evidence envelope (or of an approval), so the token shows the
signature, and so the signed statement, existed by ``genTime``.

Checking a token (``verify``): it is a granted response, its signature chains to one of
the configured roots *at genTime* (a TSA certificate not valid then is refused), the
signing certificate carries the critical ``timeStamping`` extended key usage, and its
message imprint is the hash of exactly the stamped bytes. ``rfc3161-client`` does the
ASN.1 and the chain; this module says what failed in words.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from aigov_gate.errors import AigovError

if TYPE_CHECKING:
    from rfc3161_client import TimeStampResponse

CONTENT_TYPE = "application/timestamp-query"
MAX_RESPONSE = 1 << 20
TIMEOUT = 30.0


class TimestampError(AigovError):
    """A TSA did not answer with a token for our request (the run stops: exit 2)."""


@dataclass(frozen=True, slots=True)
class Attested:
    """What a verified token says."""

    time: datetime  # genTime, UTC
    tsa: str  # the TSA certificate's subject
    serial: int


def shown(url: str) -> str:
    """``url`` without credentials, query or fragment (what reports and predicates carry)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def request(url: str, data: bytes, timeout: float = TIMEOUT) -> bytes:
    """Ask the TSA at ``url`` to stamp ``data``; the DER ``TimeStampResp`` it answered.

    The answer must be granted, for our nonce and for the SHA-256 of ``data``: anything
    else is refused here, before it goes into a bundle or an approval.
    """
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

    if urlsplit(url).scheme not in ("http", "https"):
        raise TimestampError(f"--timestamp {shown(url)}: not an http(s) URL")
    builder = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
    query = builder.nonce(nonce=True).cert_request(cert_request=True).build()
    import requests

    try:
        answer = requests.post(
            url,
            data=query.as_bytes(),
            headers={"Content-Type": CONTENT_TYPE},
            timeout=timeout,
            stream=True,
        )
        body = answer.raw.read(MAX_RESPONSE + 1, decode_content=True)
    except requests.RequestException as exc:
        raise TimestampError(
            f"the TSA {shown(url)} did not answer: {type(exc).__name__}",
            hint="check the URL and the network; nothing was written",
        ) from None
    if answer.status_code != 200 or len(body) > MAX_RESPONSE:
        raise TimestampError(
            f"the TSA {shown(url)} answered HTTP {answer.status_code} "
            f"({len(body)} bytes): no token",
            hint="check the URL; nothing was written",
        )
    try:
        response = decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampError(
            f"the TSA {shown(url)} answered something that is not a time-stamp response ({exc})"
        ) from None
    info = response.tst_info if response.status in (0, 1) else None
    if info is None:
        raise TimestampError(f"the TSA {shown(url)} refused: status {response.status}")
    if info.nonce != query.nonce or info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError(f"the TSA {shown(url)} stamped something else (nonce or hash differ)")
    return response.as_bytes()


def gen_time(token: bytes) -> datetime | None:
    """The token's claimed genTime, unchecked (for showing what a bad token says)."""
    from rfc3161_client import decode_timestamp_response

    try:
        return _utc(decode_timestamp_response(token).tst_info.gen_time)
    except ValueError:
        return None


def verify(token: bytes, data: bytes, roots: list[bytes]) -> Attested:
    """Check ``token`` stamps exactly ``data`` and chains to ``roots`` (PEM) at genTime.

    Raises ``ValueError`` saying what is wrong.
    """
    from cryptography import x509
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    if not roots:
        raise ValueError("no TSA root certificate to check against")
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise ValueError(f"not an RFC 3161 time-stamp response ({exc})") from None
    builder = VerifierBuilder()
    for pem in roots:
        for cert in x509.load_pem_x509_certificates(pem):
            if cert.issuer == cert.subject:
                builder = builder.add_root_certificate(cert)
            else:
                builder = builder.add_intermediate_certificate(cert)
    try:
        builder.build().verify_message(response, data)
    except (VerificationError, ValueError) as exc:
        raise ValueError(_words(str(exc))) from None
    info = response.tst_info
    return Attested(_utc(info.gen_time), _tsa_name(response), int(info.serial_number))


def _words(reason: str) -> str:
    if "Mismatch between messages" in reason:
        return "the token stamps other bytes than this signature"
    if "certificates" in reason.lower():
        said = re.search(r'Verify error: ([^"]+)"', reason)
        return (
            "the TSA certificate does not chain to the configured roots, or was not valid at "
            f"the token's genTime ({said.group(1) if said else reason[:200]})"
        )
    return reason


def _tsa_name(response: TimeStampResponse) -> str:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    for der in response.signed_data.certificates:
        cert = x509.load_der_x509_certificate(der)
        try:
            usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.TIME_STAMPING in usage:
            return cert.subject.rfc4514_string()
    return "(certificate not in the token)"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def load_roots(paths: list[str], files: dict[str, bytes]) -> list[bytes]:
    """The PEM roots named ``paths``, from ``files`` (the base's, see authority)."""
    missing = [p for p in paths if p not in files]
    if missing:
        raise AigovError(
            f"the TSA root {missing[0]} (timestamps.tsa_roots) is not in the repository",
            hint="commit the TSA's root certificate (PEM) there",
        )
    return [files[p] for p in paths]
