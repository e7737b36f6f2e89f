"""Test helpers for users of hvrepl: a pytest plugin with lab fixtures (plugin.py, loaded through the
``pytest11`` entry point) and hypothesis strategies for topologies, plans and faults (strategies.py; import it
explicitly, it needs hypothesis)."""
