"""kintern_operator."""
