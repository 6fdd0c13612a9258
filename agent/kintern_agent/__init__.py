"""kintern_agent."""
