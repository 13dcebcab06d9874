"""aigov-gate: a policy-as-code gate for AI governance kept as YAML in Git.

The package is layered: ``cli`` parses arguments and talks to the user, ``reporters``
turn results into bytes, and the core (``loading``, ``documents``, ``references``,
``validation``) returns plain data. See docs/architecture.md.
"""

__version__ = "0.1.0"
