"""Placeholder: the replication subsystem is being built."""
