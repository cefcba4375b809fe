"""Adapters to other frameworks, imported as `hpcore.adapters.*`."""
