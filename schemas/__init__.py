"""Shipped as the data package ``aigov_gate.data.schemas`` (see aigov_gate/data)."""
