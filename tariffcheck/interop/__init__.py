"""Other languages' models as tariffs and back: UVL (the Universal Variability Language) is
read with its official parser (`uvlparser`) and written as our DSL's text, so an imported model
is a readable spec that goes through the same resolver as any other (docs/uvl.md)."""
