"""Story parsing: Markdown (and converted Jira markup) to a plan model."""
