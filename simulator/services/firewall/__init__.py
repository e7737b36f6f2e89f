"""Placeholder: the firewall subsystem is being built."""
