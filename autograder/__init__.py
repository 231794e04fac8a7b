"""reglab's instructor side: building releases, hidden checks and grading.

Nothing in this package ever ships to students.
"""
