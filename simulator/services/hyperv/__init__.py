"""Placeholder: the hyperv subsystem is being built."""
