"""The version of yiju, read by the package metadata, the CLI and the API."""

__version__ = "0.1.0"
