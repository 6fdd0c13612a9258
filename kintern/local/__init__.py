"""Local mode: `kintern run campaign.yaml` runs a campaign on one machine, no cluster."""
