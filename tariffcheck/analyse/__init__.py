"""Analyses of a whole tariff, not of one order: lint (lint.py over finding.py, names.py, semantics.py)
and the semantic difference between two versions (diff.py). They ask the solver about every
order a tariff admits (space.py) and return domain objects; report/ turns them into text."""
