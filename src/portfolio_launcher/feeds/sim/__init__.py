"""The seeded multi-asset market simulator behind `-feed sim`."""
