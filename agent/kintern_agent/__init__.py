"""kintern_agent: the autonomous post-training agent that runs in each campaign's pod.

Entry points: `cli.agent_main` (the `kintern agent` command), `cli.run_agent` (any
CampaignBackend, e.g. local mode's), `factory.build_agent` (an Agent for a campaign),
and `providers.scripted.ScriptedModel` (the test double of an LLM).
"""
