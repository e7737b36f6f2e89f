"""pytest plugin (entry point pytest11): lab fixtures for users' own plan tests. Being built."""
