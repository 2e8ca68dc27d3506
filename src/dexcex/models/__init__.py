"""Models learnt from the labelled dataset: training with walk-forward evidence, a
registry of safely stored files, and the pure scorers the core serves."""
