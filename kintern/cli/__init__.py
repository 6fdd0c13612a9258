"""The kintern command line."""
