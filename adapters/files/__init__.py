"""The embedded default tracker: stories, plans and tasks as files in the repository.
`tracker` is the port, `settings` the `[files]` section.
"""
