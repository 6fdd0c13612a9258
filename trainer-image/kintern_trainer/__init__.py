"""kintern_trainer."""
