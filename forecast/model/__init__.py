"""Models: the exact likelihood, the pure succession model, outcomes from draws, the track-record model."""
