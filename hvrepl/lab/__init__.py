"""The simulated lab: start, inspect, fault and stop simulated hosts as processes (or containers).

The lab talks to hosts only as a user would: it starts ``python -m simulator serve`` as child processes
and speaks HTTPS to their WinRM and ``/_sim`` control endpoints; it never imports the simulator.
"""
