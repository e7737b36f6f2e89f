"""The cmd.exe layer: the command line WinRS runs (``cmd /c``), pipes, and the console commands."""
