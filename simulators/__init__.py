"""Stand-ins for the field: the district generator and the device, truck and crew simulators."""
