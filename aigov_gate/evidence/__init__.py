"""Evidence bundles, keys, and what they need: signing, encryption, verification.

Imported only by ``aigov evidence``, ``aigov keys`` and ``aigov gate --evidence``:
``cryptography`` and ISA-L stay off the ``aigov validate`` path. See docs/evidence.md.
"""
