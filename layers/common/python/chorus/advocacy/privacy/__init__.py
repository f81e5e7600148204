"""Privacy: a person's right to see and to erase what the ambassador programme stores about them (see
docs/advocacy.md)."""
