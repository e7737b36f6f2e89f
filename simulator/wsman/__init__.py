"""The WS-Management (WinRM) listener: the WinRS cmd shell that pywinrm and pypsrp drive, as Windows answers it.

``envelope`` parses and writes SOAP, ``faults`` renders WSManFaults, ``operations`` implements Create,
Command, Receive, Send, Signal and Delete over ``shells``, ``auth`` and ``encryption`` do Basic, NTLM and
WinRM message encryption, and ``router`` puts them behind ``POST /wsman``.
"""
