"""Performance budgets, measured: `make bench` runs every module here and prints figures."""
