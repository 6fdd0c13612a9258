"""Agent tests: the real loop driven by a scripted model, tools against local servers."""
