"""Placeholder: the certs subsystem is being built."""
