"""A simulated Windows Server 2016 workgroup host, driven only over WinRM like a real one.

The simulator never imports :mod:`hvrepl`: it has its own picture of Windows, taken from the fact
sheet, so that the engine's tests cannot agree with themselves.
"""
