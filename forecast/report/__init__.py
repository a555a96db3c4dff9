"""Report: content computed as data (:mod:`.content`), figures (:mod:`.plots`), HTML (:mod:`.render`)."""
