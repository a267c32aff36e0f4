"""Runs over one set of inputs: the optimize pipeline, alternatives, re-solves."""
