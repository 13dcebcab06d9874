"""The model's bytes at deploy: OMS manifests, the digest check, OMS signatures (issue 41)."""
