"""Facebook Pages through the Graph API (NETWORKS.md §1)."""
