"""Clause-level compliance per framework and model, evidence freshness, OSCAL in and out."""
