"""The ML dataset: export and statistics of stored signals with their outcomes."""
