"""What a deploy gate saw of the model's bytes (``--model-artifact``): plain data, below
``result``, which holds it (``GateResult.artifact``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArtifactVerdict:
    """``--model-artifact``: the bytes a deploy gate hashed, and what their signature said."""

    model: str
    version: str
    path: str  # as given on the command line
    name: str  # the model directory's (or file's) name: the OMS subject name
    digest: str  # measured, in the form Model.spec.digest uses (oms-sha256: when unset)
    oms_root: str  # the OMS root digest (hex), whatever the form
    expected: str | None  # Model.spec.digest
    files: int
    signature: str  # "verified", "absent", "invalid", "unchecked"
    signature_detail: str = ""

    @property
    def matches(self) -> bool:
        return self.expected is not None and self.digest == self.expected
