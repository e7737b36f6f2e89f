"""Placeholder: the hostsfile subsystem is being built."""
