"""Layer specs, one module per family: conv, linear, pool, activation, norm, merge, reshape,
resample, custom. The union of every kind lives in :mod:`symcost.spec`."""
