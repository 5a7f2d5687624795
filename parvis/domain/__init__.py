"""Pure rules: no Django, no I/O, no clock (the current instant is always a parameter)."""
