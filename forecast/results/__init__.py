"""Results: the fitted forecast as tables and headlines, its saved files, and the run history."""
