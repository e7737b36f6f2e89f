"""Placeholder: the registry subsystem is being built."""
