"""Files: atomic writes, locked CSV appends, spreadsheet-safe exports and validated CSV reads."""
