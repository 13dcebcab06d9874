"""What the gate finds about the model's bytes at deploy and about trusted time (issue 41)."""

from __future__ import annotations

from aigov_gate.rules import RuleInfo, rule

ARTIFACT_RULES: tuple[RuleInfo, ...] = (
    rule(
        "deploy.artifact-mismatch",
        "The artifact being deployed is not the model's bytes",
        "high",
        "With `--model-artifact PATH` (a file or a model directory): its digest, computed as "
        "OpenSSF Model Signing does (a manifest of per-file SHA-256 digests), equals "
        "`Model.spec.digest`: `sha256:` of a single file, or `oms-sha256:` the OMS root "
        "digest. A Model without a digest, a digest of another version, or an artifact that "
        "cannot be hashed (links, special files) blocks too. Cannot be waived.",
        "The approval is of the bytes the Model names; other bytes were approved by no one.",
        "Deploy the artifact the Model names, or record the new artifact's digest (and get "
        "it approved).",
        "eu-ai-act:Art. 15",
        waivable=False,
    ),
    rule(
        "deploy.artifact-unsigned",
        "The artifact has no OMS signature, and its risk tier needs one",
        "high",
        "With `--model-artifact`: `deploy.model_signing.required` in the base's .aigov.yaml "
        "lists the model's risk tier, and there is no OMS signature (`model.sig` in the model "
        "directory, `<file>.sig` beside a single file). Cannot be waived.",
        "A digest in YAML says which bytes; a signature says who produced them.",
        "Sign the model with `model_signing sign key` (or a certificate) and ship the "
        "signature with it.",
        waivable=False,
    ),
    rule(
        "deploy.signature-invalid",
        "The artifact's OMS signature does not verify",
        "high",
        "An OMS signature present beside the artifact is verified with `model-signing` "
        "against the key or certificate chain in the base's `deploy.model_signing`; it must "
        "verify and cover exactly the artifact's files. No key configured, or `model-signing` "
        "not installed (`pip install 'aigov-gate[signing]'`), cannot decide and blocks. "
        "Cannot be waived.",
        "A signature that does not verify is evidence of tampering, not of origin.",
        "Re-sign the exact artifact with the configured key, or fix the configured key.",
        waivable=False,
    ),
    rule(
        "test.bar-timestamped",
        "The test plan's bar was fixed in advance (timestamped)",
        "info",
        "The plan of the run that counts carries an approval with an RFC 3161 timestamp "
        "(`aigov approvals sign PLAN --timestamp URL`) that verifies against the base's "
        "`timestamps.tsa_roots` and covers the approval's signature: informational when its "
        "time is before the run's `started_at`, medium when it is not or does not verify.",
        "A signer's clock proves nothing; a time-stamping authority's token shows the bar "
        "existed before the results did.",
        "Sign the plan with `--timestamp` before running the tests.",
    ),
)
