"""Jira Cloud and Data Center: the plan is one comment, tasks are sub-tasks, dependencies
"Blocks" links, bookkeeping in entity properties. `tracker` is the port, `client` the only
module that imports the jira SDK, `settings` the `[jira]` section.
"""
