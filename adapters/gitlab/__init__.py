"""GitLab: the plan is one note, tasks are child Task work items (or related issues),
dependencies `blocks` links (Free tier: `relates_to` plus a "Blocked by" line). `tracker` is
the port, `client` the only module that imports python-gitlab, `settings` the `[gitlab]` section.
"""
