"""Data at the boundary: row schemas, the scenario file and loader, cross-table checks, the rumour store."""
