"""Scenarios: a lab topology, a plan, faults injected around steps, and the outcome expected — run as one.

See ``scenarios/README.md`` for the file format; :mod:`hvrepl.scenario.runner` runs one file.
"""
