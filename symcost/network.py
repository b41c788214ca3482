"""The containers and the results of analysing them, under their former common name.

Containers live in :mod:`symcost.containers` and the results of an analysis in
:mod:`symcost.results`; this module re-exports both so that ``symcost.network`` imports keep
working.
"""

from .containers import Graph, GraphNode, Parallel, Repeat, Residual, Sequential
from .results import NetworkCost, NetworkValues, Row, Rows

__all__ = ["Sequential", "Residual", "Parallel", "Repeat", "Graph", "GraphNode",
           "NetworkCost", "Row", "Rows", "NetworkValues"]
