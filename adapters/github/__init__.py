"""GitHub: the plan is one issue comment, tasks are native sub-issues, dependencies native
"blocked by" links. `tracker` is the port, `client` the only module that imports PyGithub,
`records` maps GitHub's JSON to storyplan's models, `settings` the `[github]` section,
`action` what the GitHub Action needs beyond the port.
"""
