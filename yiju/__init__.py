"""yiju: sanitation monitoring and crew routing for a city district's communities."""

__version__ = "0.1.0"
