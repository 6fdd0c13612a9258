"""Test support: builders and fakes shared by the test tiers."""
