"""Simulated agencies for tests and the demo: kept out of the production packages."""
