"""Jira Cloud and Data Center: the plan is one comment, tasks are sub-tasks, dependencies
"Blocks" links, bookkeeping in entity properties. `tracker` is the port, `client` the only
module that speaks HTTP, `records` the pure JSON mapping, `reading` the searches, `subtasks`
and `bulk` the bulk create, `bookkeeping` the story's property, `plan_comment` and `types`
what the tracker looks up, `settings` the `[jira]` section and its credentials.
"""
