"""GitLab: the plan is one note, tasks are child Task work items (or related issues),
dependencies `blocks` links (Free tier: `relates_to` plus a "Blocked by" line). `tracker` is
the port (GraphQL: `story_read` reads, `changes`/`units`/`mutations` write), `issues_tracker`
the related-issues mode over REST, `client` the only module that imports python-gitlab.
"""
