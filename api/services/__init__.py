"""Queries and computations behind the routes; no HTTP here."""
