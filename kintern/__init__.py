"""Kintern: autonomous LLM post-training on Kubernetes, under budgets and approvals."""

__version__ = "0.1.0"
