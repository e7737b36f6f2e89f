"""Host state, persistence, clock and the simulator's error type shared by every subsystem."""
