"""storyplan: a refined user story in, an implementation plan in the team's tracker out."""

__version__ = "0.1.0"
