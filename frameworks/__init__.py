"""Shipped as the data package ``aigov_gate.data.frameworks`` (see aigov_gate/data)."""
