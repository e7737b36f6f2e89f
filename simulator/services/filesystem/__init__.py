"""Placeholder: the filesystem subsystem is being built."""
