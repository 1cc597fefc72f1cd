"""Phone callbacks: a resident asks to be called, keeps their place, and is rung back."""
