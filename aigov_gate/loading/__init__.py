"""Discovery, safe YAML parsing and raw documents with positions kept on the side."""

from aigov_gate.loading.discovery import Candidate, explicit, walk
from aigov_gate.loading.loader import LoadResult, load_files
from aigov_gate.loading.safe_yaml import Limits
from aigov_gate.loading.source import RawDocument, SourceFile

__all__ = [
    "Candidate",
    "Limits",
    "LoadResult",
    "RawDocument",
    "SourceFile",
    "explicit",
    "load_files",
    "walk",
]
