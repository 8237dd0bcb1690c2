"""What the help center learns from its visitors: the event store (scrubbed before it is
written), dashboard figures, content gaps, popular questions, synonyms and draft impact.
"""
