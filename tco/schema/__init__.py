"""Input schema: the field table and the row models generated from it."""
