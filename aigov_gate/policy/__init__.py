"""Evaluation: built-in checks, CEL policies and waivers (the gate's step 4)."""
