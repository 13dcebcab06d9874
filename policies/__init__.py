"""Shipped as the data package ``aigov_gate.data.policies`` (see aigov_gate/data)."""
