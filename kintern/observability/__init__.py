"""Observability artefacts generated in code: the Grafana dashboard of the Helm chart.

Needs the `dev` extra (grafana-foundation-sdk); nothing at run time imports it.
"""
