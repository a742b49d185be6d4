"""Shared foundations of yiju: settings, the district registry, the message
contract, the InfluxDB client and local-day time handling.

`core` imports nothing else of yiju; every other package may import it.
"""
