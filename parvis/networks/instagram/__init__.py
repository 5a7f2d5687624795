"""Instagram professional accounts through the Graph API (NETWORKS.md §2)."""
