"""yiju: sanitation monitoring and crew routing for a city district's communities."""

from core.version import __version__

__all__ = ["__version__"]
