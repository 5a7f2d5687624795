"""What Facebook Pages and Instagram share: the Graph API client, its error codes, metric names, webhooks."""
