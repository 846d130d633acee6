"""`storyplan serve` and `storyplan worker`: tracker webhooks in, jobs on a PostgreSQL queue
(Procrastinate), workers that plan and sync stories one at a time per story.
"""
