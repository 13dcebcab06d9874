"""What ``aigov validate`` finds (and the gate first): files, YAML, documents, schemas,
references, evidence files and framework catalogs. Invalid documents always block."""

from __future__ import annotations

from aigov_gate.rules import RuleInfo

_VALIDATION_RULES: tuple[tuple[str, str], ...] = (
    ("file.unreadable", "The file cannot be read"),
    ("file.too-large", "The file is larger than `limits.max_file_bytes`"),
    ("file.encoding", "The file is not UTF-8"),
    ("file.binary", "The file is binary"),
    ("file.empty", "The file is empty"),
    ("file.symlink-outside", "A symbolic link points outside the repository"),
    ("yaml.syntax", "The YAML does not parse"),
    ("yaml.unsafe-tag", "A Python or custom YAML tag"),
    ("yaml.bad-value", "A value its YAML tag cannot hold (`!!int x`, a 5,000-digit integer)"),
    ("yaml.duplicate-key", "A mapping key appears twice"),
    ("yaml.alias-bomb", "Aliases expand beyond `limits.max_alias_nodes`"),
    ("yaml.recursive-alias", "An alias refers to itself"),
    ("yaml.too-deep", "Nesting deeper than `limits.max_depth`"),
    ("document.empty", "An empty governance document"),
    ("document.not-a-mapping", "A document that is not a mapping"),
    ("document.missing-api-version", "A document without `apiVersion`"),
    ("schema.unknown-api-version", "An unknown `apiVersion`"),
    ("schema.unknown-kind", "An unknown `kind`"),
    ("schema.unknown-field", "A field the schema does not have"),
    ("schema.missing-field", "A required field is missing"),
    ("schema.invalid-value", "A value of the wrong type or format"),
    ("ref.missing", "A reference to a document that does not exist"),
    ("ref.unknown-clause", "A reference to a clause its framework does not have"),
    ("ref.duplicate-name", "Two documents of one kind with the same name"),
    ("evidence.file-missing", "An evidence file does not exist"),
    ("evidence.digest-mismatch", "An evidence file's sha256 differs from the document"),
    (
        "evidence.remote-unverifiable",
        "An artifact in S3 with a sha256 cannot be fetched to check it (the gate blocks)",
    ),
    ("evidence.path-outside", "An evidence path leaves the repository"),
    ("framework.duplicate-clause", "A clause number appears twice in a framework"),
    (
        "framework.unknown-clause",
        "A clause's parent or superseded_by is not a clause of its framework",
    ),
    ("framework.parent-cycle", "Clauses are their own ancestors"),
    ("policy.unknown-environment", "A policy names an environment .aigov.yaml does not have"),
    ("load.no-documents", "No governance documents found"),
)

VALIDATION: tuple[RuleInfo, ...] = tuple(
    RuleInfo(
        rule_id,
        title,
        "high",
        "Checked by `aigov validate` (and by the gate first). See docs/loading.md and "
        "docs/json-output.md.",
        "Invalid documents always block: the gate cannot judge what it cannot read.",
        "Fix the document at the reported line; the hint says how.",
        waivable=False,
        always_blocks=True,
    )
    for rule_id, title in _VALIDATION_RULES
)
