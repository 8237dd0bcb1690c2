"""The embedding model on ONNX Runtime: exported once from the local weights, then run
without torch.

Why not sentence-transformers' own ``backend="onnx"``: it needs ``optimum-onnx``, whose
releases pin ``transformers<4.58`` while sentence-transformers 6 needs ``transformers>=5``,
so the two cannot be installed together. The export here is what that backend does for a
Transformer + Pooling (+ Normalize) model: the encoder, mean or CLS pooling and the L2
normalisation in one graph, fed by the same ``tokenizer.json`` through ``tokenizers``.

Serving and incremental builds then import neither torch nor sentence-transformers
(seconds of start-up and ~300 MB of RSS); only the one-off export does.

The word-embedding table stays outside the graph, as a memory-mapped ``.npy`` whose rows
are looked up in numpy and fed as ``inputs_embeds``: multilingual models carry a 250k-token
table (384 MB in fp32) of which a help center touches a few percent, so only those pages
become resident, and every worker process shares them through the page cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import ConfigError

EXPORT_VERSION = 2  # bump when the exported graph changes, so old exports are redone
OPSET = 17


def export_dir(cache_dir: Path, model_dir: Path, fingerprint: str) -> Path:
    """Where one model's exports live: per model weights and export version."""
    return cache_dir / f"{model_dir.name}-{fingerprint}-onnx{EXPORT_VERSION}"


WORD_TABLE = "word_embeddings.npy"


def ensure_exported(model_dir: Path, target: Path, quantized: bool) -> Path:
    """The ONNX file for ``model_dir`` (fp32, or int8 weights), exported on first use; the
    word-embedding table lies beside it (:data:`WORD_TABLE`)."""
    fp32 = target / "model.onnx"
    if not fp32.is_file() or not (target / WORD_TABLE).is_file():
        _export(model_dir, fp32)
    if not quantized:
        return fp32
    int8 = target / "model-int8.onnx"
    if not int8.is_file():
        _quantize(fp32, int8)
    return int8


def _pooling(model_dir: Path) -> str:
    """The pooling mode, from the model's modules.json."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise ConfigError(
            f"KB_BACKEND=onnx supports Transformer + Pooling (+ Normalize) models; "
            f"{model_dir} has {', '.join(kinds)}: use KB_BACKEND=torch"
        )
    pooling_dir = model_dir / modules[1].get("path", "1_Pooling")
    config = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("pooling_mode_mean_tokens"):
        mode = "mean"
    elif config.get("pooling_mode_cls_token"):
        mode = "cls"
    else:
        raise ConfigError(f"KB_BACKEND=onnx: unsupported pooling in {pooling_dir}")
    return mode


def _export(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    mode = _pooling(model_dir)
    encoder = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    table = encoder.get_input_embeddings().weight.detach().numpy().astype(np.float32)

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask
            ).last_hidden_state
            if mode == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            # always normalised, as the torch path asks sentence-transformers to
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]], dtype=torch.long)
    inputs = (
        torch.from_numpy(table[ids.numpy()]),
        torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.long),
    )
    names = ["inputs_embeds", "attention_mask"]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        # the TorchScript exporter: the dynamo one needs onnxscript and gives the same graph
        torch.onnx.export(
            Pooled().eval(),
            inputs,
            str(tmp),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    table_tmp = target.parent / f"{WORD_TABLE}.{os.getpid()}.tmp.npy"
    np.save(table_tmp, table)
    os.replace(table_tmp, target.parent / WORD_TABLE)
    os.replace(tmp, target)  # several workers may export at once: the last one wins, whole


def _quantize(fp32: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
    # per-channel int8 weights of the MatMuls only: cosine to fp32 ~0.994 on help-center
    # text; per-tensor weights or quantised Add/Gather fall to ~0.95 (measured)
    quantize_dynamic(
        str(fp32),
        str(tmp),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )
    os.replace(tmp, target)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


SENTENCEPIECE_FILE = "kb-sentencepiece.model"  # ids equal to tokenizer.json's (kb.models.e5_model)


class _Tokens:
    """Text -> token ids with the model's special tokens, untruncated.

    ``tokenizer.json`` through ``tokenizers`` for any model; a folder that also ships
    :data:`SENTENCEPIECE_FILE` (the bundled e5) is read with ``sentencepiece`` instead:
    the same ids, but 47 MB of memory instead of 282 MB for a 250k-piece vocabulary, which
    every worker process would carry."""

    def __init__(self, model_dir: Path) -> None:
        spm_file = model_dir / SENTENCEPIECE_FILE
        self._spm: Any = None
        self._hf: Any = None
        if spm_file.is_file():
            import sentencepiece

            self._spm = sentencepiece.SentencePieceProcessor(model_file=str(spm_file))
            self._bos, self._eos = self._spm.bos_id(), self._spm.eos_id()
        else:
            from tokenizers import Tokenizer

            self._hf = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            self._hf.no_truncation()
            self._hf.no_padding()

    def ids(self, texts: list[str]) -> list[list[int]]:
        # trailing whitespace carries no meaning, and the two tokenizers differ only there
        texts = [t.rstrip() for t in texts]
        if self._spm is not None:
            # one text at a time, in this thread: given a list, sentencepiece hands the
            # work to a thread of its own even with num_threads=1, and waiting for it to be
            # scheduled cost a query 0.35 ms idle and ~6 ms on a busy host (the encoding
            # itself: 3 us); a batch of 64 sections is no slower this way
            pieces = [self._spm.encode(text) for text in texts]
            return [[self._bos, *ids, self._eos] for ids in pieces]
        return [e.ids for e in self._hf.encode_batch(texts, add_special_tokens=True)]


class OnnxSession:
    """Tokenizer + ONNX Runtime session: text in, pooled (normalised) vectors out."""

    def __init__(self, model_dir: Path, onnx_file: Path, max_tokens: int, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # no busy-waiting between calls: the cores are shared with other workers
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        # read-only memory map: rows are paged in as tokens are first seen
        self._table = np.load(onnx_file.parent / WORD_TABLE, mmap_mode="r")
        self._tokens = _Tokens(model_dir)
        self._max_tokens = max_tokens

    def encode(self, texts: list[str]) -> np.ndarray:
        """Truncated to the window (keeping the closing special token) and padded to the
        longest in the batch, as sentence-transformers does."""
        rows = [
            ids if len(ids) <= self._max_tokens else [*ids[: self._max_tokens - 1], ids[-1]]
            for ids in self._tokens.ids(texts)
        ]
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feed = {
            "inputs_embeds": np.ascontiguousarray(self._table[ids], dtype=np.float32),
            "attention_mask": mask,
        }
        output = self._session.run(None, feed)
        return np.asarray(output[0], dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokens.ids([text])[0])
