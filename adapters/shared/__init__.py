"""What every tracker adapter shares: settings, token and base-URL rules, the transport."""
