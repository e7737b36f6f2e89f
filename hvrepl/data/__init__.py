"""Package data: the default lab topology and the walkthrough plan (YAML)."""
