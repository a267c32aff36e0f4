"""What the run hands back: the procurement workbook and the JSON/text summary."""
