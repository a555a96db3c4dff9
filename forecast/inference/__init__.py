"""Inference: compiling and sampling, learned reliability, importance updates, influence and what-ifs."""
