"""Test helpers for users of hvrepl: a pytest plugin with lab fixtures, hypothesis strategies."""
