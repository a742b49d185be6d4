"""From the district to routing problems and from their solutions to plans."""
