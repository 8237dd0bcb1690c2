"""Agent assist: a pasted customer message reduced to its questions, answered with
ready-to-send replies that link to the right sections.
"""
