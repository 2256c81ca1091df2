"""GS1 identifiers and their syntax: GTIN check digits and GS1 Digital Link URIs (parse and build).

Pure and Flask-free; registry, signing and labels all use it, and it imports only ``core.errors``."""
