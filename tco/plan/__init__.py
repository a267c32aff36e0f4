"""Solved decisions -> Plan (pure data), re-costed independently of the solver."""
