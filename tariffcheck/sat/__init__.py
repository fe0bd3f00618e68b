"""The purely Boolean part of the analyses, on a CDCL SAT solver (python-sat) instead of Z3.

A tariff whose rules speak only of which options a contract has (a feature model imported from
UVL is nothing else) is a propositional formula; a SAT solver answers its questions (the
backbone: options no valid order has, or every one has; minimal reasons as cores over one
selector per rule) in a fraction of the time Z3 takes from Python. cnf.py decides whether a
tariff is such a one and writes its rules as clauses (no solver involved); solver.py asks.
Nothing here imports z3.
"""
