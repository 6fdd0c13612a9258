"""Logic shared by the operator and local mode, with no cluster in it."""
