"""Workbook input and output."""
