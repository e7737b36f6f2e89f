"""Placeholder: the identity subsystem is being built."""
