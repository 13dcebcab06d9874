"""What a run evaluated, file by file: sensitivity and retention period for evidence bundles.

A governance document's file is *sensitive* when a document in it declares
``contains_pii: true`` or ``data_classification: restricted`` (for a TestRun: any of its
results), or when PII is detected in it; an EvidenceArtifact's file likewise. Sensitive
files are encrypted inside evidence bundles. Each file gets a retention period by the
platform's names: ``test_runs`` (TestRun documents), ``test_results`` (test reports) and
``model_metadata`` (everything else), unless an artifact sets its own ``retention_date``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aigov_gate.documents.assets import Dataset, EvidenceArtifact, Model
from aigov_gate.documents.testing import TestRun
from aigov_gate.pii import Scanner, scan_file
from aigov_gate.references import Checked
from aigov_gate.result import EvidenceFile


def _declares(doc: Checked) -> bool:
    model = doc.model
    if isinstance(model, Model | Dataset | EvidenceArtifact):
        return model.spec.contains_pii or model.spec.data_classification == "restricted"
    if isinstance(model, TestRun):
        return any(
            r.contains_pii or r.data_classification == "restricted" for r in model.spec.results
        )
    return False


def inventory(documents: Iterable[Checked], root: Path, scanner: Scanner) -> list[EvidenceFile]:
    """Every document file and artifact file, sorted by path, each listed once."""
    files: dict[str, EvidenceFile] = {}
    sensitive: set[str] = set()
    periods: dict[str, str] = {}
    scanned: set[str] = set()
    for doc in documents:
        path = doc.raw.source.path
        if _declares(doc):
            sensitive.add(path)
        elif path not in scanned and path not in sensitive:
            scanned.add(path)  # a file of several documents is scanned once
            if scanner.find(doc.raw.source.text):
                sensitive.add(path)
        if isinstance(doc.model, TestRun):
            periods[path] = "test_runs"
        else:
            periods.setdefault(path, "model_metadata")
        model = doc.model
        if isinstance(model, EvidenceArtifact) and model.spec.path:
            artifact = model.spec.path
            file = root / artifact
            if not file.is_file() or not file.resolve().is_relative_to(root.resolve()):
                continue
            spec = model.spec
            secret = _declares(doc) or scan_file(file, scanner) is not None
            period = "test_results" if spec.artifact_type == "test_report" else "model_metadata"
            files[artifact] = EvidenceFile(
                artifact, "artifact", secret, period, spec.retention_date
            )
    for path, period in periods.items():
        files.setdefault(path, EvidenceFile(path, "document", path in sensitive, period))
    return [files[p] for p in sorted(files)]
